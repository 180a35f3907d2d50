import {planStatus} from '../cache/plan-status.js';
import {reasonLines, stateWord, type StateWord} from '../cache/status-text.js';
import type {LoadedPipeline} from '../cli/load-graph.js';
import {openState} from '../cli/open-state.js';

/** A job's state now, in the words `neuromake status` uses. */
export type {StateWord};

/** One job as the report lists it. */
export interface JobState {
  readonly id: string;
  readonly step: string;
  /** The built-in task, or undefined for a shell step. */
  readonly task: string | undefined;
  readonly state: StateWord;
  /** Why it would run now (empty when fresh), as `neuromake why` says. */
  readonly reasons: readonly string[];
  /** How long its last successful run took, if it ever ran. */
  readonly lastMs: number | undefined;
  /** The run that last produced or restored its outputs. */
  readonly lastRun: number | undefined;
  /** Ids of the jobs whose outputs it reads. */
  readonly deps: readonly string[];
  /** The shell command template, or the task name. */
  readonly action: string;
  /** Resolved params, as JSON. */
  readonly params: string;
}

/**
 * Evaluates every job of the pipeline with the planning code of `status`
 * and `why`, so the report says exactly what those commands would. Like
 * `status`, this may memoize file hashes in the state DB; it never runs or
 * restores anything.
 */
export async function jobStates(loaded: LoadedPipeline): Promise<JobState[]> {
  const state = openState({
    stateDir: loaded.stateDir,
    workspace: loaded.spec.workspace,
  });
  try {
    const statuses = await planStatus(
      loaded.graph.jobs,
      {
        ...state,
        spec: loaded.spec,
        producers: loaded.graph.producers,
        env: process.env,
      },
      new Set(),
    );
    return statuses.map((s): JobState => {
      const record = state.store.job(s.job.id);
      const action = s.job.step.action;
      return {
        id: s.job.id,
        step: s.job.step.id,
        task: action.kind === 'task' ? action.task.value : undefined,
        state: stateWord(s),
        reasons: reasonLines(s),
        lastMs: record?.ms,
        lastRun: record?.run,
        deps: s.job.deps.map((d) => d.id),
        action:
          action.kind === 'task' ? action.task.value : action.command.value,
        params: JSON.stringify(s.job.params),
      };
    });
  } finally {
    state.store.close();
  }
}
