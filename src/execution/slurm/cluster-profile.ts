import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {parse} from 'yaml';

import {parseSize} from '../../pipeline/parse-size.js';
import {didYouMean} from '../../util/did-you-mean.js';
import {fail, ok, type Result} from '../../util/result.js';

/** sbatch settings a profile may give for every step, or for one step. */
export interface SubmitSettings {
  readonly partition: string | undefined;
  readonly account: string | undefined;
  readonly qos: string | undefined;
  /** A Slurm time limit (`--time`), e.g. `30`, `4:00:00`, `1-00:00:00`. */
  readonly time: string | undefined;
  /** Passed to sbatch as they are, after the flags neuromake writes. */
  readonly extra: readonly string[];
}

/**
 * A cluster profile: how the head submits to one Slurm cluster. Read from
 * `--profile FILE`, else `cluster.yaml` beside pipeline.yaml, else these
 * defaults (enough for a single-node test cluster). docs/cluster.md
 * describes each key.
 */
export interface ClusterProfile extends SubmitSettings {
  /** The file it was read from; undefined for the defaults. */
  readonly file: string | undefined;
  /** `--mem` for steps that declare no memory; undefined: Slurm's default. */
  readonly memoryBytes: number | undefined;
  /** `--gpus=N` (Slurm ≥ 19.05 with cons_tres) or `--gres=gpu:N`. */
  readonly gpuFlag: 'gpus' | 'gres';
  /** How many Slurm jobs may be queued or running at once. */
  readonly maxJobs: number;
  /** Shell lines the batch script runs first (`module load nodejs/20`). */
  readonly setup: string;
  /** The node binary on the compute nodes. */
  readonly node: string;
  /** neuromake's launcher on the compute nodes. */
  readonly neuromake: string;
  /** Deadline of each sbatch, squeue, scontrol, sacct and scancel call. */
  readonly commandTimeoutMs: number;
  /** How long the controller may stay unreachable before jobs fail. */
  readonly unreachableMs: number;
  /** Longest pause between two status polls (they start at 100 ms). */
  readonly pollMaxMs: number;
  /** After Ctrl-C, how long to wait for cancelled jobs to stop. */
  readonly cancelWaitMs: number;
  /**
   * How long a finished job's outputs may take to appear on the head: on
   * NFS a file a node closed can stay invisible for the attribute-cache
   * time.
   */
  readonly outputWaitMs: number;
  /** Per-step settings, by step id; they replace the top-level ones. */
  readonly steps: ReadonlyMap<string, Partial<SubmitSettings>>;
}

/** neuromake's own launcher, which the defaults run on the nodes. */
const OWN_LAUNCHER = fileURLToPath(
  new URL('../../../../bin/neuromake.js', import.meta.url),
);

/** The profile used when there is no file. */
export const DEFAULT_PROFILE: ClusterProfile = {
  file: undefined,
  partition: undefined,
  account: undefined,
  qos: undefined,
  time: undefined,
  extra: [],
  memoryBytes: undefined,
  gpuFlag: 'gpus',
  maxJobs: 100,
  setup: '',
  node: process.execPath,
  neuromake: OWN_LAUNCHER,
  commandTimeoutMs: 30_000,
  unreachableMs: 300_000,
  pollMaxMs: 5_000,
  cancelWaitMs: 60_000,
  outputWaitMs: 10_000,
  steps: new Map(),
};

/** The profile file neuromake reads when `--profile` is not given. */
const PROFILE_FILE = 'cluster.yaml';

const TOP_KEYS = [
  'partition',
  'account',
  'qos',
  'time',
  'extra',
  'memory',
  'gpu_flag',
  'max_jobs',
  'setup',
  'node',
  'neuromake',
  'command_timeout',
  'unreachable_timeout',
  'poll_max',
  'cancel_wait',
  'output_wait',
  'steps',
] as const;

const STEP_KEYS = ['partition', 'account', 'qos', 'time', 'extra'] as const;

