import {readFileSync, statSync, type Stats} from 'node:fs';
import {resolve} from 'node:path';

import {SMALL_FILE, sha256, sha256File, type Sha256Hex} from '../util/hash.js';
import type {FileStamp, StateStore} from './state-store.js';

/** A workspace file's content hash, or why there is none. */
export type FileHash =
  | {readonly ok: true; readonly hash: Sha256Hex; readonly size: number}
  | {readonly ok: false; readonly reason: 'missing' | 'not-a-file'};

/**
 * Content hashes of workspace files, memoized in the state store by
 * (path, size, mtime, inode, ctime): an unchanged file is stat'ed, never reread,
 * so a no-op rerun does not touch the bytes of large NIfTI files.
 */
export class FileHasher {
  readonly #workspace: string;
  readonly #store: StateStore;
  /** Hashes computed in this process, by path, to share concurrent work. */
  readonly #inFlight = new Map<string, Promise<FileHash>>();

  constructor(workspace: string, store: StateStore) {
    this.#workspace = workspace;
    this.#store = store;
  }

  /** Hashes `path` (workspace-relative), reusing the memo when valid. */
  hash(path: string): Promise<FileHash> | FileHash {
    const stats = this.#stat(path);
    if (stats === undefined) return {ok: false, reason: 'missing'};
    if (!stats.isFile()) return {ok: false, reason: 'not-a-file'};
    const stamp = stampOf(stats);
    const memo = this.#store.file(path);
    if (memo !== undefined && sameStamp(memo, stamp)) {
      return {ok: true, hash: memo.hash, size: memo.size};
    }
    const running = this.#inFlight.get(path);
    if (running !== undefined) return running;
    if (stamp.size <= SMALL_FILE) return this.#rehashNow(path, stamp);
    const promise = this.#rehash(path, stamp);
    this.#inFlight.set(path, promise);
    return promise;
  }

  /**
   * Whether `path` still is the file hashed as `hash`: its memo holds that
   * hash and its stat has not moved since (a job's inputs, checked once
   * it ran: one stat, no read). False when unsure.
   */
  unchanged(path: string, hash: Sha256Hex): boolean {
    const stats = this.#stat(path);
    const memo = this.#store.file(path);
    return (
      stats !== undefined &&
      memo !== undefined &&
      memo.hash === hash &&
      sameStamp(memo, stampOf(stats))
    );
  }

  /**
   * The hash `path` held when it had the stat `before`, if the memo knows
   * it (it does for an output neuromake wrote or restored); undefined
   * when the memo is of another version or there is none.
   */
  heldBefore(path: string, before: FileStamp): Sha256Hex | undefined {
    const memo = this.#store.file(path);
    return memo !== undefined && sameStamp(memo, stampOf(before))
      ? memo.hash
      : undefined;
  }

  /**
   * Records a hash we already know (an output we just wrote and hashed, or
   * restored from the store), so the next run needs only a stat. `stamp`:
   * the file's stamp when it was hashed, if known (a rename keeps it); if
   * not, the file is stat'ed now.
   */
  remember(path: string, hash: Sha256Hex, stamp?: FileStamp): void {
    const known = stamp ?? this.#stat(path);
    if (known === undefined) return;
    this.#store.putFile(path, {...stampOf(known), hash});
  }

  async #rehash(path: string, stamp: FileStamp): Promise<FileHash> {
    try {
      const hash = await sha256File(resolve(this.#workspace, path));
      this.#memoIfUnchanged(path, stamp, hash);
      return {ok: true, hash, size: stamp.size};
    } catch {
      return {ok: false, reason: 'missing'};
    } finally {
      this.#inFlight.delete(path);
    }
  }

  /** `#rehash` for a small file, synchronously. */
  #rehashNow(path: string, stamp: FileStamp): FileHash {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(this.#workspace, path));
    } catch {
      return {ok: false, reason: 'missing'};
    }
    const hash = sha256(bytes);
    this.#memoIfUnchanged(path, stamp, hash);
    return {ok: true, hash, size: bytes.length};
  }

  /**
   * Memoizes a hash just read under the stamp from before the read. Note
   * we must re-stat: a file edited while we read it would otherwise be
   * memoized under the old stamp with a hash of mixed content.
   */
  #memoIfUnchanged(path: string, stamp: FileStamp, hash: Sha256Hex): void {
    const after = this.#stat(path);
    if (after !== undefined && sameStamp(stampOf(after), stamp)) {
      this.#store.putFile(path, {...stamp, hash});
    }
  }

  #stat(path: string): Stats | undefined {
    return statSync(resolve(this.#workspace, path), {throwIfNoEntry: false});
  }
}

function stampOf(stats: FileStamp): FileStamp {
  return {
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ino: stats.ino,
    ctimeMs: stats.ctimeMs,
  };
}

/** Equal stats; a change time counts where both stamps know it. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return (
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ino === b.ino &&
    (a.ctimeMs === undefined ||
      b.ctimeMs === undefined ||
      a.ctimeMs === b.ctimeMs)
  );
}
