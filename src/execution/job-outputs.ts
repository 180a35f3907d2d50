import {randomBytes} from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  type Stats,
} from 'node:fs';
import {readdir, rename, rm} from 'node:fs/promises';
import {basename, dirname, join, resolve} from 'node:path';

import type {ContentStore} from '../cache/content-store.js';
import {sameStamp, type FileHasher} from '../cache/file-hasher.js';
import type {
  FileStamp,
  OutputRecord,
  StateStore,
} from '../cache/state-store.js';
import type {Job} from '../graph/job.js';
import {SMALL_FILE, sha256, sha256File, type Sha256Hex} from '../util/hash.js';
import type {JobFailure} from './job-failure.js';

/** Marks temporary outputs, so they are easy to recognise and ignore. */
export const TEMP_PREFIX = '.nm-tmp-';

/**
 * A job's outputs while it runs: each is written to a temporary name in
 * the same directory (so the final rename is atomic and keeps the file
 * system) with the real file name at the end (so tools that look at the
 * extension, `.nii.gz`, still see it). Every temporary name starts with
 * the runner's token (`.nm-tmp-<token>-…`), and before the first one in a
 * directory is written, the pattern `<dir>/.nm-tmp-<token>-*` is committed
 * to the state store; after a crash the next run deletes what matches.
 * Registering a directory once per run instead of every path before each
 * job saves a commit per job.
 */
export class JobOutputs {
  readonly #workspace: string;
  readonly #store: StateStore;
  /**
   * Output name → its final and temporary paths, relative to the
   * workspace, and both absolute (worked out once: each is used several
   * times per job).
   */
  readonly paths = new Map<string, OutputPaths>();
  #staged: Record<string, OutputRecord> | undefined;
  /** Output name → its temporary file, opened by {@link verify}. */
  readonly #opened = new Map<string, OpenOutput>();
  /** Output name → its temporary file's stamp, from {@link verify}. */
  readonly #stamps = new Map<string, FileStamp>();
  /** When {@link prepare} ran: about when the job started. */
  #preparedAt = Date.now();
  /** Output name → the stat of its final path when the job was prepared. */
  readonly #before = new Map<string, Stats | undefined>();

  constructor(job: Job, workspace: string, store: StateStore) {
    this.#workspace = workspace;
    this.#store = store;
    const tag = `${RUN_TOKEN}-${(sequence++).toString(36)}`;
    for (const [name, final] of job.outputs) {
      const temp = tempPathFor(final, tag);
      this.paths.set(name, {
        final,
        temp,
        absoluteFinal: resolve(workspace, final),
        absoluteTemp: resolve(workspace, temp),
      });
    }
  }

  /**
   * Creates output directories and registers their temporary-name pattern
   * (committed at once, the first time in a run per directory).
   */
  prepare(): void {
    this.#preparedAt = Date.now();
    const registered = registeredPatterns(this.#store);
    for (const [name, {final, absoluteFinal}] of this.paths) {
      // What was at the final path before the job: what a failure must
      // leave there (see undoFinalWrites).
      this.#before.set(name, statSync(absoluteFinal, {throwIfNoEntry: false}));
      // Note: a directory registered in this run was created then too; not
      // creating it again saves a syscall or two per job.
      const pattern = patternFor(dirname(final));
      if (registered.has(pattern)) continue;
      mkdirSync(dirname(absoluteFinal), {recursive: true});
      this.#store.addPending(pattern, RUN_TOKEN);
      registered.set(pattern, false);
    }
  }

  tempOf(name: string): string | undefined {
    return this.paths.get(name)?.temp;
  }

  absoluteTemp(name: string): string {
    return this.paths.get(name)?.absoluteTemp ?? this.#workspace;
  }

  /**
   * Checks every output was written as a regular file, and opens it for
   * {@link stage} to read. Synchronous: an open and an fstat per output are
   * cheaper on the main thread than round trips through libuv's thread
   * pool, and this runs once per job. Opening here rather than stat'ing
   * saves {@link stage} a stat, and the stamp taken here is the one the
   * hash is remembered with after the rename (which keeps it).
   */
  verify(): JobFailure | undefined {
    this.#closeAll();
    for (const [name, {final, absoluteFinal, absoluteTemp}] of this.paths) {
      const file = openOutput(absoluteTemp);
      if (typeof file === 'string') {
        this.#closeAll();
        if (file === 'missing' && this.#writtenSince(absoluteFinal)) {
          return {
            reason: 'missing-output',
            output: name,
            path: final,
            wroteFinal: true,
          };
        }
        return {
          reason: 'missing-output',
          output: name,
          path: final,
          ...(file === 'missing' ? {} : {found: file}),
        };
      }
      this.#opened.set(name, file);
    }
    return undefined;
  }

  /**
   * Whether `path` was modified since {@link prepare}, for a better
   * message only. Note the slack: file times come from the kernel's
   * coarse clock, which may lag Date.now() by a tick.
   */
  #writtenSince(path: string): boolean {
    try {
      return statSync(path).mtimeMs >= this.#preparedAt - 20;
    } catch {
      return false;
    }
  }

