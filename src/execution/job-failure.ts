import {unreachable} from '../util/unreachable.js';

/** Why one attempt of a job failed: expected failures, as values. */
export type JobFailure =
  | {readonly reason: 'exit-non-zero'; readonly code: number}
  | {readonly reason: 'killed'; readonly signal: string}
  | {readonly reason: 'spawn-error'; readonly message: string}
  | {
      readonly reason: 'missing-output';
      readonly output: string;
      readonly path: string;
      /** What the job left there instead of a regular file, if anything. */
      readonly found?: 'directory' | 'special file';
      /**
       * The temporary path stayed empty, but the final path was written
       * while the job ran: the command names its output itself instead of
       * using `{outputs.NAME}`.
       */
      readonly wroteFinal?: true;
    }
  | {readonly reason: 'task-error'; readonly message: string}
  | {readonly reason: 'input-missing'; readonly path: string}
  | {readonly reason: 'interrupted'}
  /**
   * It was queued behind another job (ActionRequest.behind) that did not
   * succeed, or was taken back: it never started, and waits to run again.
   */
  | {readonly reason: 'not-started'}
  /** Watch mode: it failed with this very key before; edit to retry. */
  | {readonly reason: 'unchanged-since-failure'}
  /**
   * It has to run (no fresh or stored outputs fit), but asks for more than
   * the run's whole budget.
   */
  | {readonly reason: 'over-budget'; readonly message: string}
  /** The job's executor cannot run here (a Slurm step in watch mode). */
  | {readonly reason: 'executor-unavailable'; readonly message: string}
  /** sbatch refused the job, or Slurm says it can never start. */
  | {
      readonly reason: 'slurm-rejected';
      readonly message: string;
      /** The Slurm job id when it was queued before being found hopeless. */
      readonly slurmJob?: string | undefined;
    }
  /** The Slurm job ended in a state other than COMPLETED with exit 0. */
  | {
      readonly reason: 'slurm-failed';
      readonly slurmJob: string;
      /** FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, … */
      readonly state: string;
      /** Slurm's reason field, e.g. NonZeroExitCode; '' when none. */
      readonly slurmReason: string;
      /** The batch script's exit code and signal, when Slurm reports them. */
      readonly exitCode: number | undefined;
      readonly signal: number | undefined;
      /** The job's Slurm log (its stdout and stderr on the node). */
      readonly log: string;
      /** What the node said went wrong (`command exited with code 1`). */
      readonly detail?: string | undefined;
    }
  /** Slurm's commands did not answer in time, or lost track of the job. */
  | {readonly reason: 'slurm-unreachable'; readonly message: string};

/** A one-line description of a failure. */
export function describeFailure(f: JobFailure): string {
  switch (f.reason) {
    case 'exit-non-zero':
      return `command exited with code ${f.code}`;
    case 'killed':
      return `command was killed by ${f.signal}`;
    case 'spawn-error':
      return `command could not start: ${f.message}`;
    case 'missing-output':
      if (f.wroteFinal === true) {
        return `wrote ${f.path} itself instead of output "${f.output}": write each output to the path {outputs.${f.output}} gives (a temporary name, renamed to ${f.path} once the job succeeds)`;
      }
      return f.found === undefined
        ? `finished without writing output "${f.output}" (${f.path})`
        : `wrote output "${f.output}" (${f.path}) as a ${f.found}, not a regular file: an output is one file`;
    case 'task-error':
      return f.message;
    case 'input-missing':
      return `input ${f.path} disappeared before the job started`;
    case 'interrupted':
      return 'interrupted';
    case 'not-started':
      return 'not started (it was queued behind a job that did not succeed)';
    case 'unchanged-since-failure':
      return 'failed before with the same inputs, params and code; not retried until one of them changes';
    case 'executor-unavailable':
      return f.message;
    case 'over-budget':
      return `it has to run but does not fit the budget: it ${f.message}`;
    case 'slurm-rejected':
      return `Slurm refused ${f.slurmJob === undefined ? 'the job' : `job ${f.slurmJob}`}: ${f.message}`;
    case 'slurm-failed':
      return `Slurm job ${f.slurmJob} ended ${f.state}${describeExit(f.exitCode, f.signal)}${f.slurmReason === '' || f.slurmReason === 'None' ? '' : ` (${f.slurmReason})`}${f.detail === undefined ? '' : `: ${f.detail}`}; Slurm log: ${f.log}`;
    case 'slurm-unreachable':
      return `Slurm did not answer: ${f.message}`;
    default:
      return unreachable(f);
  }
}

function describeExit(
  code: number | undefined,
  signal: number | undefined,
): string {
  if (signal !== undefined && signal !== 0) return ` by signal ${signal}`;
  return code === undefined ? '' : ` with exit code ${code}`;
}
