import {
  isHopeless,
  isTerminal,
  parseSacct,
  parseScontrol,
  parseSqueue,
  SQUEUE_FORMAT,
  type SlurmEnding,
  type SlurmStatus,
} from './job-states.js';
import {describeProblem, type SlurmCli} from './slurm-command.js';

/** How watching one Slurm job ended. */
export type WatchOutcome =
  | {readonly kind: 'ended'; readonly ending: SlurmEnding}
  /** Pending for a reason that means it can never start. */
  | {readonly kind: 'hopeless'; readonly status: SlurmStatus}
  /** Neither squeue, scontrol nor sacct knows the job any more. */
  | {readonly kind: 'lost'; readonly message: string}
  /** The controller did not answer for longer than allowed. */
  | {readonly kind: 'unreachable'; readonly message: string};

/** Settings of a {@link JobMonitor}. */
export interface MonitorOptions {
  readonly cli: SlurmCli;
  /** The first polls of a new job come this fast… */
  readonly pollMinMs: number;
  /** …and slow down to this as the job ages. */
  readonly pollMaxMs: number;
  /** How long squeue may keep failing before every watch fails. */
  readonly unreachableMs: number;
  /** Called when a watched job's state or reason changes. */
  readonly onChange?: (status: SlurmStatus) => void;
}

interface Watched {
  readonly id: string;
  /** When polling for it started (reset by `hurry`). */
  since: number;
  last: string;
  /** Consecutive polls that did not list it. */
  misses: number;
  settle(outcome: WatchOutcome): void;
}

/** Polls squeue this many times without seeing a job before asking others. */
const MISSES_BEFORE_LOST = 3;

/**
 * Watches submitted Slurm jobs until they end. One `squeue -t all` call per
 * tick covers every watched job, so polling costs the controller the same
 * for one job or a thousand. Each job is polled fast while it is young
 * (100 ms: trivial jobs finish in about a second) and more slowly as it
 * ages, up to `pollMaxMs`. A job that has ended is asked about once more
 * with scontrol (or sacct, when the cluster keeps accounting) for its exit
 * code.
 */
export class JobMonitor {
  readonly #options: MonitorOptions;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  /** Since when squeue has been failing; undefined while it answers. */
  #failingSince: number | undefined;
  #hasSacct: boolean | undefined;
  #closed = false;

  constructor(options: MonitorOptions) {
    this.#options = options;
  }

  /** How many jobs are being watched. */
  get size(): number {
    return this.#watched.size;
  }

