import {readdirSync, statSync, type Stats} from 'node:fs';

/** What a path was when planning looked at it. */
export type ProbeKind =
  'missing' | 'file' | 'executable' | 'directory' | 'other';

/** A directory whose listing planning read, and its stat at the time. */
export interface DirectoryStamp {
  readonly mtimeMs: number;
  readonly ino: number;
}

/** What a probed path was; for files also their stat, since a script's
 * content is part of a key. */
export interface PathProbe {
  readonly kind: ProbeKind;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly ctimeMs: number;
}

/**
 * Records every file-system fact the plan or a job key depended on besides
 * file contents: which directories a glob listed (a new or removed file
 * changes a directory's mtime) and what each probed path was (a command's
 * word that is not a script today may become one). The no-op fast path
 * (fresh-stamp.ts) checks these again instead of re-planning.
 *
 * Paths are absolute. The first observation of a path wins: it is the one
 * the plan was built on, and a later change must invalidate the stamp.
 */
export class FsProbes {
  readonly #paths = new Map<string, PathProbe>();
  readonly #directories = new Map<string, DirectoryStamp>();

  /** Stats `path`, remembering what it was. */
  stat(path: string): Stats | undefined {
    const stats = statSync(path, {throwIfNoEntry: false});
    if (!this.#paths.has(path)) this.#paths.set(path, pathProbe(stats));
    return stats;
  }

  /**
   * Lists a directory, remembering its stat from before the listing: an
   * entry added while we read then shows as a changed mtime later. A
   * caller that has just stat'ed the directory (through `stat`) passes
   * that stat as `before`, and the directory is not stat'ed again.
   */
  readdir(path: string, before?: Stats): string[] {
    const stats = before ?? statSync(path, {throwIfNoEntry: false});
    const entries = readdirSync(path);
    if (stats !== undefined && !this.#directories.has(path)) {
      this.#directories.set(path, {mtimeMs: stats.mtimeMs, ino: stats.ino});
    }
    return entries;
  }

  paths(): ReadonlyMap<string, PathProbe> {
    return this.#paths;
  }

  directories(): ReadonlyMap<string, DirectoryStamp> {
    return this.#directories;
  }
}

/** The kind of a path from its stat (undefined: it does not exist). */
export function probeKind(stats: Stats | undefined): ProbeKind {
  if (stats === undefined) return 'missing';
  if (stats.isDirectory()) return 'directory';
  if (!stats.isFile()) return 'other';
  return (stats.mode & 0o111) !== 0 ? 'executable' : 'file';
}

/** A path's probe from its stat; non-files keep only their kind. */
export function pathProbe(stats: Stats | undefined): PathProbe {
  const kind = probeKind(stats);
  if (stats === undefined || (kind !== 'file' && kind !== 'executable')) {
    return {kind, size: 0, mtimeMs: 0, ino: 0, ctimeMs: 0};
  }
  return {
    kind,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ino: stats.ino,
    ctimeMs: stats.ctimeMs,
  };
}

/** Probes without recording, for callers that have no FsProbes. */
export const UNRECORDED = {
  stat: (path: string): Stats | undefined =>
    statSync(path, {throwIfNoEntry: false}),
  readdir: (path: string): string[] => readdirSync(path),
};

/** What glob expansion and script detection need to look at the disk. */
export type Probe = Pick<FsProbes, 'stat' | 'readdir'>;
