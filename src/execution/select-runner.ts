import type {Job} from '../graph/job.js';
import type {ExecutorName} from '../pipeline/spec.js';
import type {ActionRunner} from './action-runner.js';

/** Where a job runs: its step's `executor:`, else the run's default. */
export function executorOf(job: Job, fallback: ExecutorName): ExecutorName {
  return job.step.executor ?? fallback;
}

/** The runners of one run, by executor. */
export interface Runners {
  readonly local: ActionRunner;
  /** Absent where this command cannot submit to Slurm (watch mode). */
  readonly slurm?: ActionRunner | undefined;
  /** Where steps without `executor:` run (`--executor`). */
  readonly fallback: ExecutorName;
}

/**
 * Picks each job's runner. A job bound for Slurm when there is no Slurm
 * runner fails with a message instead of silently running here.
 */
export function selectRunner(runners: Runners): (job: Job) => ActionRunner {
  const unavailable: ActionRunner = {
    run: ({job}) =>
      Promise.resolve({
        reason: 'executor-unavailable',
        message: `step "${job.step.id}" runs on Slurm (executor: slurm), which only \`neuromake run\` submits to; TODO(#7): watch mode`,
      }),
  };
  return (job) =>
    executorOf(job, runners.fallback) === 'slurm'
      ? (runners.slurm ?? unavailable)
      : runners.local;
}
