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
    gpus = list;
  } else if (flags.needGpus) {
    gpus = detectGpus();
  }
  return {ok: true, budget: {cpus, memoryBytes, gpus}};
}

function parseGpus(text: string): number[] | undefined {
  let list: number[];
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count > MAX_GPUS) return undefined;
    list = [...Array(count).keys()];
  } else if (/^\d+(,\d+)*$/.test(text)) {
    list = text.split(',').map(Number);
  } else {
    return undefined;
  }
  return list.every((id) => id < MAX_GPUS) ? list : undefined;
}

function detectGpus(): number[] {
  const visible = process.env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined) {
    return visible
      .split(',')
      .filter((s) => /^\d+$/.test(s.trim()))
      .map((s) => Number(s.trim()));
  }
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
