import type Database from 'better-sqlite3';

import type {Sha256Hex} from '../util/hash.js';

/**
 * Blobs up to this size live as rows of the state database rather than as
 * files under .neuromake/store. Creating a file costs a few system calls
 * and an inode (about 30 µs a blob on ext4 here, for a 10,000-job run of
 * tiny outputs a third of a second); a row costs a few microseconds, and
 * it is written in the commit that records the job anyway. SQLite's own
 * measurements ("Internal Versus External BLOBs") find reads of blobs this
 * small faster from the database than from files, too.
 */
export const INLINE_BLOB_MAX = 64 * 1024;

/** A blob's hash and size, as gc lists them. */
export interface BlobSize {
  readonly hash: Sha256Hex;
  readonly size: number;
}

/**
 * The content store's small blobs, in the state database's `blobs` table.
 * Writes join the state store's queue, so a blob is committed in the same
 * transaction as the job record that refers to it, or an earlier one: a
 * crash never leaves a record whose blob is missing. Until then the bytes
 * are kept here, so a restore in the same run still finds them.
 */
export class BlobTable {
  readonly #queue: (write: () => void) => void;
  /** Blobs queued for the next commit. */
  readonly #pending = new Map<Sha256Hex, Buffer>();
  /**
   * Blobs this process saw committed: a DAG whose jobs write equal outputs
   * queues each once. (gc, which deletes rows, holds the workspace lock
   * that every run holds too.)
   */
  readonly #committed = new Set<Sha256Hex>();
  readonly #statements;

  constructor(db: Database.Database, queue: (write: () => void) => void) {
    this.#queue = queue;
    db.exec(
      'CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL)',
    );
    this.#statements = {
      put: db.prepare(
        'INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?, ?)',
      ),
      get: db.prepare('SELECT bytes FROM blobs WHERE hash = ?').pluck(),
      has: db.prepare('SELECT 1 FROM blobs WHERE hash = ?').pluck(),
      sizes: db.prepare('SELECT hash, length(bytes) AS size FROM blobs'),
      remove: db.prepare('DELETE FROM blobs WHERE hash = ?'),
    };
  }

  /** Stores `bytes` under `hash` with the next commit (once per hash). */
  put(hash: Sha256Hex, bytes: Buffer): void {
    if (this.#pending.has(hash) || this.#committed.has(hash)) return;
    this.#pending.set(hash, bytes);
    this.#queue(() => this.#statements.put.run(hash, bytes));
  }

  /**
   * Called by the state store after each attempt to commit its queue:
   * what was pending is either committed or, after a failed commit, gone
   * with the rest of that queue (so a later put of the same bytes queues
   * them again, and no record can commit without its blob).
   */
  settle(committed: boolean): void {
    if (committed) {
      for (const hash of this.#pending.keys()) this.#committed.add(hash);
    }
    this.#pending.clear();
  }

  /** The blob's bytes, queued or committed; undefined when it is not here. */
  get(hash: Sha256Hex): Buffer | undefined {
    return (
      this.#pending.get(hash) ??
      (this.#statements.get.get(hash) as Buffer | undefined)
    );
  }

  /** Whether the blob is queued or committed. */
  has(hash: Sha256Hex): boolean {
    return (
      this.#pending.has(hash) ||
      this.#committed.has(hash) ||
      this.#statements.has.get(hash) === 1
    );
  }

  /** Every committed blob's size, for gc (which flushes first). */
  sizes(): BlobSize[] {
    return this.#statements.sizes.all() as BlobSize[];
  }

  /**
   * Deletes blobs now, in one transaction (gc). Their pages stay in the
   * file until StateStore.compact.
   */
  remove(hashes: readonly Sha256Hex[]): void {
    const remove = this.#statements.remove;
    remove.database.transaction(() => {
      for (const hash of hashes) {
        remove.run(hash);
        this.#committed.delete(hash);
      }
    })();
  }
}
