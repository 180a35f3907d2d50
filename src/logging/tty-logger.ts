import type {EngineEvent, Logger} from './events.js';
import {
  formatDuration,
  percent,
  shortenJobId,
  truncateVisible,
  visibleLength,
  type Output,
  type Palette,
  type TerminalOutput,
} from './format.js';
import {
  eventLines,
  lineOptions,
  type Line,
  type LineOptions,
  type PlainLoggerOptions,
} from './plain-logger.js';

/** Starts and stops the redraw timer; injectable so tests control time. */
export interface Scheduler {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Options for `TtyLogger`. */
export interface TtyLoggerOptions extends PlainLoggerOptions {
  readonly stdout: TerminalOutput;
  /** Milliseconds on a monotonic clock, for running jobs' elapsed time. */
  readonly now?: (() => number) | undefined;
  readonly scheduler?: Scheduler | undefined;
  /** How often the live view may be redrawn; 100 ms by default. */
  readonly refreshMs?: number | undefined;
  /** Running jobs listed before collapsing the rest into `+k more`. */
  readonly maxRunning?: number | undefined;
}

/** Moves the cursor up one line and clears that line. */
export const ERASE_LINE = '\x1b[1A\x1b[2K';

const BAR_WIDTH = 10;

/**
 * The default scheduler. The timer is unref'd so that a forgotten `close()`
 * never keeps the process alive; the check is there because mocked timers
 * (node:test's `mock.timers`) hand back objects without `unref`.
 */
const realScheduler: Scheduler = {
  setInterval(callback, ms) {
    const handle: Partial<NodeJS.Timeout> = setInterval(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as NodeJS.Timeout);
  },
};

interface Running {
  readonly since: number;
  progress?: {done: number; total: number; message: string | undefined};
}

/**
 * The interactive view: permanent lines (completed jobs, failures, warnings)
 * scroll as in the plain logger, and below them a live block shows the
 * overall progress and every running job. The block is redrawn at most once
 * per `refreshMs`, and each redraw is written as one chunk (erase, new
 * permanent lines, block) so that the terminal never shows it half-drawn.
 */
export class TtyLogger implements Logger {
  readonly #stdout: TerminalOutput;
  readonly #stderr: Output;
  readonly #palette: Palette;
  readonly #lineOptions: LineOptions;
  readonly #now: () => number;
  readonly #scheduler: Scheduler;
  readonly #refreshMs: number;
  readonly #maxRunning: number;

  readonly #running = new Map<string, Running>();
  #total: number | undefined;
  #finished = 0;
  #failed = 0;
  /** Permanent lines waiting for the next redraw. */
  #pending: Line[] = [];
  /** How many lines of live block are on screen, above the cursor. */
  #drawn = 0;
  #lastBlock = '';
  /** Between a plan (or first job start) and run-end: show the block. */
  #active = false;
  #timer: unknown = undefined;
  #closed = false;

  constructor(options: TtyLoggerOptions) {
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#lineOptions = lineOptions(options, true);
    this.#palette = this.#lineOptions.palette;
    this.#now = options.now ?? (() => performance.now());
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#refreshMs = options.refreshMs ?? 100;
    this.#maxRunning = Math.max(1, options.maxRunning ?? 8);
  }

  /** Records the event; its lines appear at the next redraw. */
  log(event: EngineEvent): void {
    if (this.#closed) return;
    this.#track(event);
    this.#pending.push(...eventLines(event, this.#lineOptions));
    if (event.type === 'run-end') {
      // The run is over: take the block down and print the summary now.
      this.#active = false;
      this.#running.clear();
      this.#stopTimer();
      this.#render();
    } else if (!this.#active) {
      // No live block to keep steady, so there is nothing to throttle.
      this.#render();
    } else if (this.#timer === undefined) {
      this.#timer = this.#scheduler.setInterval(() => {
        this.#render();
      }, this.#refreshMs);
    }
  }

