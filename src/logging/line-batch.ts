import type {Output} from './format.js';

/** A batch is written at once when it holds this many characters. */
const MAX_CHARS = 64 * 1024;

/** Batches with lines not yet written, for the exit hook. */
const unwritten = new Set<LineBatch>();
let exitHooked = false;

/**
 * Lines for one output, written together on the next turn of the event
 * loop instead of one write each. A pipe wakes its reader on every write,
 * which on a busy machine costs both sides more than the line itself: a
 * run of tiny jobs logs three events per job, all in the same turn.
 * Whatever is left when the process exits (even through an uncaught
 * error) is written by an exit hook, so no line is lost.
 */
export class LineBatch {
  readonly #out: Output;
  #lines: string[] = [];
  #chars = 0;
  #scheduled: NodeJS.Immediate | undefined;

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
      this.#scheduled = setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
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
