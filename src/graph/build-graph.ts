import {resolve} from 'node:path';

import {
  error,
  type Diagnostic,
  type RelatedLocation,
  type SourceLocation,
} from '../pipeline/diagnostic.js';
import type {PipelineSpec} from '../pipeline/spec.js';
import {pathLocation, type Job} from './job.js';
import {
  badSourceDiagnostics,
  sourceKind,
  type BadSource,
  type SourceKind,
} from './missing-sources.js';

/** The expanded, checked job graph, in a topological order. */
export interface JobGraph {
  readonly jobs: readonly Job[];
  readonly byId: ReadonlyMap<string, Job>;
  /** Output path → the job that writes it. */
  readonly producers: ReadonlyMap<string, Job>;
  /** The workspace's absolute path, which output paths are relative to. */
  readonly workspace: string;
}

/**
 * Links jobs by the files they share: a job depends on whichever job writes
 * a path it reads. Reports two jobs writing one file, inputs that nothing
 * produces and that do not exist, and cycles (one location per edge).
 */
export function buildGraph(
  spec: PipelineSpec,
  jobs: readonly Job[],
): {ok: true; graph: JobGraph} | {ok: false; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = sameIds(jobs);
  const producers = new Map<string, Job>();
  for (const job of jobs) {
    for (const [name, path] of job.outputs) {
      const first = producers.get(path);
      if (first === undefined) {
        producers.set(path, job);
        continue;
      }
      // Note: two jobs with one id are reported above; that they write
      // one file follows from it.
      if (first !== job && first.id === job.id) continue;
      const here = job.step.outputs.get(name)?.location;
      const there = outputName(first, path);
      diagnostics.push(
        error(
          first === job
            ? `${job.id} writes "${path}" as two outputs, "${there}" and "${name}"`
            : `two jobs write "${path}": ${first.id} and ${job.id}`,
          here,
          first === job
            ? 'give each output its own path'
            : first.step === job.step
              ? 'use every for_each wildcard of the step in its output paths'
              : 'give each step its own output paths',
          [
            {
              message: `${first.id} writes it here`,
              location: outputLocation(first, path),
            },
          ],
        ),
      );
    }
  }

  diagnostics.push(...nestedOutputs(producers));

  const kinds = new Map<string, SourceKind>();
  const bad: BadSource[] = [];
  for (const job of jobs) {
    const seen = new Set<Job>();
    for (const [name, input] of job.inputs) {
      for (let index = 0; index < input.paths.length; index++) {
        const path = input.paths[index]!;
        const producer = producers.get(path);
        if (producer !== undefined) {
          if (!seen.has(producer)) {
            seen.add(producer);
            job.deps.push(producer);
            producer.dependents.push(job);
          }
          continue;
        }
        let kind = kinds.get(path);
        if (kind === undefined) {
          kind = sourceKind(resolve(spec.workspace, path));
          kinds.set(path, kind);
        }
        if (kind === 'file') continue;
        bad.push({
          job: job.id,
          step: job.step.id,
          input: name,
          path,
          kind,
          location: pathLocation(input, index),
        });
      }
    }
  }
  diagnostics.push(...badSourceDiagnostics(bad));
  if (diagnostics.length > 0) return {ok: false, diagnostics};

  const ordered = topologicalOrder(jobs);
  if (ordered === undefined) {
    return {ok: false, diagnostics: [cycleDiagnostic(jobs)]};
  }
  return {
    ok: true,
    graph: {
      jobs: ordered,
      byId: new Map(ordered.map((j) => [j.id, j])),
      producers,
      workspace: spec.workspace,
    },
  };
}

/**
 * Two jobs of one step whose for_each bindings print alike (a `*` in a glob
 * that tells files apart but binds nothing; matrix values 1 and "1") would
 * share an id, so neither could be named, selected or recorded alone.
 */
