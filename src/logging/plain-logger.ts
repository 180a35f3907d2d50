import {shellQuote} from '../util/shell-quote.js';
import {unreachable} from '../util/unreachable.js';
import {type EngineEvent, mayWait, type Logger} from './events.js';
import {
  formatCount,
  formatDiagnosticFallback,
  formatDiagnostics,
  formatDuration,
  formatSummary,
  palette,
  type DiagnosticFormatter,
  type Output,
  type Palette,
} from './format.js';
import {LineBatch} from './line-batch.js';

/** Options shared by the human-readable loggers. */
export interface PlainLoggerOptions {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Use ANSI colours. Off by default: pipes and CI logs get plain text. */
  readonly color?: boolean | undefined;
  /**
   * Also print job starts (the TTY logger shows those in its live view),
   * fresh and skipped jobs, and the plan.
   */
  readonly verbose?: boolean | undefined;
  /** Renders diagnostics; defaults to `formatDiagnosticFallback`. */
  readonly formatDiagnostic?: DiagnosticFormatter | undefined;
}

/** A line for one of the two streams. */
export interface Line {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, {type: T}>;

// Labels are padded to one width so that job ids line up in a column.
const LABEL_WIDTH = 9;

function label(word: string, paint: (s: string) => string): string {
  return paint(word) + ' '.repeat(Math.max(1, LABEL_WIDTH - word.length));
}

/** Indents every line but the first, so a multi-line message stays grouped. */
function indentRest(text: string): string {
  return text.replace(/\n/g, `\n${' '.repeat(LABEL_WIDTH)}`);
}

/** `ran      mask[subject=03] (1.2 s)`, or `restored …`, or `fresh …`. */
function formatJobDone(e: Of<'job-done'>, p: Palette): string {
  const paint =
    e.outcome === 'ran' ? p.green : e.outcome === 'restored' ? p.cyan : p.dim;
  const extra = e.unchanged === true ? ', unchanged' : '';
  const time =
    e.outcome === 'fresh' ? '' : ` (${formatDuration(e.ms)}${extra})`;
  return `${label(e.outcome, paint)}${e.job}${p.dim(time)}`;
}

/**
 * A failure: `failed   job: reason: message`, then the log's path on its own
 * line so that it is easy to copy. A failure that will be retried says so.
 */
function formatJobFailed(e: Of<'job-failed'>, p: Palette): string {
  const word = e.willRetry ? 'retrying' : 'failed';
  const paint = e.willRetry ? p.yellow : (s: string) => p.red(p.bold(s));
  const tries = e.attempts === undefined ? '' : ` (${e.attempts} attempts)`;
  const head = `${label(word, paint)}${e.job}${tries}: ${e.reason}: ${e.message}`;
  const pad = ' '.repeat(LABEL_WIDTH);
  const tail = (e.tail ?? []).map((line) => `\n${pad}${p.dim('|')} ${line}`);
  const log = e.log === undefined ? '' : `\n${pad}log: ${shellQuote(e.log)}`;
  return indentRest(head) + tail.join('') + log;
}

/** `warning: [job] message`. */
function formatWarning(e: Of<'warning'>, p: Palette): string {
  const job = e.job === undefined ? '' : `${e.job}: `;
  return `${p.yellow('warning')}: ${job}${e.message}`;
}

/** `planned 120 jobs in 4 steps (35 ms)`, or `… (up to date: no-op stamp)`. */
function formatPlan(e: Of<'plan'>): string {
  const how = e.fromStamp === true ? 'up to date by the no-op stamp, ' : '';
  return `planned ${formatCount(e.jobs, 'job')} in ${formatCount(e.steps, 'step')} (${how}${formatDuration(e.planMs)})`;
}

/** How a human-readable logger renders lines ({@link eventLines}). */
export interface LineOptions {
  readonly palette: Palette;
  readonly verbose: boolean;
  /** Starts and progress are shown in a live view, not as lines. */
  readonly live: boolean;
  readonly formatDiagnostic: DiagnosticFormatter;
}

/** The line options of a plain (`live` false) or TTY logger. */
export function lineOptions(
  options: PlainLoggerOptions,
  live: boolean,
): LineOptions {
  const color = options.color ?? false;
  return {
    palette: palette(color),
    verbose: options.verbose ?? false,
    live,
    formatDiagnostic:
      options.formatDiagnostic ?? ((d) => formatDiagnosticFallback(d, color)),
  };
}

/**
 * Turns an event into the permanent lines a human-readable logger prints for
 * it; shared by the plain and TTY loggers so that both read alike. The TTY
 * logger shows starts and progress in its live view instead, so it passes
 * `live` to leave them out.
 */
export function eventLines(event: EngineEvent, opts: LineOptions): Line[] {
  const p = opts.palette;
  const out = (text: string): Line[] => [{stream: 'stdout', text}];
  const err = (text: string): Line[] => [{stream: 'stderr', text}];
  switch (event.type) {
    case 'diagnostics': {
      const text = formatDiagnostics(event.diagnostics, opts.formatDiagnostic);
      return text === '' ? [] : err(text.replace(/\n$/, ''));
    }
    case 'plan':
      return opts.verbose ? out(formatPlan(event)) : [];
    case 'job-start': {
      if (!opts.verbose || opts.live) return [];
      const again = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
      return out(`${label('start', p.dim)}${event.job}${again}`);
    }
    case 'job-progress':
      // Tasks may report progress many times a second: too much for a log.
      return [];
    case 'job-done':
      if (event.outcome === 'fresh' && !opts.verbose) return [];
      return out(formatJobDone(event, p));
    case 'job-failed':
      return err(formatJobFailed(event, p));
    case 'job-skipped':
      // After an early failure thousands of jobs may be skipped; the summary
      // counts them.
      if (!opts.verbose) return [];
      return out(`${label('skipped', p.dim)}${event.job} (${event.because})`);
    case 'warning':
      return err(formatWarning(event, p));
    case 'info':
      return event.verbose === true && !opts.verbose ? [] : out(event.message);
    case 'job-planned': {
      const verb = event.action === 'run' ? 'would run' : 'would restore';
      const why = event.reasons.map((r) => `\n    ${r}`).join('');
      return out(`${label(verb, p.cyan)}${event.job}${why}`);
    }
    case 'watch-idle':
      return out(
        p.dim(
          `watching ${event.files} files and ${event.directories} directories for changes (Ctrl-C to stop)`,
        ),
      );
    case 'watch-change': {
      const [first] = event.paths;
      const more =
        event.paths.length > 1 ? ` and ${event.paths.length - 1} more` : '';
      const when = event.queued ? ' (queued until the current run ends)' : '';
      return out(`${label('changed', p.cyan)}${first ?? ''}${more}${when}`);
    }
    case 'run-end': {
      const paint = event.failed > 0 || event.interrupted ? p.red : p.green;
      return out(paint(formatSummary(event)));
    }
    default:
      return unreachable(event);
  }
}

/**
 * The logger for pipes and CI: one line per meaningful event, no cursor
 * movement, and no colour unless asked for. Failures, warnings and
 * diagnostics go to stderr; everything else to stdout, per-job lines in
 * batches (a run of tiny jobs prints a line per job: {@link LineBatch}).
 * Any other event writes what waits at once, and a line for stderr first
 * writes what stdout holds, so the two read in order when they go to one
 * place (`2>&1`), with what the CLI writes itself too.
 */
export class PlainLogger implements Logger {
  readonly #stdout: LineBatch;
  readonly #stderr: Output;
  readonly #opts: LineOptions;
  #closed = false;

  constructor(options: PlainLoggerOptions) {
    this.#stdout = new LineBatch(options.stdout);
    this.#stderr = options.stderr;
    this.#opts = lineOptions(options, false);
  }

  /** Prints the event's lines, if it has any. */
  log(event: EngineEvent): void {
    if (this.#closed) return;
    for (const line of eventLines(event, this.#opts)) {
      if (line.stream === 'stdout') {
        this.#stdout.push(`${line.text}\n`);
      } else {
        this.#stdout.flush();
        this.#stderr.write(`${line.text}\n`);
      }
    }
    if (!mayWait(event)) this.#stdout.flush();
  }

  /** Writes what stdout holds; later events are ignored. */
  close(): void {
    this.#stdout.flush();
    this.#closed = true;
  }
}
