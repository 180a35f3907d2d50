import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import type {SlurmCli} from './slurm-command.js';

/** A Slurm job the head is submitting or has submitted, until it ends. */
export interface SubmittedJob {
  /** Its `--job-name`: unique per submission, so it names just this job. */
  readonly name: string;
  /** Undefined until sbatch has answered. */
  readonly id: string | undefined;
}

/** What a job name may hold; {@link jobName} makes sure of it. */
const NAME = /^nm-[A-Za-z0-9._-]+$/;

/**
 * A Slurm job name for a submission: `nm-<readable>-<unique>`, in letters,
 * digits, `.`, `_` and `-` only (commas would split Slurm's name lists).
 */
export function jobName(readable: string, unique: string): string {
  return `nm-${readable.replace(/[^A-Za-z0-9._-]/g, '_')}-${unique}`;
}

/**
 * The Slurm jobs in flight, one file each under `.neuromake/slurm/active/`
 * named by job name and holding the id, written by the head (the only
 * process that holds the workspace lock). The file is written before
 * sbatch runs, so no submission goes unrecorded. A head killed with -9
 * cannot cancel its jobs; the next run finds them here and cancels them
 * first, so a dead head's jobs never write temporary files the new run
 * has deleted.
 */
export class SubmittedJobs {
  readonly #dir: string;

  constructor(slurmDir: string) {
    this.#dir = join(slurmDir, 'active');
  }

  /** Records a submission about to happen, or its id once known. */
  record(job: SubmittedJob): void {
    if (!NAME.test(job.name)) {
      throw new Error(`Internal error: bad Slurm job name ${job.name}`);
    }
    mkdirSync(this.#dir, {recursive: true});
    writeFileSync(join(this.#dir, job.name), `${job.id ?? ''}\n`);
  }

  remove(name: string): void {
    if (NAME.test(name)) rmSync(join(this.#dir, name), {force: true});
  }

  /** Jobs a previous head left behind. */
  list(): SubmittedJob[] {
    let files: string[];
    try {
      files = readdirSync(this.#dir);
    } catch {
      return [];
    }
    const out: SubmittedJob[] = [];
    for (const name of files.sort()) {
      if (!NAME.test(name)) continue;
      try {
        const text = readFileSync(join(this.#dir, name), 'utf8').trim();
        out.push({name, id: /^\d+$/.test(text) ? text : undefined});
      } catch {
        // Removed meanwhile.
      }
    }
    return out;
  }
}

/**
 * Cancels the Slurm jobs a killed head left behind (see
 * {@link SubmittedJobs}) and waits, up to `waitMs`, until Slurm no longer
 * lists them as queued, running or completing, so none can write a
 * temporary file after the run has deleted it. Call with the workspace
 * lock held, before the run cleans up; returns how many there were. Cheap
 * when there are none: no Slurm command runs.
 */
export async function cancelLeftovers(
  slurmDir: string,
  cli: SlurmCli,
  waitMs: number,
): Promise<number> {
  const submitted = new SubmittedJobs(slurmDir);
  const leftovers = submitted.list();
  if (leftovers.length === 0) return 0;
  const cancelled: SubmittedJob[] = [];
  for (const job of leftovers) {
    // By name, unique to the submission, so a recycled id is never hit;
    // the id, when known, narrows it further.
    const result = await cli('scancel', [
      `--name=${job.name}`,
      ...(job.id === undefined ? [] : [job.id]),
    ]);
    // Unreachable now: keep it, to try again next run.
    if (result.ok || result.error.reason === 'exit-non-zero') {
      cancelled.push(job);
    }
  }
  const ids = cancelled.flatMap((j) => (j.id === undefined ? [] : [j.id]));
  const deadline = Date.now() + waitMs;
  let pause = 100;
  while (ids.length > 0 && Date.now() < deadline) {
    // Plain squeue lists only jobs that have not ended (COMPLETING too).
    const listed = await cli('squeue', ['-h', '-j', ids.join(','), '-o', '%i']);
    if (listed.ok && listed.value.stdout.trim() === '') break;
    // It has forgotten them (or cannot say): only a slow answer waits on.
    if (!listed.ok && listed.error.reason !== 'timed-out') break;
    await sleep(pause);
    pause = Math.min(pause * 2, 2000);
  }
  for (const job of cancelled) submitted.remove(job.name);
  return leftovers.length;
}
