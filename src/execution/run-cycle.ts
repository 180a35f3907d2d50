import {clearFreshStamp} from '../cache/fresh-stamp.js';
import type {WorkspaceState} from '../cli/open-state.js';
import type {JobGraph} from '../graph/build-graph.js';
import type {Job} from '../graph/job.js';
import type {Logger} from '../logging/events.js';
import type {ExecutorName, PipelineSpec} from '../pipeline/spec.js';
import type {ResourcePool} from '../scheduler/resource-pool.js';
import {cleanPending} from './job-outputs.js';
import type {ActionRunner} from './action-runner.js';
import {LocalRunner} from './local-runner.js';
import {runJobs, type RunSummary} from './run-jobs.js';
import {selectRunner} from './select-runner.js';
import type {TaskPool} from './task-pool.js';

/** One run over a planned graph, as `run` does once and `watch` repeatedly. */
export interface CycleOptions {
  readonly spec: PipelineSpec;
  readonly graph: JobGraph;
  readonly stateDir: string;
  readonly state: WorkspaceState;
  readonly pool: TaskPool;
  readonly resources: ResourcePool;
  readonly logger: Logger;
  readonly selected: readonly Job[];
  readonly forced: ReadonlySet<Job>;
  readonly keepGoing: boolean;
  readonly signal: AbortSignal;
  /** Job id → key it last failed with; such jobs are not retried. */
  readonly failedKeys?: ReadonlyMap<string, string> | undefined;
  readonly command: string;
  /** Where steps without `executor:` run; local by default. */
  readonly executor?: ExecutorName | undefined;
  /** Runs Slurm-bound jobs; without it they fail (see selectRunner). */
  readonly slurm?: ActionRunner | undefined;
}

/**
 * Cleans up after any interrupted run, records a run in the state store,
 * runs the selected jobs and reports the summary as a `run-end` event.
 */
export async function runCycle(options: CycleOptions): Promise<RunSummary> {
  const {state, logger, spec, graph} = options;
  const started = performance.now();

  // Before anything changes: a stamp must never outlive the state it
  // describes (a crash mid-run leaves no stamp, so the next run plans).
  clearFreshStamp(options.stateDir);
  const pending = await cleanPending(spec.workspace, state.store);
  let cleaned = pending.removed;
  // Note: a runner that died may have been copying a blob into the store;
  // the workspace lock, held now, means no copy is under way.
  if (pending.deadRunner)
    cleaned += await state.contentStore.removeTemporaries();
  if (cleaned > 0) {
    logger.log({
      type: 'info',
      message: `removed ${cleaned} half-written file(s) left by an interrupted run`,
    });
  }
  const runId = state.store.beginRun(options.command);
  const local = new LocalRunner({
    spec,
    pool: options.pool,
    logger,
    gpuBudget: options.resources.budget.gpus.length > 0,
  });
  const summary = await runJobs(options.selected, options.forced, {
    ...state,
    spec,
    producers: graph.producers,
    env: process.env,
    stateDir: options.stateDir,
    runnerFor: selectRunner({
      local,
      slurm: options.slurm,
      fallback: options.executor ?? 'local',
    }),
    resources: options.resources,
    logger,
    runId,
    keepGoing: options.keepGoing,
    signal: options.signal,
    failedKeys: options.failedKeys,
  });
  state.store.endRun(
    runId,
    summary.interrupted
      ? 'interrupted'
      : summary.failed.length > 0
        ? 'failed'
        : 'ok',
  );
  logger.log({
    type: 'run-end',
    ran: summary.ran,
    restored: summary.restored,
    fresh: summary.fresh,
    failed: summary.failed.length,
    skipped: summary.skipped,
    ms: performance.now() - started,
    interrupted: summary.interrupted,
  });
  return summary;
}
