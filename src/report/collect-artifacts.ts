import {readFile, stat} from 'node:fs/promises';
import {isAbsolute, join} from 'node:path';

import type {JobGraph} from '../graph/build-graph.js';
import type {Job} from '../graph/job.js';
import {
  readResultFile,
  MAX_TABLE_BYTES,
  type ResultBlock,
} from './result-tables.js';
import {atlasSlice, maskSlice, type SlicePreview} from './slice-preview.js';

/** One output file shown in the report, or why it could not be. */
interface Artifact {
  readonly job: string;
  readonly output: string;
  /** As the pipeline declares it (relative to the workspace). */
  readonly path: string;
  /** Upstream of it (or itself) is a synth.* task, or its header says so. */
  readonly synthetic: boolean;
  /** Set when the file is missing or unreadable; the rest is then empty. */
  readonly problem?: string;
}

/** A results file (Markdown or CSV). */
export interface TableArtifact extends Artifact {
  readonly blocks: readonly ResultBlock[];
}

/** An SVG plot, kept as bytes: the page embeds it as an image. */
export interface PlotArtifact extends Artifact {
  readonly svg: Buffer;
  /** A warning the producing task wrote beside it (an untrained model). */
  readonly warning?: string;
}

/** A slice preview of a mask or atlas. */
export interface SliceArtifact extends Artifact {
  readonly preview?: SlicePreview;
}

/** Every result the report shows. */
export interface Artifacts {
  readonly tables: readonly TableArtifact[];
  readonly brainPlots: readonly PlotArtifact[];
  readonly curves: readonly PlotArtifact[];
  readonly otherPlots: readonly PlotArtifact[];
  readonly mask: SliceArtifact | undefined;
  readonly atlas: SliceArtifact | undefined;
  /** Steps whose task generates data (synth.*). */
  readonly syntheticSteps: readonly string[];
  /** Steps whose task builds an untrained model (model.build-encoder). */
  readonly untrainedSteps: readonly string[];
}

/** The task that writes the results tables (issue #6, src/results). */
export const RESULTS_TASK = 'results.tables';
const SVG_LIMIT = 8 << 20;

/**
 * Finds the results through the graph, by the task of each step and the
 * name of each output, never by scanning out/: what the report shows is
 * what the pipeline declares. Tables: .md/.csv outputs of results.tables
 * jobs, and of any step whose output name starts with "table" (how a shell
 * step's own aggregation joins in). Plots: brain.score's `plot`,
 * model.heads' `curves`/`plot`, then every other .svg output.
 */
export async function collectArtifacts(
  graph: JobGraph,
  workspace: string,
): Promise<Artifacts> {
  const abs = (p: string): string => (isAbsolute(p) ? p : join(workspace, p));
  const synthetic = syntheticJobs(graph.jobs);
  const base = (job: Job, output: string, path: string): Artifact => ({
    job: job.id,
    output,
    path,
    synthetic: synthetic.has(job),
  });
  const tables: TableArtifact[] = [];
  const brainPlots: PlotArtifact[] = [];
  const curves: PlotArtifact[] = [];
  const otherPlots: PlotArtifact[] = [];
  let mask: SliceArtifact | undefined;
  let atlas: SliceArtifact | undefined;
  let synthAtlas: SliceArtifact | undefined;
  for (const job of graph.jobs) {
    const task = taskOf(job);
    for (const [name, path] of job.outputs) {
      const a = base(job, name, path);
      if (
        /\.(md|csv)$/i.test(path) &&
        (task === RESULTS_TASK || /^tables?(\b|_)/i.test(name))
      ) {
        tables.push(await tableOf(a, abs(path)));
      } else if (/\.svg$/i.test(path)) {
        if (task === 'brain.score' && name === 'plot') {
          const scores = job.outputs.get('scores');
          brainPlots.push(
            await plotOf(
              a,
              abs(path),
              scores === undefined ? undefined : abs(scores),
            ),
          );
        } else if (task === 'model.heads' && /^(curves|plot)$/.test(name)) {
          curves.push(await plotOf(a, abs(path), undefined));
        } else {
          otherPlots.push(await plotOf(a, abs(path), undefined));
        }
      } else if (
        mask === undefined &&
        task === 'fmri.mask' &&
        name === 'mask'
      ) {
        mask = await sliceOf(a, abs(path), maskSlice);
        if (mask.problem !== undefined) mask = undefined;
      } else if (
        atlas === undefined &&
        task === 'fmri.atlas-prepare' &&
        name === 'prepared'
      ) {
        atlas = await sliceOf(a, abs(path), atlasSlice);
        if (atlas.problem !== undefined) atlas = undefined;
      } else if (
        synthAtlas === undefined &&
        task === 'synth.atlas' &&
        name === 'atlas'
      ) {
        synthAtlas = a;
      }
    }
  }
  // The prepared atlas lies on the BOLD grid, beside the mask; the
  // generated one only when nothing prepared it.
  if (atlas === undefined && synthAtlas !== undefined) {
    atlas = await sliceOf(synthAtlas, abs(synthAtlas.path), atlasSlice);
  }
  const stepsWith = (test: (task: string) => boolean): string[] => [
    ...new Set(
      graph.jobs.filter((j) => test(taskOf(j) ?? '')).map((j) => j.step.id),
    ),
  ];
  return {
    tables,
    brainPlots,
    curves,
    otherPlots,
    mask,
    atlas,
    syntheticSteps: stepsWith((t) => t.startsWith('synth.')),
    untrainedSteps: stepsWith((t) => t === 'model.build-encoder'),
  };
}

