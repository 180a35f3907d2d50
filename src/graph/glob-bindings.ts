import type {Stats} from 'node:fs';
import {resolve} from 'node:path';

import {UNRECORDED, type Probe} from '../cache/fs-probes.js';
import type {Scalar} from '../pipeline/spec.js';
import {formatReference, parseTemplate} from '../pipeline/template.js';

/**
 * Finds the existing files matching a pattern such as
 * `data/sub-{subject}/func/sub-{subject}_run-{run}_bold.nii.gz` and returns
 * one binding per file. A `{name}` matches one or more characters other
 * than `/`; a wildcard repeated in the pattern must take the same value
 * everywhere; `*` matches without binding. The walk reads only directories
 * the pattern can reach, one `readdir` per matching directory. Every
 * directory listed and path stat'ed goes through `probe`, so a caller can
 * later tell whether the match could have changed; a directory's stat
 * from the walk is handed to its `readdir`, so it is stat'ed once.
 */
export function globBindings(
  workspace: string,
  pattern: string,
  probe: Probe = UNRECORDED,
): Map<string, Scalar>[] {
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  const results: Map<string, Scalar>[] = [];
  const absolute = pattern.startsWith('/');
  walk(absolute ? '/' : workspace, absolute ? segments.slice(1) : segments);
  return results.sort((a, b) => compareBindings(a, b));

  /** `dirStats`: the stat of `dir` taken on the way (none for the root). */
  function walk(
    dir: string,
    rest: readonly string[],
    bound: Map<string, Scalar> = new Map(),
    dirStats?: Stats,
  ): void {
    const [segment, ...tail] = rest;
    if (segment === undefined) return;
    const matcher = segmentMatcher(segment);
    if (matcher === undefined) {
      const next = resolve(dir, segment);
      if (tail.length === 0) {
        if (isFile(probe, next)) results.push(new Map(bound));
      } else {
        const stats = directoryStats(probe, next);
        if (stats !== undefined) walk(next, tail, bound, stats);
      }
      return;
    }
    let entries: string[];
    try {
      entries = probe.readdir(dir, dirStats);
    } catch {
      return;
    }
    for (const entry of entries.sort()) {
      const match = matcher.regex.exec(entry);
      if (match === null) continue;
      const next = new Map(bound);
      if (!bindGroups(next, matcher.names, match)) continue;
      const path = resolve(dir, entry);
      if (tail.length === 0) {
        if (isFile(probe, path)) results.push(next);
      } else {
        const stats = directoryStats(probe, path);
        if (stats !== undefined) walk(path, tail, next, stats);
      }
    }
  }
}

/**
 * Whether the glob `pattern` (as {@link globBindings} reads it) matches
 * `path`, a path written as patterns are: relative to the workspace, or
 * absolute when the pattern is. Repeated wildcards must agree.
 */
export function globMatcher(pattern: string): (path: string) => boolean {
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  const matchers = segments.map((segment) => ({
    segment,
    matcher: segmentMatcher(segment),
  }));
  return (path) => {
    const parts = path.split('/').filter((s, i) => s !== '' || i === 0);
    if (parts.length !== matchers.length) return false;
    const bound = new Map<string, Scalar>();
    return matchers.every(({segment, matcher}, i) => {
      const part = parts[i]!;
      if (matcher === undefined) return part === segment;
      const match = matcher.regex.exec(part);
      return match !== null && bindGroups(bound, matcher.names, match);
    });
  };
}

/** A compiled path segment: its regex and the wildcards of its groups. */
export interface SegmentMatcher {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

/**
 * Compiles one path segment; undefined when it is a plain name. The
 * segment is read as a template, so `{{`/`}}` are literal braces, not a
 * wildcard; a wildcard repeated within the segment must match the same
 * text each time (a backreference, so `{s}-{s}` finds `a-b-a-b`).
 */
export function segmentMatcher(segment: string): SegmentMatcher | undefined {
  // Note: `}` too, so that a `}}` in a plain name reads as one brace.
  if (!/[{}*]/.test(segment)) return undefined;
  const parsed = parseTemplate(segment);
  const parts = parsed.ok
    ? parsed.parts
    : [{kind: 'text' as const, text: segment}];
  const names: string[] = [];
  let source = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      source += part.text.split('*').map(escapeRegex).join('[^/]*');
      continue;
    }
    const {ref} = part;
    if (ref.kind !== 'wildcard') {
      // Validation rejects these in globs; match them as written.
      source += escapeRegex(formatReference(ref));
      continue;
    }
    const group = names.indexOf(ref.name);
    if (group === -1) {
      names.push(ref.name);
      source += '([^/]+?)';
    } else {
      source += `\\${group + 1}`;
    }
  }
  return {regex: new RegExp(`^${source}$`), names};
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
}

function bindGroups(
  bound: Map<string, Scalar>,
  names: readonly string[],
  match: RegExpExecArray,
): boolean {
  for (const [i, name] of names.entries()) {
    const value = match[i + 1] ?? '';
    const previous = bound.get(name);
    if (previous !== undefined && previous !== value) return false;
    bound.set(name, value);
  }
  return true;
}

function compareBindings(
  a: ReadonlyMap<string, Scalar>,
  b: ReadonlyMap<string, Scalar>,
): number {
  for (const [k, v] of a) {
    const w = b.get(k);
    const x = String(v);
    const y = String(w);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isFile(probe: Probe, path: string): boolean {
  return probe.stat(path)?.isFile() ?? false;
}

/** The stat of `path` when it is a directory, else undefined. */
function directoryStats(probe: Probe, path: string): Stats | undefined {
  const stats = probe.stat(path);
  return stats?.isDirectory() ? stats : undefined;
}
