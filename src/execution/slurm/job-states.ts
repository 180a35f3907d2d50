/** A Slurm job's state as squeue, scontrol or sacct report it. */
export interface SlurmStatus {
  readonly id: string;
  /** Extended state, e.g. PENDING, RUNNING, COMPLETED, FAILED. */
  readonly state: string;
  /** Why it is in that state, e.g. Resources, NonZeroExitCode; '' if none. */
  readonly reason: string;
}

/** How a finished job ended, with its exit code and signal when known. */
export interface SlurmEnding extends SlurmStatus {
  readonly exitCode: number | undefined;
  readonly signal: number | undefined;
}

/** States a job never leaves (until MinJobAge purges it). */
const TERMINAL = new Set([
  'BOOT_FAIL',
  'CANCELLED',
  'COMPLETED',
  'DEADLINE',
  'FAILED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'REVOKED',
  // Requeued and held: it waits for a person, so the run stops waiting.
  'SPECIAL_EXIT',
  'TIMEOUT',
]);

/**
 * Pending reasons that mean the job can never start as submitted: the
 * request breaks a partition, association or QOS limit, or names what does
 * not exist. Waiting on them would hang the run, so the job is cancelled
 * and fails. Transient reasons (Resources, Priority, ReqNodeNotAvail while
 * nodes are down) are waited out.
 */
const HOPELESS = new Set([
  'AssociationTimeLimit',
  'BadConstraints',
  'DependencyNeverSatisfied',
  'InvalidAccount',
  'InvalidQOS',
  'JobLaunchFailure',
  'PartitionConfig',
  'PartitionNodeLimit',
  'PartitionTimeLimit',
  'QOSTimeLimit',
]);

/** True when the job has ended. */
export function isTerminal(state: string): boolean {
  return TERMINAL.has(baseState(state));
}

/** True when a pending job's reason says it can never start. */
export function isHopeless(status: SlurmStatus): boolean {
  if (baseState(status.state) !== 'PENDING') return false;
  const head = /^[A-Za-z]+/.exec(status.reason)?.[0] ?? '';
  return HOPELESS.has(head);
}

/** True for the one ending that counts as success. */
export function succeeded(ending: SlurmEnding): boolean {
  return (
    baseState(ending.state) === 'COMPLETED' &&
    (ending.exitCode ?? 0) === 0 &&
    (ending.signal ?? 0) === 0
  );
}

/** `CANCELLED by 0` (sacct) and `CANCELLED+` → CANCELLED. */
function baseState(state: string): string {
  return /^[A-Z_]+/.exec(state.trim())?.[0] ?? state.trim();
}

/** The squeue format that {@link parseSqueue} reads. */
export const SQUEUE_FORMAT = '%i|%T|%r';

/** Parses `squeue -h -o '%i|%T|%r'` output, one job per line. */
export function parseSqueue(stdout: string): SlurmStatus[] {
  const out: SlurmStatus[] = [];
  for (const line of stdout.split('\n')) {
    const [id, state, ...reason] = line.trim().split('|');
    if (id === undefined || id === '' || state === undefined) continue;
    out.push({id, state, reason: reason.join('|')});
  }
  return out;
}

/**
 * Parses `scontrol show job -o ID` (one line of `Key=Value` pairs) into the
 * job's ending. Values never hold spaces for the keys read here.
 */
export function parseScontrol(
  id: string,
  stdout: string,
): SlurmEnding | undefined {
  const fields = new Map<string, string>();
  for (const match of stdout.matchAll(/(?:^|\s)([A-Za-z:/]+)=(\S*)/g)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined && !fields.has(key)) {
      fields.set(key, value);
    }
  }
  const state = fields.get('JobState');
  if (state === undefined) return undefined;
  const exit = parseExitCode(fields.get('ExitCode') ?? '');
  return {
    id,
    state,
    reason: fields.get('Reason') ?? '',
    exitCode: exit?.code,
    signal: exit?.signal,
  };
}

/**
 * Parses `sacct -n -X -P -j ID -o JobID,State,ExitCode,Reason` (accounting,
 * for jobs that scontrol has already forgotten).
 */
export function parseSacct(
  id: string,
  stdout: string,
): SlurmEnding | undefined {
  for (const line of stdout.split('\n')) {
    const [jobId, state, exitCode, reason = ''] = line.trim().split('|');
    if (jobId !== id || state === undefined) continue;
    const exit = parseExitCode(exitCode ?? '');
    return {
      id,
      state: baseState(state),
      reason,
      exitCode: exit?.code,
      signal: exit?.signal,
    };
  }
  return undefined;
}

/** `3:0` → exit code 3, signal 0. */
export function parseExitCode(
  text: string,
): {code: number; signal: number} | undefined {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (match === null) return undefined;
  return {code: Number(match[1]), signal: Number(match[2])};
}