function taskOf(job: Job): string | undefined {
  return job.step.action.kind === 'task'
    ? job.step.action.task.value
    : undefined;
}

/** Jobs at or downstream of a synth.* job (the graph is in topological order). */
function syntheticJobs(jobs: readonly Job[]): Set<Job> {
  const out = new Set<Job>();
  for (const job of jobs) {
    if (
      taskOf(job)?.startsWith('synth.') === true ||
      job.deps.some((d) => out.has(d))
    ) {
      out.add(job);
    }
  }
  return out;
}

async function tableOf(a: Artifact, file: string): Promise<TableArtifact> {
  const size = await sizeOf(file);
  if (size === undefined)
    return {...a, blocks: [], problem: 'not produced yet'};
  if (size > MAX_TABLE_BYTES) {
    return {...a, blocks: [], problem: `${size} bytes, too big to inline`};
  }
  try {
    return {...a, blocks: await readResultFile(file)};
  } catch (err) {
    return {...a, blocks: [], problem: messageOf(err)};
  }
}

async function plotOf(
  a: Artifact,
  file: string,
  scoresFile: string | undefined,
): Promise<PlotArtifact> {
  const size = await sizeOf(file);
  if (size === undefined)
    return {...a, svg: Buffer.alloc(0), problem: 'not produced yet'};
  if (size > SVG_LIMIT) {
    return {
      ...a,
      svg: Buffer.alloc(0),
      problem: `${size} bytes, too big to inline`,
    };
  }
  const svg = await readFile(file);
  const warning =
    scoresFile === undefined ? undefined : await modelWarning(scoresFile);
  return warning === undefined ? {...a, svg} : {...a, svg, warning};
}

/** brain.score's scores JSON says whether its encoder was untrained. */
async function modelWarning(file: string): Promise<string | undefined> {
  try {
    const scores = JSON.parse(await readFile(file, 'utf8')) as {
      model?: {untrained?: unknown; warning?: unknown; model?: unknown};
    };
    const m = scores.model;
    if (m?.untrained !== true) return undefined;
    return typeof m.warning === 'string' ? m.warning : 'UNTRAINED model';
  } catch {
    return undefined;
  }
}

async function sliceOf(
  a: Artifact,
  file: string,
  render: (file: string) => Promise<SlicePreview>,
): Promise<SliceArtifact> {
  if ((await sizeOf(file)) === undefined)
    return {...a, problem: 'not produced yet'};
  try {
    const preview = await render(file);
    return {
      ...a,
      synthetic: a.synthetic || /synthetic/i.test(preview.descrip),
      preview,
    };
  } catch (err) {
    return {...a, problem: messageOf(err)};
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
