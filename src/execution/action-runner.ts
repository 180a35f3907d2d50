import type {Writable} from 'node:stream';

import type {Job} from '../graph/job.js';
import type {Admission} from '../scheduler/job-slots.js';
import type {Allocation} from '../scheduler/resource-pool.js';
import type {JobFailure} from './job-failure.js';
import type {JobOutputs} from './job-outputs.js';

/**
 * Where an action writes its outputs: the temporary paths, relative to the
 * workspace and absolute. The head passes its {@link JobOutputs}; a compute
 * node (`neuromake run-job`) gets the same paths on its command line.
 */
export type TempPaths = Pick<JobOutputs, 'tempOf' | 'absoluteTemp'>;

/** One attempt at a job's action, with its outputs' temporary paths. */
export interface ActionRequest {
  readonly job: Job;
  readonly outputs: TempPaths;
  readonly allocation: Allocation;
  /**
   * The job's log; the runner writes the action's output here. On the head
   * it is a JobLog (job-log.ts: a file, appended to synchronously).
   */
  readonly log: Writable;
  readonly signal: AbortSignal;
  /**
   * Queue this action behind the one running on `behind`: it begins the
   * moment that one succeeds, and is not started at all (`not-started`)
   * when that one fails, or when the runner cannot queue it after all.
   */
  readonly behind?: Lane | undefined;
  /** Told the lane this action runs on, if one can be queued behind it. */
  readonly onLane?: ((lane: Lane) => void) | undefined;
  /** For an action queued `behind` another: it begins now. */
  readonly begun?: (() => void) | undefined;
}

/**
 * Where a running action runs, when the runner can queue the next action
 * right behind it (a shell job launcher can): the next job then starts the
 * moment this one ends, without a round trip through the engine.
 */
export interface Lane {
  /** Whether an action can still be queued behind the running one. */
  readonly open: boolean;
  /** Drops the action queued behind, unless it has begun. */
  cancelQueued(): void;
}

/**
 * Executes what a job does — its shell command or built-in task — writing
 * its outputs to their temporary paths. Everything around that (keys,
 * verification, the store, records) stays with the engine, so a runner for
 * another place (a cluster) only has to get the action executed there.
 */
export interface ActionRunner {
  /**
   * How this runner's jobs are admitted. Absent: they run on this machine
   * and draw on the run's local cpu, memory and GPU budgets. A runner whose
   * jobs run elsewhere brings its own (a cluster runner bounds how many are
   * queued), so a cluster job never waits for local cores, nor takes them.
   */
  readonly admission?: Admission;
  run(request: ActionRequest): Promise<JobFailure | undefined>;
}
