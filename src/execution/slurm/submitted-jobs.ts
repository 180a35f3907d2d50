import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {join} from 'node:path';

import type {SlurmCli} from './slurm-command.js';

/** A Slurm job the head submitted and has not yet seen end. */
export interface SubmittedJob {
  readonly id: string;
  /** Its `--job-name`, unique per submission. */
  readonly name: string;
}

/**
 * The Slurm jobs in flight, one file each under `.neuromake/slurm/active/`,
 * written by the head (the only process that holds the workspace lock).
 * A head killed with -9 cannot cancel its jobs; the next run finds them
 * here and cancels them before it starts, so two heads' jobs never write
 * the same temporary files.
 */
export class SubmittedJobs {
  readonly #dir: string;

  constructor(slurmDir: string) {
    this.#dir = join(slurmDir, 'active');
  }

  add(job: SubmittedJob): void {
    mkdirSync(this.#dir, {recursive: true});
    writeFileSync(join(this.#dir, fileName(job.id)), `${job.name}\n`);
  }

  remove(id: string): void {
    rmSync(join(this.#dir, fileName(id)), {force: true});
  }

  /** Jobs a previous head left behind. */
  list(): SubmittedJob[] {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return [];
    }
    const out: SubmittedJob[] = [];
    for (const file of names) {
      if (!/^\d+(_\d+)?$/.test(file)) continue;
      try {
        const name = readFileSync(join(this.#dir, file), 'utf8').trim();
        out.push({id: file, name});
      } catch {
        // Removed meanwhile.
      }
    }
    return out;
  }
}

/** Slurm ids are digits (`123`, `123_4` in an array); nothing else is kept. */
function fileName(id: string): string {
  return id.replace(/[^0-9_]/g, '');
}

/**
 * Cancels the Slurm jobs a killed head left behind (see
 * {@link SubmittedJobs}). Call with the workspace lock held, before the run
 * cleans up temporary files; returns how many there were. Cheap when there
 * are none: no Slurm command runs.
 */
export async function cancelLeftovers(
  slurmDir: string,
  cli: SlurmCli,
): Promise<number> {
  const submitted = new SubmittedJobs(slurmDir);
  const leftovers = submitted.list();
  for (const job of leftovers) {
    // The name guards against a recycled id naming someone else's job.
    const result = await cli('scancel', [`--name=${job.name}`, job.id]);
    // Unreachable now: keep it, to try again next run.
    if (result.ok || result.error.reason === 'exit-non-zero') {
      submitted.remove(job.id);
    }
  }
  return leftovers.length;
}