// Slurm's --time forms: minutes, minutes:seconds, hours:minutes:seconds,
// days-hours, days-hours:minutes, days-hours:minutes:seconds.
const SLURM_TIME = /^(\d+-\d+(:\d+){0,2}|\d+(:\d+){0,2}|UNLIMITED|INFINITE)$/;

/**
 * Finds and reads the profile: `explicit` (from `--profile`) must exist;
 * otherwise `cluster.yaml` beside the pipeline file is read when present.
 * Problems come back as messages naming the file.
 */
export function loadProfile(
  explicit: string | undefined,
  pipelineFile: string,
): Result<ClusterProfile, string[]> {
  const file =
    explicit === undefined
      ? join(dirname(pipelineFile), PROFILE_FILE)
      : resolve(explicit);
  if (!existsSync(file)) {
    return explicit === undefined
      ? ok(DEFAULT_PROFILE)
      : fail([`--profile: ${file} does not exist`]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return fail([`cannot read ${file}: ${(err as Error).message}`]);
  }
  return parseProfile(text, file);
}

/** Parses and checks a profile's YAML text. */
export function parseProfile(
  text: string,
  file: string,
): Result<ClusterProfile, string[]> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return fail([`${file}: ${(err as Error).message}`]);
  }
  if (raw === null || raw === undefined) raw = {};
  const errors: string[] = [];
  const report = (message: string) => errors.push(`${file}: ${message}`);
  const top = asMapping(raw, 'the profile', report);
  if (top === undefined) return fail(errors);
  checkKeys(top, TOP_KEYS, 'the profile', report);

  const settings = readSettings(top, '', report);
  const profile: ClusterProfile = {
    ...DEFAULT_PROFILE,
    file,
    partition: settings.partition,
    account: settings.account,
    qos: settings.qos,
    time: settings.time,
    extra: settings.extra ?? [],
    memoryBytes: readMemory(top['memory'], report),
    gpuFlag: readGpuFlag(top['gpu_flag'], report),
    maxJobs: readCount(top['max_jobs'], 'max_jobs', report),
    setup: readString(top['setup'], 'setup', report) ?? '',
    node: readString(top['node'], 'node', report) ?? DEFAULT_PROFILE.node,
    neuromake:
      readString(top['neuromake'], 'neuromake', report) ??
      DEFAULT_PROFILE.neuromake,
    commandTimeoutMs: readDuration(
      top['command_timeout'],
      'command_timeout',
      DEFAULT_PROFILE.commandTimeoutMs,
      report,
    ),
    unreachableMs: readDuration(
      top['unreachable_timeout'],
      'unreachable_timeout',
      DEFAULT_PROFILE.unreachableMs,
      report,
    ),
    pollMaxMs: readDuration(
      top['poll_max'],
      'poll_max',
      DEFAULT_PROFILE.pollMaxMs,
      report,
    ),
    cancelWaitMs: readDuration(
      top['cancel_wait'],
      'cancel_wait',
      DEFAULT_PROFILE.cancelWaitMs,
      report,
    ),
    outputWaitMs: readDuration(
      top['output_wait'],
      'output_wait',
      DEFAULT_PROFILE.outputWaitMs,
      report,
    ),
    steps: readSteps(top['steps'], report),
  };
  return errors.length > 0 ? fail(errors) : ok(profile);
}

/** The settings for one step: its own entries over the top-level ones. */
export function settingsFor(
  profile: ClusterProfile,
  stepId: string,
): SubmitSettings {
  const own = profile.steps.get(stepId) ?? {};
  return {
    partition: own.partition ?? profile.partition,
    account: own.account ?? profile.account,
    qos: own.qos ?? profile.qos,
    time: own.time ?? profile.time,
    extra: [...profile.extra, ...(own.extra ?? [])],
  };
}

type Report = (message: string) => void;
type Mapping = Readonly<Record<string, unknown>>;