  /**
   * Hashes each temporary file and copies it into the content store. The
   * caller then records the job and only then calls {@link publish}: a
   * runner killed in between leaves a record whose outputs are all in the
   * store, so the next run restores them instead of rerunning the job.
   * Small files (most outputs of most DAGs) are read once, synchronously,
   * and their bytes both hashed and stored; large ones are handled off the
   * main thread.
   */
  async stage(
    contentStore: ContentStore,
  ): Promise<Record<string, OutputRecord>> {
    const records: Record<string, OutputRecord> = {};
    for (const [name, {final, absoluteTemp}] of this.paths) {
      const file = this.#opened.get(name);
      if (file === undefined) {
        throw new Error(`Internal error: output "${name}" was not verified`);
      }
      let {size} = file.stamp;
      let hash: Sha256Hex;
      if (size <= SMALL_FILE) {
        const bytes = readAll(file.fd, size);
        this.#close(name);
        size = bytes.length;
        hash = sha256(bytes);
        contentStore.putBytes(bytes, hash);
      } else {
        this.#close(name);
        hash = await sha256File(absoluteTemp);
        await contentStore.put(absoluteTemp, hash);
      }
      records[name] = {path: final, hash, size, mode: file.mode};
    }
    this.#staged = records;
    return records;
  }

  /**
   * Renames each staged temporary file over its final path (synchronously:
   * a rename is one metadata operation).
   */
  publish(hasher: FileHasher): void {
    for (const [name, {final, absoluteFinal, absoluteTemp}] of this.paths) {
      const record = this.#staged?.[name];
      const stamp = this.#stamps.get(name);
      if (record === undefined || stamp === undefined) {
        throw new Error(`Internal error: output "${name}" was not staged`);
      }
      try {
        renameSync(absoluteTemp, absoluteFinal);
      } catch (err) {
        // The job is recorded and its outputs are in the store, so a rerun
        // once the path is free restores them: say what is in the way.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'ENOTDIR') {
          throw err;
        }
        throw new Error(
          `cannot put output "${name}" in place: ${final} ${code === 'ENOTDIR' ? 'is below a file, not a directory' : 'is a directory'}; move it away and run again (the job's outputs are kept and will be restored, not rerun)`,
          {cause: err},
        );
      }
      hasher.remember(final, record.hash, stamp);
    }
  }

  /**
   * Deletes whatever temporary files exist; used after a failure. Never
   * throws: when a temporary cannot be removed its directory's pattern
   * stays registered after the run, and the next run tries again.
   */
  async discard(): Promise<void> {
    this.#closeAll();
    const registered = registeredPatterns(this.#store);
    for (const {final, absoluteTemp} of this.paths.values()) {
      if (!(await removeQuietly(absoluteTemp))) {
        registered.set(patternFor(dirname(final)), true);
      }
    }
  }

  /**
   * After a failure, undoes what the job wrote to its final output paths
   * itself (a command that ignores `{outputs.NAME}`), judged against each
   * path's stat from {@link prepare}: a file the job created is removed;
   * a file it changed is put back from the store when the memo says what
   * it held before (an output of ours), and otherwise left as it is, with
   * a line saying so. Nothing the job did not touch is changed. Returns
   * what it did, a line per path, for the job's log.
   */
  async undoFinalWrites(
    hasher: FileHasher,
    contentStore: ContentStore,
  ): Promise<string[]> {
    const done: string[] = [];
    for (const [name, {final, absoluteFinal, absoluteTemp}] of this.paths) {
      const before = this.#before.get(name);
      const now = statSync(absoluteFinal, {throwIfNoEntry: false});
      if (now === undefined || !now.isFile()) continue;
      if (before !== undefined && sameStamp(before, now)) continue;
      if (before === undefined) {
        await rm(absoluteFinal, {force: true});
        done.push(`removed ${final}, which the failed job wrote itself`);
        continue;
      }
      const held = hasher.heldBefore(final, before);
      if (held !== undefined && (await contentStore.has(held))) {
        try {
          await contentStore.copyOut(held, absoluteTemp, before.mode & 0o777);
          await rename(absoluteTemp, absoluteFinal);
          hasher.remember(final, held);
          done.push(`put back ${final} as it was before the failed job`);
          continue;
        } catch {
          await removeQuietly(absoluteTemp);
        }
      }
      done.push(
        `${final} was changed by the failed job and is left as it is (what it held before is not in the store)`,
      );
    }
    return done;
  }

  #close(name: string): void {
    const file = this.#opened.get(name);
    if (file === undefined) return;
    this.#opened.delete(name);
    this.#stamps.set(name, file.stamp);
    closeSync(file.fd);
  }

  #closeAll(): void {
    for (const name of [...this.#opened.keys()]) this.#close(name);
  }
}

