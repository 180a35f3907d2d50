/**
 * The engine benchmark's results (engine-dag.ts): its options, timings of
 * each tool and how they are summarised.
 */
import {jobCount, type DagShape} from './generate-dag.js';
import {median, type Timed} from './peers.js';
import type {PoolDispatchResult} from './pool-dispatch.js';

export interface Options {
  readonly shape: DagShape;
  readonly jobs: number;
  readonly repeat: number;
  readonly snakemakeRun: DagShape;
  readonly snakemakePlan: DagShape;
  readonly snakemakeRepeat: number;
  readonly skip: ReadonlySet<string>;
  readonly out: string;
  readonly keep: boolean;
  readonly check: boolean;
  readonly neuromake: string;
  /** Free text stored with the results, e.g. which build was measured. */
  readonly label: string | undefined;
}

/**
 * Timings of one command (or of several runs of it): medians of wall-clock
 * and of CPU time, all processes included (undefined without /proc).
 */
export interface Measure {
  readonly wallMs: number;
  readonly cpuMs: number | undefined;
  readonly allWallMs: readonly number[];
}

export function measure(
  results: readonly Pick<Timed, 'ms' | 'cpuMs'>[],
): Measure {
  const cpu = results.map((r) => r.cpuMs);
  return {
    wallMs: median(results.map((r) => r.ms)),
    cpuMs: cpu.every((c) => c !== undefined) ? median(cpu) : undefined,
    allWallMs: results.map((r) => r.ms),
  };
}

/**
 * A measure of one run with more runs added: medians over all of them.
 * (A measure keeps every run's wall time but only the median CPU, so the
 * first must be of a single run.)
 */
export function withRuns(
  one: Measure,
  more: readonly Pick<Timed, 'ms' | 'cpuMs'>[],
): Measure {
  if (one.allWallMs.length !== 1) {
    throw new Error('Internal error: withRuns takes a measure of one run');
  }
  return measure([{ms: one.wallMs, cpuMs: one.cpuMs}, ...more]);
}

/** A measure scaled per job from `fromJobs` to `toJobs`. */
export function scale(m: Measure, fromJobs: number, toJobs: number): Measure {
  if (fromJobs === toJobs) return m;
  const f = toJobs / fromJobs;
  return {
    wallMs: m.wallMs * f,
    cpuMs: m.cpuMs === undefined ? undefined : m.cpuMs * f,
    allWallMs: m.allWallMs.map((w) => w * f),
  };
}

export interface NeuromakeResult {
  readonly jobs: number;
  /** In-process planning time: the `plan` event of `run -n --json`. */
  readonly planMs: {readonly medianMs: number; readonly allMs: number[]};
  /** `run -n --json` on a fresh workspace, whole process. */
  readonly dryRun: Measure;
  /** `dag --format json`, whole process: start-up + plan + print. */
  readonly dag: Measure;
  /** `run -j N --json`; engineMs from its run-end event. */
  readonly run: Measure & {readonly engineMs: number};
  /** `run -j N` again, default (plain) output, whole process: answered
   * from the no-op stamp. */
  readonly noop: Measure;
  /** The first no-op after the run: plans in full and writes the stamp. */
  readonly noopFirst: Measure;
  /** No-op with NEUROMAKE_NO_STAMP=1: the full planning path. */
  readonly noopPlanned: Measure;
  /** `node -e 0`: the floor under any no-op of a Node program. */
  readonly nodeStart: Measure;
  /**
   * launch-floor.js: the run's `cp` commands through the engine's job
   * launchers and nothing else, whole process; `launcher` is the kind that
   * ran the last job.
   */
  readonly launchFloor: Measure & {readonly launcher: string};
  /** The same DAG of built-in files.concat jobs. */
  readonly task: Measure & {
    readonly engineMs: number;
    /** engineMs / jobs: what one built-in job costs the engine at -j N. */
    readonly perJobMs: number;
    readonly pool: PoolDispatchResult;
  };
}

export interface PeerResult {
  readonly version: string;
  /** Jobs of the DAG its plan and no-op were measured on. */
  readonly jobs: number;
  readonly plan: Measure;
  /** The full run as measured, on `jobs` jobs. */
  readonly run: Measure & {readonly jobs: number};
  readonly noop: Measure;
  /** Snakemake's no-op after its own (smaller) run, with its metadata. */
  readonly noopAfterRun?: Measure & {readonly jobs: number};
  readonly notes: readonly string[];
}

export type Skipped = {readonly skipped: string};

/** `1000 × 10 = 10,000 jobs`. */
export function describe(shape: DagShape): string {
  return `${shape.fanOut} × ${shape.depth} = ${jobCount(shape).toLocaleString('en-US')} jobs`;
}
