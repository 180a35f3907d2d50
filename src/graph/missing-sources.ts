import {statSync} from 'node:fs';

import {
  error,
  type Diagnostic,
  type SourceLocation,
} from '../pipeline/diagnostic.js';

/** What a source input's path holds. */
export type SourceKind = 'file' | 'directory' | 'missing' | 'other';

/** The kind of what is at `path` (absolute); a path below a file is missing. */
export function sourceKind(path: string): SourceKind {
  let stats;
  try {
    stats = statSync(path, {throwIfNoEntry: false});
  } catch (err) {
    // A path below a file (in.txt/x) cannot exist either.
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw err;
  }
  if (stats === undefined) return 'missing';
  if (stats.isFile()) return 'file';
  return stats.isDirectory() ? 'directory' : 'other';
}

/** One input path of one job that is not a file and that no job writes. */
export interface BadSource {
  readonly job: string;
  readonly step: string;
  readonly input: string;
  readonly path: string;
  readonly kind: Exclude<SourceKind, 'file'>;
  readonly location: SourceLocation;
}

/** How many job ids or paths a merged error names before "and N more". */
const SHOWN = 3;

/**
 * One error per input template and kind of problem, however many jobs of a
 * fan-out share it: a missing `data/{subject}.nii` in a 1,000-way fan-out
 * is one mistake, said once, with the first paths and how many there are.
 */
export function badSourceDiagnostics(
  sources: readonly BadSource[],
): Diagnostic[] {
  const groups = new Map<string, BadSource[]>();
  for (const source of sources) {
    const {step, input, kind, location} = source;
    const key = `${step}\0${input}\0${kind}\0${location.offset}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [source]);
    else group.push(source);
  }
  // Note: in the order the inputs are written, not the order jobs met them.
  const ordered = [...groups.values()].sort(
    (a, b) => a[0]!.location.offset - b[0]!.location.offset,
  );
  return ordered.map((group) => {
    const first = group[0]!;
    const jobs = [...new Set(group.map((s) => s.job))];
    const paths = [...new Set(group.map((s) => s.path))];
    const who =
      jobs.length === 1
        ? first.job
        : `${jobs.length} jobs of step "${first.step}" (${listed(jobs)})`;
    const what =
      paths.length === 1
        ? `is "${first.path}"`
        : `names ${paths.length} paths (${listed(paths.map((p) => `"${p}"`))})`;
    if (first.kind === 'directory') {
      return error(
        `${who}: input "${first.input}" ${what}, ${paths.length === 1 ? 'a directory' : 'directories'}: inputs are files, whose content versions the job`,
        first.location,
        'name the files the step reads (a list, or a for_each glob over them), or one file inside that changes whenever the rest do',
      );
    }
    const state =
      first.kind === 'missing' ? 'does not exist' : 'is not a regular file';
    return error(
      paths.length === 1
        ? `${who}: input "${first.input}" ${what}, which no step produces and which ${state}`
        : `${who}: input "${first.input}" ${what} that no step produces and that ${first.kind === 'missing' ? 'do not exist' : 'are not regular files'}`,
      first.location,
      /[*?]/.test(first.path)
        ? 'inputs are paths, not globs: fan out over the files with `for_each: {glob: …}`, and take them all in one job with a gather (`{from: STEP, output: NAME}`), or list them'
        : 'check the path, or add a step whose outputs include it',
    );
  });
}

/** The first few items, then how many more. */
function listed(items: readonly string[]): string {
  const shown = items.slice(0, SHOWN).join(', ');
  return items.length > SHOWN
    ? `${shown} and ${items.length - SHOWN} more`
    : shown;
}
