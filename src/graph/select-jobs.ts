import {existsSync} from 'node:fs';
import path, {isAbsolute, posix} from 'node:path';

import {didYouMean} from '../util/did-you-mean.js';
import type {JobGraph} from './build-graph.js';
import type {Job} from './job.js';

/** A target that names no step, job or output. */
export interface UnknownTarget {
  readonly reason: 'unknown-target';
  readonly target: string;
  /** What the target may have meant, or how to find a right one. */
  readonly hint: string;
}

/**
 * Resolves targets — step ids, job ids or output paths — to jobs. An
 * empty list means every job.
 */
export function resolveTargets(
  graph: JobGraph,
  targets: readonly string[],
): {ok: true; jobs: Job[]} | {ok: false; error: UnknownTarget} {
  if (targets.length === 0) return {ok: true, jobs: [...graph.jobs]};
  const found: Job[] = [];
  for (const target of targets) {
    const exact = graph.byId.get(target);
    const byJobs =
      exact === undefined ? jobsByBindings(graph, target) : [exact];
    const byStep = graph.jobs.filter((j) => j.step.id === target);
    const byPath = graph.producers.get(outputPath(graph, target));
    if (byJobs.length > 0) found.push(...byJobs);
    else if (byStep.length > 0) found.push(...byStep);
    else if (byPath !== undefined) found.push(byPath);
    else {
      return {
        ok: false,
        error: {reason: 'unknown-target', target, hint: hintFor(graph, target)},
      };
    }
  }
  return {ok: true, jobs: found};
}

/**
 * What a target that names nothing may have meant: a close name; for
 * `step[…]`, the wildcards that step's ids bind, with one of its ids; for
 * a path, what is there (a source file, a directory of outputs).
 */
function hintFor(graph: JobGraph, target: string): string {
  const names = [
    ...new Set(graph.jobs.map((j) => j.step.id)),
    ...graph.byId.keys(),
  ];
  const close = didYouMean(target, names);
  if (close !== undefined) return close;

  const step = /^([^[\]]+)\[/.exec(target)?.[1];
  const example = graph.jobs.find((j) => j.step.id === step);
  if (example !== undefined) {
    const bound = [...example.bindings.keys()];
    return bound.length === 0
      ? `step "${step}" has one job, called ${step}`
      : `no job of step "${step}" has those values: its jobs bind ${bound.join(', ')}, e.g. ${example.id}; name some of them to select every job with those values, or the step, ${step}, for all`;
  }

  const relative = outputPath(graph, target);
  const inside = [...graph.producers].filter(([p]) =>
    p.startsWith(`${relative}/`),
  );
  if (inside.length > 0) {
    const steps = [...new Set(inside.map(([, j]) => j.step.id))];
    return `"${target}" is a directory of outputs: name one of its ${inside.length} files (e.g. ${inside[0]![0]}) or the step that writes them (${steps.join(', ')})`;
  }
  if (existsSync(path.resolve(graph.workspace, relative))) {
    return `"${target}" is a source file, which no step writes: name a step, a job or an output`;
  }
  return 'name a step, a job or an output path; `neuromake dag --format json` lists every job';
}

/**
 * An output path as the graph keys it: relative to the workspace (an
 * absolute path inside it is made so), normalised, no trailing slash.
 */
function outputPath(graph: JobGraph, target: string): string {
  const relative = isAbsolute(target)
    ? path.relative(graph.workspace, target)
    : target;
  return posix
    .normalize(relative.split(path.sep).join('/'))
    .replace(/\/+$/, '');
}

/**
 * `step[b=2,a=1]`: the jobs of `step` with those bindings, in whatever
 * order they are written (ids list them in the step's own order). Naming
 * only some of the step's wildcards selects every job that has those
 * values (`fit[model=big]`: each subject and run of that model).
 */
function jobsByBindings(graph: JobGraph, target: string): Job[] {
  const match = /^([^[\]]+)\[(.*)\]$/.exec(target);
  if (match === null) return [];
  const wanted = new Map<string, string>();
  for (const pair of match[2]!.split(',')) {
    const eq = pair.indexOf('=');
    // A wildcard named twice has no job: neither value wins.
    if (eq === -1 || wanted.has(pair.slice(0, eq))) return [];
    wanted.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return graph.jobs.filter(
    (job) =>
      job.step.id === match[1] &&
      [...wanted].every(
        ([k, v]) => job.bindings.has(k) && String(job.bindings.get(k)) === v,
      ),
  );
}

/** The targets and everything they depend on, in topological order. */
export function upstreamClosure(
  graph: JobGraph,
  targets: readonly Job[],
): Job[] {
  const wanted = new Set<Job>();
  const pending = [...targets];
  while (pending.length > 0) {
    const job = pending.pop()!;
    if (wanted.has(job)) continue;
    wanted.add(job);
    pending.push(...job.deps);
  }
  return graph.jobs.filter((j) => wanted.has(j));
}