  /** Resolves once job `id` has ended (or can no longer be followed). */
  watch(id: string): Promise<WatchOutcome> {
    return new Promise((settle) => {
      this.#watched.set(id, {
        id,
        since: Date.now(),
        last: '',
        misses: 0,
        settle: (outcome) => {
          this.#watched.delete(id);
          settle(outcome);
        },
      });
      this.#schedule();
    });
  }

  /** Polls job `id` fast again, e.g. right after cancelling it. */
  hurry(id: string): void {
    const watched = this.#watched.get(id);
    if (watched === undefined) return;
    watched.since = Date.now();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#schedule();
  }

  /** Stops polling; watches still open resolve as unreachable. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const watched of [...this.#watched.values()]) {
      watched.settle({kind: 'unreachable', message: 'the run stopped'});
    }
  }

  #schedule(): void {
    if (this.#closed || this.#ticking || this.#timer !== undefined) return;
    if (this.#watched.size === 0) return;
    const now = Date.now();
    let delay = this.#options.pollMaxMs;
    for (const watched of this.#watched.values()) {
      delay = Math.min(delay, this.#interval(now - watched.since));
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#tick();
    }, delay);
  }

  /** A quarter of the job's age, within [pollMinMs, pollMaxMs]. */
  #interval(ageMs: number): number {
    const {pollMinMs, pollMaxMs} = this.#options;
    return Math.min(pollMaxMs, Math.max(pollMinMs, ageMs / 4));
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    try {
      await this.#poll();
    } finally {
      this.#ticking = false;
      this.#schedule();
    }
  }

  async #poll(): Promise<void> {
    const ids = [...this.#watched.keys()];
    if (ids.length === 0) return;
    const result = await this.#options.cli('squeue', [
      '-h',
      '-t',
      'all',
      '-j',
      ids.join(','),
      '-o',
      SQUEUE_FORMAT,
    ]);
    let statuses: SlurmStatus[];
    if (result.ok) {
      statuses = parseSqueue(result.value.stdout);
    } else if (
      result.error.reason === 'exit-non-zero' &&
      /invalid job id/i.test(result.error.message)
    ) {
      // squeue fails this way when asked about one job it has purged.
      statuses = [];
    } else {
      const now = Date.now();
      this.#failingSince ??= now;
      if (now - this.#failingSince >= this.#options.unreachableMs) {
        const message = `${describeProblem(result.error)}, for ${Math.round((now - this.#failingSince) / 1000)} s`;
        for (const watched of [...this.#watched.values()]) {
          watched.settle({kind: 'unreachable', message});
        }
      }
      return;
    }
    this.#failingSince = undefined;
    const byId = new Map(statuses.map((s) => [s.id, s]));
    const endings: Promise<void>[] = [];
    for (const watched of [...this.#watched.values()]) {
      const status = byId.get(watched.id);
      if (status === undefined) {
        watched.misses++;
        if (watched.misses >= MISSES_BEFORE_LOST) {
          endings.push(this.#finish(watched, undefined));
        }
        continue;
      }
      watched.misses = 0;
      const text = `${status.state} ${status.reason}`;
      if (text !== watched.last) {
        watched.last = text;
        this.#options.onChange?.(status);
      }
      if (isTerminal(status.state)) {
        endings.push(this.#finish(watched, status));
      } else if (isHopeless(status)) {
        watched.settle({kind: 'hopeless', status});
      }
    }
    await Promise.all(endings);
  }

  /** Asks scontrol, then sacct, how an ended (or vanished) job ended. */
  async #finish(
    watched: Watched,
    seen: SlurmStatus | undefined,
  ): Promise<void> {
    const ending =
      (await this.#scontrol(watched.id)) ?? (await this.#sacct(watched.id));
    if (ending !== undefined && isTerminal(ending.state)) {
      watched.settle({kind: 'ended', ending});
    } else if (seen !== undefined) {
      watched.settle({
        kind: 'ended',
        ending: {...seen, exitCode: undefined, signal: undefined},
      });
    } else {
      watched.settle({
        kind: 'lost',
        message: `squeue, scontrol${this.#hasSacct === false ? '' : ' and sacct'} no longer know job ${watched.id} (was the controller restarted, or MinJobAge very short?)`,
      });
    }
  }

  async #scontrol(id: string): Promise<SlurmEnding | undefined> {
    const result = await this.#options.cli('scontrol', [
      'show',
      'job',
      '-o',
      id,
    ]);
    return result.ok ? parseScontrol(id, result.value.stdout) : undefined;
  }

  /** sacct answers only where slurmdbd keeps accounting; asked once. */
  async #sacct(id: string): Promise<SlurmEnding | undefined> {
    if (this.#hasSacct === false) return undefined;
    const result = await this.#options.cli('sacct', [
      '-n',
      '-X',
      '-P',
      '-j',
      id,
      '-o',
      'JobID,State,ExitCode,Reason',
    ]);
    if (!result.ok) {
      // "Slurm accounting storage is disabled": no point asking again.
      if (
        result.error.reason !== 'exit-non-zero' ||
        /disabled|not running|connection/i.test(result.error.message)
      ) {
        this.#hasSacct = false;
      }
      return undefined;
    }
    this.#hasSacct = true;
    return parseSacct(id, result.value.stdout);
  }
}
