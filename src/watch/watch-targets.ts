import {resolve} from 'node:path';

import type {JobGraph} from '../graph/build-graph.js';
import {segmentMatcher} from '../graph/glob-bindings.js';
import type {PipelineSpec} from '../pipeline/spec.js';
import {scriptCandidates, scriptsNamed} from '../execution/render-command.js';
import {renderCommand} from '../execution/render-command.js';

/** What watch mode listens to, as absolute paths. */
export interface WatchTargets {
  /** Files whose edits matter: the pipeline, source inputs, scripts. */
  readonly files: ReadonlySet<string>;
  /**
   * Directories under which new or deleted files can add or remove jobs
   * (the fixed prefix of each `for_each` glob), with how deep to look.
   */
  readonly directories: ReadonlyMap<string, number>;
  /** Each `for_each` glob, to tell which paths under its directory count. */
  readonly globs: readonly WatchGlob[];
  /** Paths the pipeline writes: never watched, so runs cannot loop. */
  readonly outputs: ReadonlySet<string>;
}

/** A `for_each` glob: the directory it searches, a test per segment below. */
export interface WatchGlob {
  /** The glob as written, relative to the workspace. */
  readonly pattern: string;
  readonly directory: string;
  readonly segments: readonly ((name: string) => boolean)[];
}

/**
 * True when `path` (absolute) is a file the glob matches or a directory on
 * the way to one: only such paths can add or remove jobs. Everything else
 * under the glob's directory (outputs written beside the inputs, a sibling
 * `derivatives/` folder, notes) must not start a cycle; otherwise a run
 * that creates an output directory would trigger the next run.
 */
export function globReaches(glob: WatchGlob, path: string): boolean {
  return globStep(glob, path) !== undefined;
}

/**
 * Where `path` (absolute) stands to the glob: `match` when the glob
 * matches it whole, `way` for its directory or a directory on the way to a
 * match, undefined otherwise.
 */
export function globStep(
  glob: WatchGlob,
  path: string,
): 'match' | 'way' | undefined {
  if (path === glob.directory) return 'way';
  const base = glob.directory.endsWith('/')
    ? glob.directory
    : `${glob.directory}/`;
  if (!path.startsWith(base)) return undefined;
  const parts = path.slice(base.length).split('/');
  if (parts.length > glob.segments.length) return undefined;
  if (!parts.every((part, i) => glob.segments[i]?.(part) === true)) {
    return undefined;
  }
  return parts.length === glob.segments.length ? 'match' : 'way';
}

/** Compiles the segments of a glob that come after its fixed prefix. */
function segmentTests(segments: readonly string[]): WatchGlob['segments'] {
  return segments.map((segment) => {
    const matcher = segmentMatcher(segment);
    return matcher === undefined
      ? (name: string) => name === segment
      : (name: string) => matcher.regex.test(name);
  });
}

/**
 * Works out the watch set of a planned pipeline: every input no job
 * produces, every script a shell step names, the pipeline file itself, and
 * the directories its globs search. Outputs are excluded.
 */
export function watchTargets(
  spec: PipelineSpec,
  graph: JobGraph,
): WatchTargets {
  const abs = (p: string) => resolve(spec.workspace, p);
  const outputs = new Set([...graph.producers.keys()].map(abs));
  const files = new Set<string>([spec.file]);
  for (const job of graph.jobs) {
    for (const input of job.inputs.values()) {
      for (const path of input.paths) {
        if (!graph.producers.has(path)) files.add(abs(path));
      }
    }
    if (job.step.action.kind === 'shell') {
      const command = renderCommand(job, spec.params, (n) =>
        job.outputs.get(n),
      );
      for (const script of scriptsNamed(command, job, spec.workspace)) {
        files.add(abs(script));
      }
      // A script not written yet: its creation must start a cycle.
      for (const script of scriptCandidates(command, job)) {
        files.add(abs(script));
      }
    }
  }
  const {directories, globs} = specTargets(spec);
  return {files, directories, globs, outputs};
}

/**
 * What the pipeline alone names, for a pipeline that does not plan (a glob
 * that matches nothing yet, an input that does not exist yet): the file
 * itself, its literal source inputs, and the directories its globs search.
 */
export function specTargets(spec: PipelineSpec): WatchTargets {
  const abs = (p: string) => resolve(spec.workspace, p);
  const files = new Set<string>([spec.file]);
  const directories = new Map<string, number>();
  const globs: WatchGlob[] = [];
  for (const step of spec.steps.values()) {
    for (const input of step.inputs.values()) {
      if (input.kind !== 'files') continue;
      for (const pattern of input.patterns) {
        if (!pattern.value.includes('{')) files.add(abs(pattern.value));
      }
    }
    const glob = step.forEach?.glob?.value;
    if (glob === undefined) continue;
    const segments = glob.split('/');
    const fixed = segments.findIndex((s) => /[{*]/.test(s));
    const prefix = segments.slice(0, Math.max(0, fixed)).join('/');
    const depth = segments.length - Math.max(0, fixed) - 1;
    const dir = abs(prefix === '' ? '.' : prefix);
    directories.set(dir, Math.max(depth, directories.get(dir) ?? 0));
    globs.push({
      pattern: glob,
      directory: dir,
      segments: segmentTests(segments.slice(Math.max(0, fixed))),
    });
  }
  return {files, directories, globs, outputs: new Set()};
}

/** Both watch sets in one (`extra` may be absent). */
export function mergeTargets(
  base: WatchTargets,
  extra: WatchTargets | undefined,
): WatchTargets {
  if (extra === undefined) return base;
  const directories = new Map(base.directories);
  for (const [dir, depth] of extra.directories) {
    directories.set(dir, Math.max(depth, directories.get(dir) ?? 0));
  }
  return {
    files: new Set([...base.files, ...extra.files]),
    directories,
    globs: [...base.globs, ...extra.globs],
    outputs: base.outputs,
  };
}
