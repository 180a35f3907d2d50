import {createHash} from 'node:crypto';
import {
  constants,
  mkdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import {dirname, join} from 'node:path';

import {sha256, type Sha256Hex} from '../util/hash.js';
import {INLINE_BLOB_MAX, type BlobTable} from './blob-table.js';

/**
 * A content-addressed store of outputs: each blob is named by its SHA-256,
 * so equal outputs are kept once and a job whose key was seen before can
 * restore its outputs by copying blobs back. Small blobs are rows of the
 * state database ({@link BlobTable}); larger ones are files under
 * .neuromake/store.
 */
export class ContentStore {
  readonly #root: string;
  readonly #inline: BlobTable;
  /** Shard directories known to exist: one mkdir each per process. */
  readonly #shards = new Set<string>();
  /**
   * File blobs this object stored or found: a DAG whose jobs write equal
   * outputs stats each blob once (rows: BlobTable keeps its own). Safe
   * because gc, which deletes blobs, takes the workspace lock that every
   * run holds; a blob deleted by hand meanwhile is found missing when
   * restoring, and that job just reruns.
   */
  readonly #known = new Set<Sha256Hex>();

  /**
   * @param root the directory of blob files
   * @param inline where small blobs go (the state store's `blobs`)
   */
  constructor(root: string, inline: BlobTable) {
    this.#root = root;
    this.#inline = inline;
  }

  /** Where the blob for `hash` lives if it is a file. */
  pathOf(hash: Sha256Hex): string {
    return join(this.#root, hash.slice(0, 2), hash.slice(2));
  }

  /** Whether the blob is here, as a row or a file. */
  async has(hash: Sha256Hex): Promise<boolean> {
    return this.#inline.has(hash) || this.#hasFile(hash);
  }

  async #hasFile(hash: Sha256Hex): Promise<boolean> {
    try {
      await stat(this.pathOf(hash));
      this.#known.add(hash);
      return true;
    } catch {
      // Gone (deleted by hand, say): the job that reruns for it must store
      // it again.
      this.#known.delete(hash);
      return false;
    }
  }

  /**
   * {@link put} for a small file whose bytes the caller has read already
   * (to hash them), synchronously: for a tiny output the thread-pool round
   * trips of the async calls cost more than the work, and writing the bytes
   * takes three system calls where copying the file takes about nine. A
   * blob of at most {@link INLINE_BLOB_MAX} bytes takes none: it is a row.
   */
  putBytes(bytes: Buffer, hash: Sha256Hex): void {
    if (bytes.length <= INLINE_BLOB_MAX) {
      this.#inline.put(hash, bytes);
      return;
    }
    if (this.#known.has(hash)) return;
    const target = this.pathOf(hash);
    if (statSync(target, {throwIfNoEntry: false}) !== undefined) {
      this.#known.add(hash);
      return;
    }
    const shard = dirname(target);
    const temp = this.#tempFor(target);
    if (!this.#shards.has(shard)) mkdirSync(shard, {recursive: true});
    try {
      writeFileSync(temp, bytes, {flag: 'wx'});
    } catch (err) {
      // A shard directory gc removed since: make it again, once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(shard, {recursive: true});
      writeFileSync(temp, bytes, {flag: 'wx'});
    }
    this.#shards.add(shard);
    renameSync(temp, target);
    this.#known.add(hash);
  }

  /**
   * Copies `file`, a blob too large to be a row, into the store under
   * `hash`. The copy goes to a temporary name first, so a crash never
   * leaves a truncated blob under a real hash.
   */
  async put(file: string, hash: Sha256Hex): Promise<void> {
    if (this.#known.has(hash)) return;
    const target = this.pathOf(hash);
    if (await this.#hasFile(hash)) return;
    await mkdir(dirname(target), {recursive: true});
    const temp = this.#tempFor(target);

    // Note: FICLONE makes the copy a cheap reflink on file systems that
    // support it, and falls back to a real copy elsewhere.
    await copyFile(file, temp, constants.COPYFILE_FICLONE);
    await rename(temp, target);
    this.#known.add(hash);
  }

  #tempFor(target: string): string {
    return `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  }

  /**
   * Copies the blob for `hash` to `destination` (a temporary path), with
   * the permission bits `mode` when given (an output record's). The blob
   * keeps no mode of its own: a row has none, and a blob file has that of
   * whichever output stored it first (the default one if written from
   * bytes).
   *
   * The bytes are checked against `hash` on the way: a blob flipped on
   * disk, or overwritten by hand, would otherwise be put in place as the
   * job's output and its path remembered as holding `hash`, so it would
   * look fresh for good. A blob that does not match is removed from the
   * store (so `has` says no and later runs do not try it again; the job
   * that reruns for it stores it anew), nothing is left at `destination`,
   * and this throws a {@link CorruptBlobError}.
   */
  async copyOut(
    hash: Sha256Hex,
    destination: string,
    mode?: number,
  ): Promise<void> {
    await mkdir(dirname(destination), {recursive: true});
    const bytes = this.#inline.get(hash);
    if (bytes === undefined) {
      await this.#copyFileOut(hash, destination, mode);
      return;
    }
    // Note: a row is 64 KiB at most, so hashing it takes microseconds. Only
    // a committed row can differ (a queued one was hashed as it was read),
    // so removing it from the table is enough.
    const actual = sha256(bytes);
    if (actual !== hash) {
      this.#inline.remove([hash]);
      throw new CorruptBlobError(hash, actual, 'row in the state database');
    }
    await writeFile(destination, bytes);
    // Note: a chmod rather than writeFile's mode option, which the umask
    // would narrow. Set-id and sticky bits are masked off whatever the
    // record says: a restore never makes them.
    if (mode !== undefined) await chmod(destination, mode & 0o777);
  }

  /**
   * {@link copyOut} for a blob file: a read and a write through one buffer
   * rather than copyFile (which may reflink, and never shows the bytes),
   * so the bytes are hashed as they pass; checking the copy afterwards
   * would read it all a second time. The buffer is sized to the blob, as
   * in sha256File, so restoring many small files does not allocate 4 MiB
   * each. Without `mode` the copy takes the blob file's, as copyFile gave
   * it (less set-id and sticky bits, like any mode here).
   */
  async #copyFileOut(
    hash: Sha256Hex,
    destination: string,
    mode: number | undefined,
  ): Promise<void> {
    const path = this.pathOf(hash);
    let source: FileHandle;
    try {
      source = await open(path, 'r');
    } catch (err) {
      // Gone after all: the job that reruns for it must store it again.
      this.#known.delete(hash);
      throw err;
    }
    let actual: Sha256Hex;
    try {
      const stats = await source.stat();
      const target = await open(destination, 'w');
      try {
        actual = await copyHashing(source, target, stats.size);
        // Note: fchmod, which the umask does not narrow (open's mode is).
        await target.chmod((mode ?? stats.mode) & 0o777);
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
    if (actual !== hash) {
      // Note: the corrupt copy goes too, so no caller can take it for the
      // blob; the next put of these bytes writes the file again.
      this.#known.delete(hash);
      await rm(path, {force: true});
      await rm(destination, {force: true});
      throw new CorruptBlobError(hash, actual, `file ${path}`);
    }
  }

  /**
   * Deletes half-written copies (`<hash>.tmp-…`) that a killed process
   * left in the store; only safe while holding the workspace lock, so that
   * no copy is under way. Returns how many went.
   */
  async removeTemporaries(): Promise<number> {
    let removed = 0;
    for (const file of await this.files()) {
      if (!file.name.includes('.tmp-')) continue;
      await rm(file.path, {force: true});
      removed++;
    }
    return removed;
  }

  /**
   * Every file under the store, blobs and leftover temporaries alike:
   * `hash` is the shard and name joined (a blob's hash, for a blob).
   */
  async files(): Promise<{hash: string; name: string; path: string}[]> {
    const found: {hash: string; name: string; path: string}[] = [];
    const shards = await readdir(this.#root).catch(() => [] as string[]);
    for (const shard of shards) {
      const dir = join(this.#root, shard);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        found.push({hash: `${shard}${name}`, name, path: join(dir, name)});
      }
    }
    return found;
  }

  get root(): string {
    return this.#root;
  }
}

/**
 * A blob whose bytes do not hash to its name. It has been removed from the
 * store by the time this is thrown.
 */
export class CorruptBlobError extends Error {
  constructor(
    readonly hash: Sha256Hex,
    readonly actual: Sha256Hex,
    where: string,
  ) {
    super(
      `blob ${hash} in the content store is corrupt (its ${where} hashes to ${actual}); it was removed`,
    );
    this.name = 'CorruptBlobError';
  }
}

/** The most a blob copy reads at once, and the least it allocates. */
const MAX_CHUNK = 4 * 1024 * 1024;
const MIN_CHUNK = 16 * 1024;

/**
 * Copies what is left of `source` (of about `size` bytes) to `target` and
 * returns the SHA-256 of the bytes copied.
 */
async function copyHashing(
  source: FileHandle,
  target: FileHandle,
  size: number,
): Promise<Sha256Hex> {
  const digest = createHash('sha256');
  // One byte over, so a blob takes a single read plus the read that sees
  // its end.
  const length = Math.min(Math.max(size + 1, MIN_CHUNK), MAX_CHUNK);
  const buffer = Buffer.allocUnsafe(length);
  for (;;) {
    const {bytesRead} = await source.read(buffer, 0, length, null);
    if (bytesRead === 0) break;
    digest.update(buffer.subarray(0, bytesRead));
    let written = 0;
    while (written < bytesRead) {
      const {bytesWritten} = await target.write(
        buffer,
        written,
        bytesRead - written,
      );
      written += bytesWritten;
    }
  }
  return digest.digest('hex') as Sha256Hex;
}
