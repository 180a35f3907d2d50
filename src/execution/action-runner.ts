import type {WriteStream} from 'node:fs';

import type {Job} from '../graph/job.js';
import type {Allocation} from '../scheduler/resource-pool.js';
import type {JobFailure} from './job-failure.js';
import type {JobOutputs} from './job-outputs.js';

/** One attempt at a job's action, with its outputs' temporary paths. */
export interface ActionRequest {
  readonly job: Job;
  readonly outputs: JobOutputs;
  readonly allocation: Allocation;
  /** The job's log; the runner writes the action's output here. */
  readonly log: WriteStream;
  readonly signal: AbortSignal;
}

/**
 * Executes what a job does — its shell command or built-in task — writing
 * its outputs to their temporary paths. Everything around that (keys,
 * verification, the store, records) stays with the engine, so a runner for
 * another place (a cluster) only has to get the action executed there.
 */
export interface ActionRunner {
  run(request: ActionRequest): Promise<JobFailure | undefined>;
}
