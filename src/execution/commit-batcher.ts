import type {StateStore} from '../cache/state-store.js';

/** The longest a finished job's outputs wait for their record's commit. */
const MAX_WAIT_MS = 10;

/** A batch commits at once when this many jobs wait on it. */
const MAX_JOBS = 256;

/** One commit that jobs wait on. */
interface Batch {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  jobs: number;
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

/**
 * Shares state-store commits between jobs that finish close together. A
 * finished job's record must be committed before its outputs are renamed
 * into place (the crash-safety rule: see JobRun), and a commit costs about
 * what a tiny job does, so jobs wait for a shared one. Waiting costs
 * nothing while other jobs are queued for the slots: what a published
 * output would unblock could not start any sooner. So a batch is committed
 * after at most {@link MAX_WAIT_MS}, or {@link MAX_JOBS} jobs, or as soon
 * as someone says that waiting would cost ({@link hurry}: nothing else to
 * start), whichever comes first.
 */
export class CommitBatcher {
  readonly #store: StateStore;
  #batch: Batch | undefined;

  constructor(store: StateStore) {
    this.#store = store;
  }

  /**
   * Resolves once every write queued in the store before this call is
   * committed; rejects when the commit fails. `mayWait`: whether delaying
   * the caller costs nothing now (other jobs wait to start).
   */
  durable(mayWait: boolean): Promise<void> {
    const batch = (this.#batch ??= newBatch());
    batch.jobs++;
    if (!mayWait || batch.jobs >= MAX_JOBS) {
      this.hurry();
    } else if (batch.timer === undefined && batch.immediate === undefined) {
      batch.timer = setTimeout(() => this.#commit(batch), MAX_WAIT_MS);
    }
    return batch.promise;
  }

  /** Commits the waiting batch without delay (still after this tick). */
  hurry(): void {
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
  return {promise, resolve, reject, jobs: 0};
}
