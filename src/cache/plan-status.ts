import type {Job} from '../graph/job.js';
import type {Sha256Hex} from '../util/hash.js';
import {
  evaluateJob,
  type EvaluationContext,
  type Verdict,
} from './evaluate-job.js';

/** A job's state as `status`, `why` and `run -n` report it. */
export interface JobStatus {
  readonly job: Job;
  readonly verdict: Verdict;
}

/**
 * Evaluates jobs in topological order without running anything. An
 * upstream job that would restore passes on the hashes it would restore;
 * one that would run leaves its dependents `waiting`, since its new outputs
 * (and so early cutoff) cannot be known before it runs.
 */
export async function planStatus(
  jobs: readonly Job[],
  context: Omit<EvaluationContext, 'producedHash'>,
  forced: ReadonlySet<Job>,
): Promise<JobStatus[]> {
  const hashes = new Map<string, Sha256Hex>();
  const full: EvaluationContext = {
    ...context,
    producedHash: (path) => hashes.get(path),
  };
  const statuses: JobStatus[] = [];
  for (const job of jobs) {
    const evaluated = evaluateJob(job, full, forced.has(job));
    // Most verdicts come back directly; awaiting those too would cost a
    // microtask per job.
    const verdict = evaluated instanceof Promise ? await evaluated : evaluated;
    const outputs =
      verdict.kind === 'fresh'
        ? verdict.outputs
        : verdict.kind === 'restore'
          ? verdict.entry.outputs
          : undefined;
    for (const [name, path] of job.outputs) {
      const hash = outputs?.[name]?.hash;
      if (hash !== undefined) hashes.set(path, hash);
    }
    statuses.push({job, verdict});
  }
  return statuses;
}
