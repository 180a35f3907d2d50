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

  /**
   * `step`: whether a path below a watched directory is a `match` (it is
   * listed), on the `way` to one (it is looked into), or neither.
   */
  constructor(step: (path: string) => GlobStep) {
    this.#step = step;
  }

  /**
   * Remembers how a path looks now. `depth`: how many directory levels
   * below a watched directory hold matches (0: its entries only);
   * undefined for a file.
   */
  add(path: string, depth: number | undefined): void {
    this.#seen.set(path, this.#look(path, depth));
  }

  /**
   * The paths that changed since they were last seen, as a watcher would
   * name them: a file that changed, appeared or went; a directory's
   * matches that appeared or went (and the directory, when it did). Each
   * path is remembered as it looks now. `depthOf` gives each directory's
   * depth again, as {@link add} took it.
   */
  changed(depthOf: (path: string) => number | undefined): string[] {
    const out: string[] = [];
    for (const [path, before] of this.#seen) {
      const now = this.#look(path, depthOf(path));
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
  refresh(
    depthOf: (path: string) => number | undefined,
    keep: (path: string) => boolean,
  ): void {
    for (const path of this.#seen.keys()) {
      if (keep(path)) this.#seen.set(path, this.#look(path, depthOf(path)));
      else this.#seen.delete(path);
    }
  }

  /**
   * Remembers how the given paths look now, those that are held: for a
   * directory whose globs changed, which would otherwise list differently
   * for that alone.
   */
  renote(
    paths: Iterable<string>,
    depthOf: (path: string) => number | undefined,
  ): void {
    for (const path of paths) {
      if (this.#seen.has(path)) {
        this.#seen.set(path, this.#look(path, depthOf(path)));
      }
    }
  }

  /** Forgets every path. */
  clear(): void {
    this.#seen.clear();
  }

  #look(path: string, depth: number | undefined): Look {
    const stats = statSync(path, {throwIfNoEntry: false, bigint: true});
    if (stats === undefined) return 'missing';
    if (!stats.isDirectory()) {
      return `file ${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
    }
    const below = new Set<string>();
    this.#list(path, depth ?? 0, below);
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
 * How a path looked: a file's identity and times, `missing`, or, for a
 * directory, the paths below it that count.
 */
type Look = string | ReadonlySet<string>;
