import {type EngineEvent, mayWait, type Logger} from './events.js';
import type {Output} from './format.js';
import {LineBatch} from './line-batch.js';

/** Options for `JsonLogger`. */
export interface JsonLoggerOptions {
  readonly stdout: Output;
  /** The clock stamped on each line; injectable for tests. */
  readonly now?: (() => Date) | undefined;
}

/** Events with a field named `time`, which the line's own would clash with. */
type EventsWithTime = EngineEvent extends infer E
  ? E extends unknown
    ? 'time' extends keyof E
      ? E
      : never
    : never
  : never;

/** Fails to compile the day an event gains a `time` field. */
export const NO_EVENT_HAS_TIME: EventsWithTime extends never ? true : never =
  true;

/**
 * Machine-readable output: exactly one JSON object per line on stdout, for
 * every event, and nothing else. Each object is the event itself with a
 * `time` field (ISO 8601) added; `time` comes first so lines sort and scan
 * well. Fields that are `undefined` are left out, as `JSON.stringify` does.
 * Per-job lines are written in batches ({@link LineBatch}), each at most
 * 50 ms after it was logged; any other event's line is written at once,
 * with what waits before it. {@link close} writes what is left.
 */
export class JsonLogger implements Logger {
  readonly #stdout: LineBatch;
  readonly #now: (() => Date) | undefined;
  #closed = false;

  constructor(options: JsonLoggerOptions) {
    this.#stdout = new LineBatch(options.stdout);
    this.#now = options.now;
  }

  /** Writes the event as one line of JSON. */
  log(event: EngineEvent): void {
    if (this.#closed) return;

    // The event's own JSON with `time` spliced in first: the same text as
    // stringifying {time, ...event}, without copying the event (every
    // event has a `type`, so its JSON is never `{}`). JSON.stringify
    // escapes newlines inside strings, so a multi-line error message still
    // takes exactly one line.
    const body = JSON.stringify(event).slice(1);
    this.#stdout.push(`{"time":"${this.#time()}",${body}\n`);
    if (!mayWait(event)) this.#stdout.flush();
  }

  /** Writes the lines not yet written; later events are ignored. */
  close(): void {
    this.#stdout.flush();
    this.#closed = true;
  }

  #time(): string {
    return (this.#now?.() ?? new Date()).toISOString();
  }
}
