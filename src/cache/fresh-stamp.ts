import {randomBytes} from 'node:crypto';
import {
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {sha256, type Sha256Hex} from '../util/hash.js';
import {NEUROMAKE_VERSION} from '../util/version.js';
import {pathProbe, type ProbeKind} from './fs-probes.js';

/**
 * The no-op stamp, `.neuromake/fresh.json`: written when a run of the whole
 * graph ends with every job up to date, it lists every fact the plan and
 * the job keys rested on that is not in the pipeline text: the stat of
 * each input, output, script, task and engine module (the same (size, mtime,
 * inode, ctime) the hash memo trusts), the directories globs listed and the paths
 * probed. While all of them still hold, nothing can have changed a key or
 * an output, so `run` can answer "all fresh" from the stamp alone, without
 * loading the state store or planning (see fast-noop-run.ts).
 *
 * Every run deletes the stamp before it starts a job, so a stamp on disk
 * always describes the workspace as the last complete run left it.
 */
export interface FreshStamp {
  readonly format: typeof FORMAT;
  /** Also kept in the state store: a store swapped for another one (a
   * restored backup) does not match a stamp it did not write. */
  readonly token: string;
  /** Hash of the neuromake version, pipeline file and text, overrides and
   * the values of the env variables jobs are keyed on. */
  readonly identity: Sha256Hex;
  readonly envNames: readonly string[];
  /** path (workspace-relative or absolute), size, mtimeMs, ino, ctimeMs
   * (null when the memo has none); a file probed with the same stat is
   * left to its probe (stat'ed once). */
  readonly files: readonly StampedFile[];
  /** Absolute path, mtimeMs, ino of each directory a glob listed. */
  readonly directories: readonly (readonly [string, number, number])[];
  /** Absolute path, kind, and for files size, mtimeMs, ino, ctimeMs. */
  readonly probes: readonly (readonly [
    string,
    ProbeKind,
    number,
    number,
    number,
    number,
  ])[];
  /** Job ids in graph order, for the per-job `fresh` events. */
  readonly jobs: readonly string[];
  readonly steps: number;
}

/** A file of the stamp: path, size, mtimeMs, ino, ctimeMs or null. */
export type StampedFile = readonly [
  string,
  number,
  number,
  number,
  number | null,
];

const FORMAT = 2;
const FILE = 'fresh.json';

/** What the pipeline identity is made of. */
export interface StampIdentity {
  readonly file: string;
  readonly source: string;
  readonly overrides: ReadonlyMap<string, string>;
  readonly envNames: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Hashes everything a stamp is only valid for. */
export function stampIdentity(id: StampIdentity): Sha256Hex {
  return sha256(
    JSON.stringify({
      format: FORMAT,
      neuromake: NEUROMAKE_VERSION,
      file: id.file,
      source: sha256(id.source),
      overrides: [...id.overrides].sort(([a], [b]) => (a < b ? -1 : 1)),
      env: id.envNames.map((name) => [name, id.env[name] ?? null]),
    }),
  );
}

/** Removes the stamp: called before a run changes anything. */
export function clearFreshStamp(stateDir: string): void {
  rmSync(join(stateDir, FILE), {force: true});
}

/** Writes a stamp atomically (temporary file, then rename). */
export function writeFreshStamp(
  stateDir: string,
  stamp: Omit<FreshStamp, 'format' | 'token'>,
  keepToken: (token: string) => void,
): void {
  const token = randomBytes(12).toString('hex');
  keepToken(token);
  const full: FreshStamp = {format: FORMAT, token, ...stamp};
  const path = join(stateDir, FILE);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(full));
  renameSync(temp, path);
}

/** Reads the stamp; undefined when there is none or it is unreadable. */
export function readFreshStamp(stateDir: string): FreshStamp | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const stamp = JSON.parse(text) as FreshStamp;
    return stamp.format === FORMAT ? stamp : undefined;
  } catch {
    // A torn or foreign file: the full path will overwrite it.
    return undefined;
  }
}

/**
 * Whether every file, directory and probe in the stamp is as recorded.
 * The first difference ends the check: the full path then works out what
 * it means.
 */
export function stampHolds(stamp: FreshStamp, workspace: string): boolean {
  // Note: string concatenation, not path.resolve, which costs more than
  // the stat itself over 10,000 files; stamp paths are already normal.
  const prefix = `${workspace}/`;
  for (const [path, size, mtimeMs, ino, ctimeMs] of stamp.files) {
    const full = path.startsWith('/') ? path : prefix + path;
    const stats = statSync(full, {throwIfNoEntry: false});
    if (
      stats === undefined ||
      stats.size !== size ||
      stats.mtimeMs !== mtimeMs ||
      stats.ino !== ino ||
      (ctimeMs !== null && stats.ctimeMs !== ctimeMs) ||
      !stats.isFile()
    ) {
      return false;
    }
  }
  // A directory a glob walked into was also probed (its kind): keep its
  // stat for the probe check, so it is stat'ed once.
  const directories = new Map<string, Stats>();
  for (const [path, mtimeMs, ino] of stamp.directories) {
    const stats = statSync(path, {throwIfNoEntry: false});
    if (stats?.mtimeMs !== mtimeMs || stats.ino !== ino) return false;
    directories.set(path, stats);
  }
  for (const [path, kind, size, mtimeMs, ino, ctimeMs] of stamp.probes) {
    const now = pathProbe(
      directories.get(path) ?? statSync(path, {throwIfNoEntry: false}),
    );
    if (
      now.kind !== kind ||
      now.size !== size ||
      now.mtimeMs !== mtimeMs ||
      now.ino !== ino ||
      now.ctimeMs !== ctimeMs
    ) {
      return false;
    }
  }
  return true;
}

/**
 * The modules that decide plans and keys, with their stats, for the
 * stamp's file list. Editing one (in development, without a version bump)
 * voids stamps, as it may change what fresh means.
 */
export function engineFiles(): StampedFile[] {
  const src = dirname(dirname(fileURLToPath(import.meta.url)));
  const files: string[] = [];
  for (const dir of ['cache', 'graph', 'pipeline']) {
    for (const name of readdirSync(join(src, dir)).sort()) {
      if (name.endsWith('.js')) files.push(`${dir}/${name}`);
    }
  }
  // What else goes into keys: how commands are rendered, which module
  // implements which task name.
  files.push(
    'execution/render-command.js',
    'util/shell-quote.js',
    'tasks/registry.js',
  );
  return files.map((file) => {
    const path = join(src, file);
    const stats = statSync(path);
    return [path, stats.size, stats.mtimeMs, stats.ino, null] as const;
  });
}