/** Where one output goes: relative to the workspace, and absolute. */
interface OutputPaths {
  readonly final: string;
  readonly temp: string;
  readonly absoluteFinal: string;
  readonly absoluteTemp: string;
}

/** A verified output: its open file, and its stamp when opened. */
interface OpenOutput {
  readonly fd: number;
  readonly stamp: FileStamp;
  /** Its permission bits, for the record (a restore puts them back). */
  readonly mode: number;
}

/**
 * Opens an output for reading, or says what is there instead of a regular
 * file. O_NONBLOCK: a job that left a named pipe there must not hang the
 * runner (it has no effect on a regular file).
 */
function openOutput(
  path: string,
): OpenOutput | 'missing' | 'directory' | 'special file' {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
  let stats;
  try {
    stats = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (stats.isFile()) {
    return {
      fd,
      stamp: {size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino},
      mode: stats.mode & 0o777,
    };
  }
  closeSync(fd);
  return stats.isDirectory() ? 'directory' : 'special file';
}

/** Reads a file of `size` bytes from its start. */
function readAll(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, bytes, done, size - done, done);
    if (n === 0) break; // Shrunk since the fstat: hash what is there.
    done += n;
  }
  return done === size ? bytes : bytes.subarray(0, done);
}

/** Numbers this process's temporary names, which start with its token. */
let sequence = 0;

/**
 * Patterns this process registered, per store: pattern → whether a
 * temporary under it could not be removed (then it outlives the run).
 */
const patterns = new WeakMap<StateStore, Map<string, boolean>>();

function registeredPatterns(store: StateStore): Map<string, boolean> {
  let registered = patterns.get(store);
  if (registered === undefined) {
    registered = new Map();
    patterns.set(store, registered);
  }
  return registered;
}

