import {randomBytes} from 'node:crypto';
import {mkdirSync, readFileSync} from 'node:fs';
import {rename, rm, stat} from 'node:fs/promises';
import {basename, dirname, join, resolve} from 'node:path';

import type {ContentStore} from '../cache/content-store.js';
import type {FileHasher} from '../cache/file-hasher.js';
import type {OutputRecord, StateStore} from '../cache/state-store.js';
import type {Job} from '../graph/job.js';
import {sha256File} from '../util/hash.js';
import type {JobFailure} from './job-failure.js';

/** Marks temporary outputs, so they are easy to recognise and ignore. */
export const TEMP_PREFIX = '.nm-tmp-';

/**
 * A job's outputs while it runs: each is written to a temporary name in
 * the same directory (so the final rename is atomic and keeps the file
 * system) with the real file name at the end (so tools that look at the
 * extension, `.nii.gz`, still see it). Temporary paths are registered in the
 * state store before use; after a crash the next run deletes them.
 */
export class JobOutputs {
  readonly #workspace: string;
  readonly #store: StateStore;
  /** Output name → [final relative path, temporary relative path]. */
  readonly paths = new Map<string, {final: string; temp: string}>();

  constructor(job: Job, workspace: string, store: StateStore) {
    this.#workspace = workspace;
    this.#store = store;
    const tag = randomBytes(4).toString('hex');
    for (const [name, final] of job.outputs) {
      this.paths.set(name, {final, temp: tempPathFor(final, tag)});
    }
  }

  /** Creates output directories and registers the temporary paths. */
  prepare(): void {
    for (const {final, temp} of this.paths.values()) {
      mkdirSync(dirname(resolve(this.#workspace, final)), {recursive: true});
      this.#store.addPending(temp);
    }
  }

  /** Every temporary path, relative to the workspace. */
  temps(): string[] {
    return [...this.paths.values()].map((p) => p.temp);
  }

  tempOf(name: string): string | undefined {
    return this.paths.get(name)?.temp;
  }

  absoluteTemp(name: string): string {
    return resolve(this.#workspace, this.tempOf(name) ?? '');
  }

  /** Checks every output was written as a regular file. */
  async verify(): Promise<JobFailure | undefined> {
    for (const [name, {temp}] of this.paths) {
      const stats = await stat(resolve(this.#workspace, temp)).catch(
        () => undefined,
      );
      if (stats?.isFile() !== true) {
        return {
          reason: 'missing-output',
          output: name,
          path: this.paths.get(name)!.final,
        };
      }
    }
    return undefined;
  }

  /**
   * Hashes each temporary file, copies it into the content store, then
   * renames it over the final path. The store copy comes first so that a
   * recorded output is always restorable.
   */
  async commit(
    contentStore: ContentStore,
    hasher: FileHasher,
  ): Promise<Record<string, OutputRecord>> {
    const records: Record<string, OutputRecord> = {};
    for (const [name, {final, temp}] of this.paths) {
      const absTemp = resolve(this.#workspace, temp);
      const hash = await sha256File(absTemp);
      const size = (await stat(absTemp)).size;
      await contentStore.put(absTemp, hash);
      await rename(absTemp, resolve(this.#workspace, final));
      hasher.remember(final, hash);
      this.#store.dropPending(temp);
      records[name] = {path: final, hash, size};
    }
    return records;
  }

  /**
   * Deletes whatever temporary files exist; used after a failure. Never
   * throws: a temporary that cannot be removed stays registered, and the
   * next run tries again.
   */
  async discard(): Promise<void> {
    for (const {temp} of this.paths.values()) {
      if (await removeQuietly(resolve(this.#workspace, temp))) {
        this.#store.dropPending(temp);
      }
    }
  }
}

/** Restores a cached job's outputs from the store, atomically per file. */
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
      await contentStore.copyOut(output.hash, staging.absoluteTemp(name));
    }
    const restored: Record<string, OutputRecord> = {};
    for (const [name, {final, temp}] of staging.paths) {
      const output = outputs[name];
      if (output === undefined) continue;
      await rename(resolve(workspace, temp), resolve(workspace, final));
      hasher.remember(final, output.hash);
      store.dropPending(temp);
      restored[name] = {...output, path: final};
    }
    return restored;
  } catch (err) {
    await staging.discard();
    throw err;
  }
}

/**
 * Deletes temporary files an interrupted run registered but never renamed.
 * A command the dead runner left running would write its temporary file
 * again after we delete it, so such orphans are stopped first. Only a
 * process that still carries the run's token in its environment is
 * signalled, so a recycled pid is never hit.
 */
export async function cleanPending(
  workspace: string,
  store: StateStore,
): Promise<number> {
  const pending = store.pendingOutputs();
  for (const {pid, token} of pending) {
    if (pid !== null && token !== null && isOrphanOf(pid, token)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone in the meantime.
      }
    }
  }
  let removed = 0;
  for (const {path} of pending) {
    if (await removeQuietly(resolve(workspace, path))) {
      store.dropPending(path);
      removed++;
    }
  }
  store.flush();
  return removed;
}

/** The token every shell job of this process carries (NEUROMAKE_RUN_TOKEN). */
export const RUN_TOKEN = randomBytes(8).toString('hex');

function isOrphanOf(pid: number, token: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`NEUROMAKE_RUN_TOKEN=${token}`);
  } catch {
    return false;
  }
}

async function removeQuietly(path: string): Promise<boolean> {
  try {
    await rm(path, {force: true});
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
export function tempPathFor(final: string, tag: string): string {
  const prefix = `${TEMP_PREFIX}${tag}-`;
  let name = basename(final);
  while (Buffer.byteLength(prefix + name) > NAME_MAX) name = name.slice(1);
  return join(dirname(final), prefix + name);
}
