import {execFileSync} from 'node:child_process';
import {availableParallelism, totalmem} from 'node:os';

import {parseSize} from '../pipeline/parse-size.js';
import type {Budget} from '../scheduler/resource-pool.js';

/**
 * The largest `-j` taken: a slot is kept per cpu, and no machine a run
 * starts on has more (a typo such as `-j 40000000` is caught, not obeyed).
 */
const MAX_JOBS = 4096;

/** Device ids and counts above this are typos, not machines. */
const MAX_GPUS = 1024;

/**
 * Works out the run's budgets from flags: `-j` cpus (default: every core),
 * `--memory` (default: all physical memory) and `--gpus` (a count or a list
 * of device ids; default: CUDA_VISIBLE_DEVICES, else what nvidia-smi lists,
 * probed only when a job wants a GPU).
 *
 * Where CUDA_VISIBLE_DEVICES is set (by the user, or by Slurm for an
 * allocation), `--gpus` stays within it: a count takes its first N
 * devices, and listed ids must be among them. A job is handed physical
 * device ids, as that variable names them, never ones outside it.
 */
export function resolveBudget(flags: {
  jobs: string | undefined;
  memory: string | undefined;
  gpus: string | undefined;
  needGpus: boolean;
}): {ok: true; budget: Budget} | {ok: false; message: string; hint: string} {
  let cpus = availableParallelism();
  if (flags.jobs !== undefined) {
    cpus = Number(flags.jobs);
    if (!/^\d+$/.test(flags.jobs) || cpus < 1 || cpus > MAX_JOBS) {
      return {
        ok: false,
        message: `-j/--jobs must be a positive integer up to ${MAX_JOBS}, got "${flags.jobs}"`,
        hint: 'for example -j 4',
      };
    }
  }
  let memoryBytes = totalmem();
  if (flags.memory !== undefined) {
    const parsed = parseSize(flags.memory);
    if (!parsed.ok) {
      return {
        ok: false,
        message: `--memory: ${parsed.error}`,
        hint: 'for example --memory 16GB',
      };
    }
    memoryBytes = parsed.value;
  }
  let gpus: number[] = [];
  if (flags.gpus !== undefined) {
    const list = parseGpus(flags.gpus);
    if (list === undefined) {
      return {
        ok: false,
        message: `--gpus must be a count or a list of device ids (each below ${MAX_GPUS}), got "${flags.gpus}"`,
        hint: 'for example --gpus 2 or --gpus 0,3',
      };
    }
    const within = withinVisible(flags.gpus, list);
    if (!within.ok) return within;
    gpus = within.gpus;
  } else if (flags.needGpus) {
    gpus = detectGpus();
    const raw = process.env['CUDA_VISIBLE_DEVICES'];
    if (raw !== undefined && listsByName(raw)) {
      const gpuNote = `CUDA_VISIBLE_DEVICES="${raw}" names devices by UUID or MIG id, and neuromake hands out numeric device ids: list the devices by index there, or give --gpus`;
      return {ok: true, budget: {cpus, memoryBytes, gpus, gpuNote}};
    }
  }
  return {ok: true, budget: {cpus, memoryBytes, gpus}};
}

/** `--gpus` as written: a count, or a list of device ids. */
type GpuFlag = {count: number} | {ids: number[]};

function parseGpus(text: string): GpuFlag | undefined {
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    return count > MAX_GPUS ? undefined : {count};
  }
  if (/^\d+(,\d+)*$/.test(text)) {
    const ids = text.split(',').map(Number);
    return ids.every((id) => id < MAX_GPUS) ? {ids} : undefined;
  }
  return undefined;
}

/**
 * The devices `--gpus` hands out: a count's first N of CUDA_VISIBLE_DEVICES
 * (0…N-1 where it is unset); listed ids as given, each once, and only ones
 * CUDA_VISIBLE_DEVICES lists where it is set.
 */
function withinVisible(
  text: string,
  flag: GpuFlag,
): {ok: true; gpus: number[]} | {ok: false; message: string; hint: string} {
  const raw = process.env['CUDA_VISIBLE_DEVICES'];
  const visible = raw === undefined ? undefined : visibleIds(raw);
  const named = `CUDA_VISIBLE_DEVICES="${raw}"`;
  // Note: a job is handed device ids; a UUID or MIG entry names a device
  // no id can be checked against.
  const byName = raw !== undefined && listsByName(raw);
  const byNameHint =
    'neuromake hands out numeric device ids: list the devices by index in CUDA_VISIBLE_DEVICES';
  const noneHint =
    'it hides every GPU: unset it, or list the devices the run may use';
  if ('count' in flag) {
    if (visible === undefined) {
      return {ok: true, gpus: [...Array(flag.count).keys()]};
    }
    if (flag.count > visible.length) {
      return {
        ok: false,
        message: `--gpus ${text} asks for more GPUs than ${named} makes visible (${visible.length}${byName ? ' listed by index' : ''})`,
        hint: byName
          ? byNameHint
          : visible.length === 0
            ? noneHint
            : `give --gpus ${visible.length} or fewer, or leave it out to use every visible GPU`,
      };
    }
    return {ok: true, gpus: visible.slice(0, flag.count)};
  }
  const repeated = flag.ids.find((id, i) => flag.ids.indexOf(id) !== i);
  if (repeated !== undefined) {
    return {
      ok: false,
      message: `--gpus ${text} names device ${repeated} twice`,
      hint: 'list each device id once',
    };
  }
  if (visible === undefined) return {ok: true, gpus: flag.ids};
  const outside = flag.ids.filter((id) => !visible.includes(id));
  if (outside.length > 0) {
    return {
      ok: false,
      message: `--gpus ${text}: device ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in ${named}`,
      hint: byName
        ? byNameHint
        : visible.length === 0
          ? noneHint
          : `give ids among ${visible.join(',')}, or a count`,
    };
  }
  return {ok: true, gpus: flag.ids};
}

/** Whether CUDA_VISIBLE_DEVICES names a device other than by index. */
function listsByName(raw: string): boolean {
  return raw.split(',').some((s) => s.trim() !== '' && !/^\d+$/.test(s.trim()));
}

/** The numeric device ids CUDA_VISIBLE_DEVICES lists, in its order. */
function visibleIds(raw: string): number[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

function detectGpus(): number[] {
  const visible = process.env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined) return visibleIds(visible);
  try {
    const out = execFileSync('nvidia-smi', ['-L'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    return out
      .split('\n')
      .filter((l) => l.startsWith('GPU '))
      .map((_, i) => i);
  } catch {
    return [];
  }
}
