import type {StateStore} from '../cache/state-store.js';

/** The longest a finished job's outputs wait for their record's commit. */
const MAX_WAIT_MS = 200;

/** A batch commits at once when this many jobs wait on it. */
const MAX_JOBS = 256;

/** One commit that jobs wait on. */
interface Batch {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  jobs: number;
  /** The highest urgency of the jobs waiting. */
  urgency: number;
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

/**
 * Shares state-store commits between jobs that finish close together. A
 * finished job's record must be committed before its outputs are renamed
 * into place (the crash-safety rule: see JobRun); a commit, and each row
 * in it, costs less the more jobs share it (about 35 µs of rows per job
 * in commits of ten, 15 µs in commits of hundreds), so jobs wait for a
 * shared one when waiting costs nothing: while other jobs wait for slots
 * that would start before anything the waiting jobs' outputs unblock.
 *
 * That is measured by urgency: a waiting job's is how its dependents rank
 * in the queue (their critical-path length), the bar is that of the best
 * job waiting for a slot (`bar`, -Infinity when none waits). A batch is
 * committed on the next turn of the event loop once no job waits for a
 * slot or a waiting job's urgency exceeds the bar ({@link check}), else
 * after at most {@link MAX_WAIT_MS} or {@link MAX_JOBS} jobs.
 */
export class CommitBatcher {
  readonly #store: StateStore;
  readonly #bar: () => number;
  readonly #maxWaitMs: number;
  #batch: Batch | undefined;

  /**
   * @param bar the urgency that queued work has now (see above).
   * @param maxWaitMs the longest a batch waits (tests make it long).
   */
  constructor(store: StateStore, bar: () => number, maxWaitMs = MAX_WAIT_MS) {
    this.#store = store;
    this.#bar = bar;
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * Resolves once every write queued in the store before this call is
   * committed; rejects when the commit fails. `urgency`: how soon what
   * the caller publishes may be needed (Infinity: at once).
   */
  durable(urgency: number): Promise<void> {
    const batch = (this.#batch ??= newBatch());
    batch.jobs++;
    batch.urgency = Math.max(batch.urgency, urgency);
    if (batch.jobs >= MAX_JOBS) this.#hurry();
    else this.check();
    if (batch.timer === undefined && batch.immediate === undefined) {
      batch.timer = setTimeout(() => this.#commit(batch), this.#maxWaitMs);
    }
    return batch.promise;
  }

  /**
   * Commits without delay (still after this tick) when the queued work no
   * longer goes before what the waiting jobs unblock: call it whenever the
   * queue changed.
   */
  check(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    const bar = this.#bar();
    if (bar === -Infinity || batch.urgency > bar) this.#hurry();
  }

  #hurry(): void {
    const batch = this.#batch;
    if (batch === undefined || batch.immediate !== undefined) return;
    clearTimeout(batch.timer);
    // Note: on the next turn of the event loop, not now, so that jobs
    // reaching this point in the same tick share the commit.
    batch.immediate = setImmediate(() => this.#commit(batch));
  }

  #commit(batch: Batch): void {
    if (this.#batch !== batch) return;
    this.#batch = undefined;
    clearTimeout(batch.timer);
    clearImmediate(batch.immediate);
    try {
      this.#store.flush();
      batch.resolve();
    } catch (err) {
      batch.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return {promise, resolve, reject, jobs: 0, urgency: -Infinity};
}
