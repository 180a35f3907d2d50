import type {Output} from './format.js';

/** A batch is written at once when it holds this many characters. */
const MAX_CHARS = 64 * 1024;

/**
 * How long a line may wait to be written, in ms. Short enough that a
 * person or a program following the output sees no lag; long enough that
 * a run finishing hundreds of tiny jobs a second writes a few times per
 * second, not once per job.
 */
export const FLUSH_MS = 50;

/** Batches with lines not yet written, for the exit hook. */
const unwritten = new Set<LineBatch>();
let exitHooked = false;

/**
 * Lines for one output, written together at most {@link FLUSH_MS} after
 * the first of them instead of one write each (loggers write at once for
 * events that are not per job: {@link mayWait}). A pipe wakes its reader on
 * every write, which on a busy machine costs both sides more than the
 * line itself: a run of tiny jobs logs three events per job, and measured
 * on 10,000 `cp` jobs, a write per event-loop turn cost the runner 0.25 s
 * of CPU more than this. The timer holds no reference on the event loop,
 * and whatever is left when the process exits (even through an uncaught
 * error) is written by an exit hook, so no line is lost and no exit
 * waits.
 */
export class LineBatch {
  readonly #out: Output;
  #lines: string[] = [];
  #chars = 0;
  #scheduled: NodeJS.Timeout | undefined;

  constructor(out: Output) {
    this.#out = out;
  }

  /** Queues one line (with its newline). */
  push(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= MAX_CHARS) {
      this.flush();
      return;
    }
    if (this.#scheduled === undefined) {
      hookExit();
      unwritten.add(this);
      this.#scheduled = setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.#scheduled !== undefined) clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    unwritten.delete(this);
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    this.#out.write(text);
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const batch of [...unwritten]) batch.flush();
  });
}