function sameIds(jobs: readonly Job[]): Diagnostic[] {
  const seen = new Set<string>();
  // Per step, each id that more than one job has, in order.
  const repeated = new Map<Job['step'], Set<string>>();
  for (const job of jobs) {
    if (!seen.has(job.id)) {
      seen.add(job.id);
      continue;
    }
    const ids = repeated.get(job.step) ?? new Set<string>();
    ids.add(job.id);
    repeated.set(job.step, ids);
  }
  return [...repeated].map(([step, ids]) => {
    const shown = [...ids].slice(0, 3).join(', ');
    const more = ids.size > 3 ? ` and ${ids.size - 3} more` : '';
    return error(
      `step "${step.id}" has jobs whose for_each bindings print alike, so several are called ${shown}${more}`,
      step.forEach?.location ?? step.location,
      'bind every part of a glob that tells files apart with a {wildcard} (not `*`), and list each matrix value once, as text or as a number',
    );
  });
}

/**
 * An output inside another output's path can never be written: an output
 * is one file, so the other one's directory is a file too.
 */
function nestedOutputs(producers: ReadonlyMap<string, Job>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [path, job] of producers) {
    // Each directory prefix of the path, without splitting it: this runs
    // once per output of the pipeline.
    for (
      let cut = path.indexOf('/');
      cut > 0;
      cut = path.indexOf('/', cut + 1)
    ) {
      const outer = path.slice(0, cut);
      const owner = producers.get(outer);
      if (owner === undefined) continue;
      diagnostics.push(
        error(
          `${job.id} writes "${path}", inside "${outer}", which ${owner === job ? 'it also writes' : `${owner.id} writes`} as a file`,
          outputLocation(job, path),
          'an output is a single file: give it a path that no other output has as a directory',
          [
            {
              message: `"${outer}" is written here`,
              location: outputLocation(owner, outer),
            },
          ],
        ),
      );
      break;
    }
  }
  return diagnostics;
}

/** The name of `job`'s output at `path`. */
function outputName(job: Job, path: string): string | undefined {
  return [...job.outputs].find(([, p]) => p === path)?.[0];
}

/** Where the output of `job` at `path` is written in the pipeline. */
function outputLocation(job: Job, path: string) {
  const name = outputName(job, path);
  return (
    (name === undefined ? undefined : job.step.outputs.get(name)?.location) ??
    job.step.location
  );
}

/** Kahn's algorithm, stable in file order; undefined when there is a cycle. */
function topologicalOrder(jobs: readonly Job[]): Job[] | undefined {
  const waiting = new Map(jobs.map((j) => [j, j.deps.length]));
  const ready = jobs.filter((j) => j.deps.length === 0);
  const ordered: Job[] = [];
  for (let i = 0; i < ready.length; i++) {
    const job = ready[i]!;
    ordered.push(job);
    for (const next of job.dependents) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return ordered.length === jobs.length ? ordered : undefined;
}

/** Finds one cycle and describes each of its edges where it is written. */
function cycleDiagnostic(jobs: readonly Job[]): Diagnostic {
  const state = new Map<Job, 'active' | 'done'>();
  const stack: Job[] = [];
  let cycle: Job[] = [];
  const visit = (job: Job): boolean => {
    state.set(job, 'active');
    stack.push(job);
    for (const dep of job.deps) {
      const s = state.get(dep);
      if (s === 'active') {
        cycle = stack.slice(stack.indexOf(dep));
        return true;
      }
      if (s === undefined && visit(dep)) return true;
    }
    stack.pop();
    state.set(job, 'done');
    return false;
  };
  for (const job of jobs) {
    if (state.get(job) === undefined && visit(job)) break;
  }

  // The stack runs from a job to what it depends on, so each job reads an
  // output of the one after it (and the last reads the first's).
  const related: RelatedLocation[] = [];
  for (const [i, job] of cycle.entries()) {
    const producer = cycle[(i + 1) % cycle.length]!;
    const produced = new Set(producer.outputs.values());
    let edge: {name: string; location: SourceLocation} | undefined;
    for (const [name, input] of job.inputs) {
      const index = input.paths.findIndex((p) => produced.has(p));
      if (index === -1) continue;
      edge = {name, location: pathLocation(input, index)};
      break;
    }
    if (edge === undefined) continue;
    related.push({
      message: `${job.id} reads "${edge.name}", an output of ${producer.id}`,
      location: edge.location,
    });
  }
  const names = [...cycle, cycle[0]].map((j) => j?.id).join(' → ');
  return error(
    `dependency cycle: ${names}`,
    related[0]?.location,
    'a job cannot depend, directly or through others, on its own outputs',
    related,
  );
}
