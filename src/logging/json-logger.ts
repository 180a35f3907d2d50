import type {EngineEvent, Logger} from './events.js';
import type {Output} from './format.js';
import {LineBatch} from './line-batch.js';

/** Options for `JsonLogger`. */
export interface JsonLoggerOptions {
  readonly stdout: Output;
  /** The clock stamped on each line; injectable for tests. */
  readonly now?: (() => Date) | undefined;
}

/**
 * Machine-readable output: exactly one JSON object per line on stdout, for
 * every event, and nothing else. Each object is the event itself with a
 * `time` field (ISO 8601) added; `time` comes first so lines sort and scan
 * well. Fields that are `undefined` are left out, as `JSON.stringify` does.
 * Lines logged in one turn of the event loop are written together
 * ({@link LineBatch}); {@link close} writes what is left.
 */
export class JsonLogger implements Logger {
  readonly #stdout: LineBatch;
  readonly #now: () => Date;
  #closed = false;

  constructor(options: JsonLoggerOptions) {
    this.#stdout = new LineBatch(options.stdout);
    this.#now = options.now ?? (() => new Date());
  }

  /** Writes the event as one line of JSON. */
  log(event: EngineEvent): void {
    if (this.#closed) return;
    // JSON.stringify escapes newlines inside strings, so a multi-line error
    // message still takes exactly one line.
    const line = JSON.stringify({time: this.#now().toISOString(), ...event});
    this.#stdout.push(`${line}\n`);
  }

  /** Writes the lines not yet written; later events are ignored. */
  close(): void {
    this.#stdout.flush();
    this.#closed = true;
  }
}