function asMapping(
  value: unknown,
  what: string,
  report: Report,
): Mapping | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Mapping;
  }
  report(`${what} must be a mapping of keys to values`);
  return undefined;
}

function checkKeys(
  map: Mapping,
  known: readonly string[],
  what: string,
  report: Report,
): void {
  for (const key of Object.keys(map)) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    report(
      `unknown key "${key}" in ${what}${hint === undefined ? '' : `; ${hint}`}`,
    );
  }
}

function readSettings(
  map: Mapping,
  where: string,
  report: Report,
): Partial<SubmitSettings> {
  const name = (key: string) => (where === '' ? key : `${where}.${key}`);
  const time = map['time'];
  let timeText: string | undefined;
  if (typeof time === 'number' && Number.isSafeInteger(time) && time > 0) {
    timeText = String(time);
  } else if (time !== undefined) {
    timeText = readString(time, name('time'), report);
    if (timeText !== undefined && !SLURM_TIME.test(timeText)) {
      report(
        `${name('time')} "${timeText}" is not a Slurm time limit; write minutes, HH:MM:SS or D-HH:MM:SS`,
      );
      timeText = undefined;
    }
  }
  const extra = map['extra'];
  let extraList: string[] | undefined;
  if (extra !== undefined) {
    if (
      Array.isArray(extra) &&
      extra.every((e): e is string => typeof e === 'string' && e !== '')
    ) {
      extraList = extra;
    } else {
      report(
        `${name('extra')} must be a list of sbatch flags, e.g. [--exclusive, --constraint=a100]`,
      );
    }
  }
  return {
    partition: readString(map['partition'], name('partition'), report),
    account: readString(map['account'], name('account'), report),
    qos: readString(map['qos'], name('qos'), report),
    time: timeText,
    extra: extraList,
  };
}

function readSteps(
  value: unknown,
  report: Report,
): ReadonlyMap<string, Partial<SubmitSettings>> {
  const steps = new Map<string, Partial<SubmitSettings>>();
  if (value === undefined) return steps;
  const map = asMapping(value, 'steps', report);
  if (map === undefined) return steps;
  for (const [id, entry] of Object.entries(map)) {
    const own = asMapping(entry, `steps.${id}`, report);
    if (own === undefined) continue;
    checkKeys(own, STEP_KEYS, `steps.${id}`, report);
    steps.set(id, readSettings(own, `steps.${id}`, report));
  }
  return steps;
}

function readString(
  value: unknown,
  name: string,
  report: Report,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  report(`${name} must be a non-empty string`);
  return undefined;
}

function readMemory(value: unknown, report: Report): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) {
    return value;
  }
  if (typeof value === 'string') {
    const parsed = parseSize(value);
    if (parsed.ok && parsed.value > 0) return parsed.value;
  }
  report('memory must be a size such as 2GB or 512MiB');
  return undefined;
}

function readGpuFlag(value: unknown, report: Report): 'gpus' | 'gres' {
  if (value === undefined) return DEFAULT_PROFILE.gpuFlag;
  if (value === 'gpus' || value === 'gres') return value;
  report('gpu_flag must be "gpus" (--gpus=N) or "gres" (--gres=gpu:N)');
  return DEFAULT_PROFILE.gpuFlag;
}

function readCount(value: unknown, name: string, report: Report): number {
  if (value === undefined) return DEFAULT_PROFILE.maxJobs;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) {
    return value;
  }
  report(`${name} must be a whole number ≥ 1`);
  return DEFAULT_PROFILE.maxJobs;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const DURATION_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A duration: seconds as a number, or text such as 500ms, 30s, 5m, 1h. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (match === null) return undefined;
  const [, amount = '', unit = 's'] = match;
  return Number(amount) * (DURATION_MS[unit] ?? 1000);
}

function readDuration(
  value: unknown,
  name: string,
  fallback: number,
  report: Report,
): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms !== undefined && ms > 0) return ms;
  report(`${name} must be a duration such as 30s, 5m or 500ms`);
  return fallback;
}
