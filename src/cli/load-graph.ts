import {dirname, join, resolve} from 'node:path';

import {FsProbes} from '../cache/fs-probes.js';
import {buildGraph, type JobGraph} from '../graph/build-graph.js';
import {expandJobs} from '../graph/expand-jobs.js';
import type {Diagnostic} from '../pipeline/diagnostic.js';
import {loadPipeline} from '../pipeline/load-pipeline.js';
import type {PipelineSpec} from '../pipeline/spec.js';

/** A pipeline loaded and expanded into its job graph. */
export interface LoadedPipeline {
  readonly spec: PipelineSpec;
  readonly graph: JobGraph;
  /** `.neuromake/` beside the pipeline file. */
  readonly stateDir: string;
  readonly planMs: number;
  /** What planning looked at on disk (globs), for the no-op stamp. */
  readonly probes: FsProbes;
}

/**
 * Parses, validates and expands a pipeline file; every problem comes back
 * as diagnostics, nothing is run or written.
 */
export async function loadGraph(
  file: string,
  overrides: ReadonlyMap<string, string>,
): Promise<
  | {ok: true; value: LoadedPipeline}
  | {ok: false; diagnostics: Diagnostic[]; source?: PipelineSpec}
> {
  const start = performance.now();
  const loaded = await loadPipeline(resolve(file), {overrides});
  if (!loaded.ok) return {ok: false, diagnostics: loaded.error};
  const spec = loaded.value;
  const probes = new FsProbes();
  const expanded = expandJobs(spec, probes);
  if (!expanded.ok) {
    return {ok: false, diagnostics: expanded.diagnostics, source: spec};
  }
  const built = buildGraph(spec, expanded.jobs);
  if (!built.ok) {
    return {ok: false, diagnostics: built.diagnostics, source: spec};
  }
  return {
    ok: true,
    value: {
      spec,
      graph: built.graph,
      stateDir: join(dirname(spec.file), '.neuromake'),
      planMs: performance.now() - start,
      probes,
    },
  };
}
