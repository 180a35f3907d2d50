import {posix} from 'node:path';

/** Why an output path is refused, where, and what to write instead. */
export interface EscapedPath {
  /** Follows `output "name" ` in the diagnostic. */
  readonly reason: string;
  /** Offset and length of the offending part within the path. */
  readonly offset: number;
  readonly length: number;
  readonly hint: string;
}

const OUTSIDE = 'outputs must stay inside the workspace';
const RELATIVE_HINT =
  'write a path relative to the pipeline file\'s directory, without ".."';

/**
 * Checks that a (template) output path is written plainly inside the
 * workspace: relative, and with no `..` part. A `..` that climbs out is
 * refused for that; one that stays inside (`out/a/../b.txt`) is refused
 * too, as one file would have two names (and a job reading `out/b.txt`
 * would not find its producer), with the plain spelling to use instead.
 * Both `/` and `\` separate parts, so that a path written on Windows is
 * judged the same way.
 */
export function escapesWorkspace(path: string): EscapedPath | undefined {
  if (/^([/\\]|[A-Za-z]:[/\\]?)/.test(path)) {
    return {
      reason: `is an absolute path: ${OUTSIDE}`,
      offset: 0,
      length: /^[A-Za-z]:/.test(path) ? 2 : 1,
      hint: RELATIVE_HINT,
    };
  }
  let offset = 0;
  let depth = 0;
  let first: number | undefined;
  for (const part of path.split(/[/\\]/)) {
    if (part === '..') {
      // Note: pointed at from the first "..", where the climb begins.
      first ??= offset;
      if (depth === 0) {
        return {
          reason: `climbs out with "..": ${OUTSIDE}`,
          offset: first,
          length: 2,
          hint: RELATIVE_HINT,
        };
      }
      depth--;
    } else if (part !== '' && part !== '.') {
      depth++;
    }
    offset += part.length + 1;
  }
  if (first === undefined) return undefined;
  const plain = posix.normalize(path.replaceAll('\\', '/'));
  return {
    reason: 'has a ".." part: outputs are written without ".."',
    offset: first,
    length: 2,
    hint: `write it as "${plain}"`,
  };
}
