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
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import {dirname, join} from 'node:path';

import type {Sha256Hex} from '../util/hash.js';
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
   */
  async copyOut(
    hash: Sha256Hex,
    destination: string,
    mode?: number,
  ): Promise<void> {
    await mkdir(dirname(destination), {recursive: true});
    const bytes = this.#inline.get(hash);
    if (bytes !== undefined) {
      await writeFile(destination, bytes);
    } else {
      try {
        await copyFile(
          this.pathOf(hash),
          destination,
          constants.COPYFILE_FICLONE,
        );
      } catch (err) {
        // Gone after all: the job that reruns for it must store it again.
        this.#known.delete(hash);
        throw err;
      }
    }
    // Note: a chmod rather than writeFile's mode option, which the umask
    // would narrow and a copy would not take. Set-id and sticky bits are
    // masked off whatever the record says: a restore never makes them.
    if (mode !== undefined) await chmod(destination, mode & 0o777);
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