  /** Erases the live block, prints what is pending (the summary) and stops. */
  close(): void {
    if (this.#closed) return;
    this.#stopTimer();
    this.#active = false;
    this.#render();
    this.#closed = true;
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    this.#scheduler.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #track(event: EngineEvent): void {
    switch (event.type) {
      case 'plan':
        // A watch loop plans again for each run: start counting afresh.
        this.#total = event.jobs;
        this.#finished = 0;
        this.#failed = 0;
        this.#running.clear();
        this.#active = true;
        break;
      case 'job-start':
        this.#running.set(event.job, {since: this.#now()});
        this.#active = true;
        break;
      case 'job-progress': {
        const entry = this.#running.get(event.job) ?? {since: this.#now()};
        entry.progress = {
          done: event.done,
          total: event.total,
          message: event.message,
        };
        this.#running.set(event.job, entry);
        break;
      }
      case 'job-done':
      case 'job-skipped':
        this.#running.delete(event.job);
        this.#finished++;
        break;
      case 'job-failed':
        this.#running.delete(event.job);
        if (!event.willRetry) {
          this.#finished++;
          this.#failed++;
        }
        break;
      default:
        break;
    }
  }

  /** Writes one frame: erase the old block, pending lines, the new block. */
  #render(): void {
    const block = this.#active ? this.#blockLines() : [];
    const blockText = block.map((line) => `${line}\n`).join('');
    if (this.#pending.length === 0 && blockText === this.#lastBlock) return;
    let chunk = ERASE_LINE.repeat(this.#drawn);
    for (const line of this.#pending) {
      if (line.stream === 'stdout') {
        chunk += `${line.text}\n`;
        continue;
      }
      // stderr is a separate stream: flush stdout first to keep the order.
      if (chunk !== '') this.#stdout.write(chunk);
      chunk = '';
      this.#stderr.write(`${line.text}\n`);
    }
    chunk += blockText;
    if (chunk !== '') this.#stdout.write(chunk);
    this.#pending = [];
    this.#drawn = block.length;
    this.#lastBlock = blockText;
  }

  #blockLines(): string[] {
    const p = this.#palette;
    // One column short of the width: a line that fills the row exactly makes
    // some terminals wrap, and then the erase would miss a line.
    const width = Math.max(20, (this.#stdout.columns || 80) - 1);
    const lines = [this.#statusLine()];
    const now = this.#now();
    const idWidth = Math.max(12, width - 34);
    const shown = [...this.#running].slice(0, this.#maxRunning);
    const ids = shown.map(([job]) => shortenJobId(job, idWidth));
    // Pad ids to one width so that elapsed times and bars form columns.
    const idColumn = Math.max(0, ...ids.map(visibleLength));
    shown.forEach(([, entry], i) => {
      const id = ids[i]!;
      const gap = ' '.repeat(idColumn - visibleLength(id));
      const elapsed = p.dim(formatDuration(now - entry.since).padStart(8));
      lines.push(`  ${id}${gap} ${elapsed}${this.#progressText(entry)}`);
    });
    const more = this.#running.size - shown.length;
    if (more > 0) lines.push(p.dim(`  +${more} more`));
    return lines.map((line) => truncateVisible(line, width));
  }

  /** `[ 45/120] 37% · 2 running · 3 failed`. */
  #statusLine(): string {
    const p = this.#palette;
    const total = this.#total === undefined ? '?' : String(this.#total);
    const done = String(this.#finished).padStart(total.length);
    const pct =
      this.#total === undefined
        ? ''
        : ` ${percent(this.#finished, this.#total)}%`;
    const parts = [`${p.bold(`[${done}/${total}]`)}${pct}`];
    parts.push(`${this.#running.size} running`);
    if (this.#failed > 0) parts.push(p.red(`${this.#failed} failed`));
    return parts.join(' · ');
  }

  /** ` [████░░░░░░]  40% message`, or just the message without a total. */
  #progressText(entry: Running): string {
    const progress = entry.progress;
    if (progress === undefined) return '';
    const message =
      progress.message === undefined ? '' : ` ${progress.message}`;
    if (!(progress.total > 0)) return `  ${progress.done}${message}`;
    const pct = percent(progress.done, progress.total);
    const filled = Math.round((pct / 100) * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const pctText = `${pct}%`.padStart(4);
    return `  ${this.#palette.green(bar)} ${pctText}${message}`;
  }
}
