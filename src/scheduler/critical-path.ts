import type {Job} from '../graph/job.js';

/**
 * For each job, the longest estimated time from its start to the end of
 * the run along its dependents. Starting the job with the longest such
 * path first keeps the slowest chain moving, which shortens the whole run.
 * Estimates are the last recorded durations (1 ms when unknown).
 */
export function criticalPathLengths(
  jobs: readonly Job[],
  estimateMs: (job: Job) => number,
): Map<Job, number> {
  const lengths = new Map<Job, number>();
  // `jobs` is in topological order, so walking it backwards sees every
  // dependent before the job itself.
  for (let i = jobs.length - 1; i >= 0; i--) {
    const job = jobs[i]!;
    let tail = 0;
    for (const next of job.dependents) {
      tail = Math.max(tail, lengths.get(next) ?? 0);
    }
    lengths.set(job, tail + Math.max(1, estimateMs(job)));
  }
  return lengths;
}