/** What every temporary name of this runner in `dir` matches. */
function patternFor(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${RUN_TOKEN}-*`);
}

/**
 * Ends a run: drops the patterns it registered, since every temporary it
 * wrote was renamed or deleted, except where one could not be deleted. The
 * caller flushes the store.
 */
export function releasePending(store: StateStore): void {
  const registered = registeredPatterns(store);
  for (const [pattern, leftover] of registered) {
    if (leftover) continue;
    store.dropPending(pattern);
    registered.delete(pattern);
  }
}

/**
 * Restores a cached job's outputs from the store, atomically per file. All
 * blobs are copied to temporary names before any is renamed into place, and
 * each copy is checked against its hash as it is made (a corrupt blob is
 * removed from the store and throws): so a throw leaves no output half
 * restored, no temporary behind, and no path remembered as holding a hash
 * it does not hold. The caller then runs the job instead.
 */
export async function restoreOutputs(
  outputs: Readonly<Record<string, OutputRecord>>,
  job: Job,
  workspace: string,
  contentStore: ContentStore,
  hasher: FileHasher,
  store: StateStore,
): Promise<Record<string, OutputRecord>> {
  const staging = new JobOutputs(job, workspace, store);
  staging.prepare();
  try {
    for (const [name, output] of Object.entries(outputs)) {
      const temp = staging.absoluteTemp(name);
      await contentStore.copyOut(output.hash, temp, output.mode);
    }
    const restored: Record<string, OutputRecord> = {};
    for (const [name, {final, absoluteFinal, absoluteTemp}] of staging.paths) {
      const output = outputs[name];
      if (output === undefined) continue;
      await rename(absoluteTemp, absoluteFinal);
      hasher.remember(final, output.hash);
      restored[name] = {...output, path: final};
    }
    return restored;
  } catch (err) {
    await staging.discard();
    throw err;
  }
}

/**
 * Deletes temporary files an interrupted run registered but never renamed:
 * those matching a registered pattern (`dir/.nm-tmp-<token>-*`), or, from
 * older versions, registered one by one. A command the dead runner left
 * running would write its temporary file again after we delete it, so such
 * orphans are stopped first: every shell job carries its runner's token in
 * NEUROMAKE_RUN_TOKEN, and the process groups of processes that carry a
 * registered token are killed. Matching on the token, not a recorded pid,
 * closes the window between a child's start and its pid being written
 * down, and never hits a recycled pid. This process's own token is no
 * orphan's (watch mode cleans between its own cycles). Says how many files
 * went, and whether a runner that died left any (then the content store
 * may hold its half-copied blobs too).
 */
export async function cleanPending(
  workspace: string,
  store: StateStore,
): Promise<{removed: number; deadRunner: boolean}> {
  const pending = store.pendingOutputs();
  const tokens = new Set(
    pending.map((p) => p.token).filter((t): t is string => t !== null),
  );
  tokens.delete(RUN_TOKEN);
  if (tokens.size > 0) killOrphans(tokens);
  let removed = 0;
  for (const {path} of pending) {
    const swept = path.endsWith('*')
      ? await sweep(resolve(workspace, path))
      : {removed: 1, done: await removeQuietly(resolve(workspace, path))};
    if (swept.done) {
      store.dropPending(path);
      registeredPatterns(store).delete(path);
      removed += swept.removed;
    }
  }
  store.flush();
  return {removed, deadRunner: tokens.size > 0};
}

/** Removes the files matching `dir/prefix*`; done when all of them went. */
async function sweep(
  pattern: string,
): Promise<{removed: number; done: boolean}> {
  const prefix = basename(pattern).slice(0, -1);
  let names: string[];
  try {
    names = await readdir(dirname(pattern));
  } catch {
    return {removed: 0, done: true}; // No directory, no temporaries.
  }
  let removed = 0;
  let done = true;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    if (await removeQuietly(join(dirname(pattern), name))) removed++;
    else done = false;
  }
  return {removed, done};
}

/** The token every shell job of this process carries (NEUROMAKE_RUN_TOKEN). */
export const RUN_TOKEN = randomBytes(8).toString('hex');

/** Kills the process group of every process whose token is in `tokens`. */
function killOrphans(tokens: ReadonlySet<string>): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return; // No /proc (not Linux): orphans cannot be found, only outlived.
  }
  for (const pid of pids) {
    const token = runTokenOf(pid);
    if (token === undefined || !tokens.has(token)) continue;
    const group = processGroupOf(pid);
    try {
      process.kill(group === undefined ? Number(pid) : -group, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
  }
}

function runTokenOf(pid: string): string | undefined {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    const entry = environ
      .split('\0')
      .find((e) => e.startsWith('NEUROMAKE_RUN_TOKEN='));
    return entry?.slice('NEUROMAKE_RUN_TOKEN='.length);
  } catch {
    return undefined;
  }
}

function processGroupOf(pid: string): number | undefined {
  try {
    // Fields after the parenthesised command: state, ppid, pgrp, …
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(group) && group > 1 ? group : undefined;
  } catch {
    return undefined;
  }
}

async function removeQuietly(path: string): Promise<boolean> {
  try {
    // Note: recursive, as a job may have written a directory where its
    // output file goes; every path removed here has a temporary name of
    // this runner's (or a dead one's) making.
    await rm(path, {force: true, recursive: true});
    return true;
  } catch (err) {
    // A path that cannot exist is as good as removed.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENAMETOOLONG' || code === 'ENOTDIR';
  }
}

/** Longest file name most file systems accept, in bytes. */
const NAME_MAX = 255;

/**
 * The temporary name for an output: same directory, a recognisable prefix
 * and the final name at the end (tools that look at `.nii.gz` still see
 * it). A final name near the file-name limit keeps its end, extension
 * included, so the temporary name stays legal.
 */
function tempPathFor(final: string, tag: string): string {
  const prefix = `${TEMP_PREFIX}${tag}-`;
  let name = basename(final);
  while (Buffer.byteLength(prefix + name) > NAME_MAX) name = name.slice(1);
  return join(dirname(final), prefix + name);
}
