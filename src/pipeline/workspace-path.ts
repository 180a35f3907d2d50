/** Why an output path would land outside the workspace, and where. */
export interface EscapedPath {
  readonly reason: string;
  /** Offset and length of the offending part within the path. */
  readonly offset: number;
  readonly length: number;
}

/**
 * Checks that a (template) output path stays inside the workspace: it must
 * be relative and never climb with `..`. Both `/` and `\` separate parts, so
 * that a path written on Windows is judged the same way.
 */
export function escapesWorkspace(path: string): EscapedPath | undefined {
  if (/^([/\\]|[A-Za-z]:[/\\]?)/.test(path)) {
    return {
      reason: 'is an absolute path',
      offset: 0,
      length: /^[A-Za-z]:/.test(path) ? 2 : 1,
    };
  }
  let offset = 0;
  for (const part of path.split(/[/\\]/)) {
    if (part === '..') {
      return {reason: 'climbs out with ".."', offset, length: 2};
    }
    offset += part.length + 1;
  }
  return undefined;
}
