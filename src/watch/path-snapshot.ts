import {readdirSync, statSync, type Dirent} from 'node:fs';
import {join} from 'node:path';

/**
 * How a set of watched paths looked when the file watcher was asked to
 * watch them, so that the session can notice the edits the watcher missed
 * while it was still setting those paths up (chokidar stats and watches
 * each added path asynchronously, and says when it is done only for its
 * first batch).
 *
 * A file is known by its inode, size and times; a directory by the paths
 * below it, down to its depth, that a `for_each` glob matches whole (the
 * files that make jobs), so that what a job writes beside the inputs, a
 * directory included, changes nothing here.
 */
export class PathSnapshot {
  readonly #seen = new Map<string, Look>();
  readonly #step: (path: string) => GlobStep;
  readonly #depthOf: (path: string) => number | undefined;

  /**
   * `step`: whether a path below a watched directory is a `match` (it is
   * listed), on the `way` to one (it is looked into), or neither.
   * `depthOf`: for a watched directory, how many levels below it hold
   * matches (0: its entries only); undefined for anything else.
   */
  constructor(
    step: (path: string) => GlobStep,
    depthOf: (path: string) => number | undefined,
  ) {
    this.#step = step;
    this.#depthOf = depthOf;
  }

  /** Remembers how a path looks now. */
  add(path: string): void {
    this.#seen.set(path, this.#look(path));
  }

  /**
   * The paths that changed since they were last seen, as a watcher would
   * name them: a file that changed, appeared or went; a directory's
   * matches that appeared or went (and the directory, when it did). Each
   * path is remembered as it looks now.
   */
  changed(): string[] {
    const out: string[] = [];
    for (const [path, before] of this.#seen) {
      const now = this.#look(path);
      this.#seen.set(path, now);
      if (typeof before === 'string' && typeof now === 'string') {
        if (before !== now) out.push(path);
        continue;
      }
      if (typeof before === 'string' || typeof now === 'string') {
        out.push(path); // A directory that appeared, went or was replaced.
      }
      const was = typeof before === 'string' ? new Set<string>() : before;
      const is = typeof now === 'string' ? new Set<string>() : now;
      for (const entry of was) if (!is.has(entry)) out.push(entry);
      for (const entry of is) if (!was.has(entry)) out.push(entry);
    }
    return out;
  }

  /**
   * Remembers how every held path looks now, dropping those `keep` rejects:
   * for the start of a cycle, which reads the paths as they are.
   */
  refresh(keep: (path: string) => boolean): void {
    for (const path of this.#seen.keys()) {
      if (keep(path)) this.#seen.set(path, this.#look(path));
      else this.#seen.delete(path);
    }
  }

  /**
   * Remembers how the given paths look now, those that are held: for a
   * directory whose globs changed, which would otherwise list differently
   * for that alone.
   */
  renote(paths: Iterable<string>): void {
    for (const path of paths) {
      if (this.#seen.has(path)) this.#seen.set(path, this.#look(path));
    }
  }

  /** Forgets every path. */
  clear(): void {
    this.#seen.clear();
  }

  #look(path: string): Look {
    const signature = fileSignature(path);
    if (signature !== 'directory') return signature;
    const below = new Set<string>();
    this.#list(path, this.#depthOf(path) ?? 0, below);
    return below;
  }

  /** Adds the matches below `dir`, `levels` more levels down. */
  #list(dir: string, levels: number, out: Set<string>): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, {withFileTypes: true});
    } catch {
      return; // Gone or unreadable meanwhile: what is left is the listing.
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const step = this.#step(path);
      if (step === 'match') out.add(path);
      else if (step === 'way' && levels > 0 && entry.isDirectory()) {
        this.#list(path, levels - 1, out);
      }
    }
  }
}

/** Where a path stands to the globs (see globStep in watch-targets.ts). */
export type GlobStep = 'match' | 'way' | undefined;

/**
 * How a path looked: its {@link fileSignature}, or, for a directory, the
 * matches below it.
 */
type Look = string | ReadonlySet<string>;

/**
 * What changes when a file is written, replaced or deleted: its inode,
 * size and times, or `missing`. A directory is just `directory`: its times
 * change whenever a job writes into it.
 */
export function fileSignature(path: string): string {
  const stats = statSync(path, {throwIfNoEntry: false, bigint: true});
  if (stats === undefined) return 'missing';
  if (stats.isDirectory()) return 'directory';
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}
