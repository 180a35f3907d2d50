import {
  loadProfile,
  type ClusterProfile,
} from '../execution/slurm/cluster-profile.js';
import {executorOf} from '../execution/select-runner.js';
import type {Job} from '../graph/job.js';
import {
  EXECUTORS,
  type ExecutorName,
  type PipelineSpec,
} from '../pipeline/spec.js';
import {didYouMean} from '../util/did-you-mean.js';

/** Where a run's jobs go, from `--executor`, `--profile` and `--max-jobs`. */
export interface ExecutorPlan {
  /** Where steps without `executor:` run. */
  readonly fallback: ExecutorName;
  /** Set when some selected job runs on Slurm. */
  readonly slurm:
    {readonly profile: ClusterProfile; readonly maxJobs: number} | undefined;
}

/**
 * Checks the executor flags. The cluster profile is read only when some
 * selected job goes to Slurm, so local runs never need one.
 */
export function resolveExecutors(
  flags: {
    readonly executor: string | undefined;
    readonly profile: string | undefined;
    readonly maxJobs: string | undefined;
  },
  spec: PipelineSpec,
  selected: readonly Job[],
): {ok: true; plan: ExecutorPlan} | {ok: false; message: string; hint: string} {
  const fallback = EXECUTORS.find((e) => e === (flags.executor ?? 'local'));
  if (fallback === undefined) {
    return {
      ok: false,
      message: `--executor must be ${EXECUTORS.join(' or ')}, got "${flags.executor ?? ''}"`,
      hint:
        didYouMean(flags.executor ?? '', EXECUTORS) ??
        'for example --executor slurm',
    };
  }
  let maxJobs: number | undefined;
  if (flags.maxJobs !== undefined) {
    maxJobs = Number(flags.maxJobs);
    if (!Number.isSafeInteger(maxJobs) || maxJobs < 1) {
      return {
        ok: false,
        message: `--max-jobs must be a positive integer, got "${flags.maxJobs}"`,
        hint: 'for example --max-jobs 200',
      };
    }
  }
  if (!selected.some((j) => executorOf(j, fallback) === 'slurm')) {
    return {ok: true, plan: {fallback, slurm: undefined}};
  }
  const profile = loadProfile(flags.profile, spec.file);
  if (!profile.ok) {
    return {
      ok: false,
      message: profile.error.join('\n  '),
      hint: 'see "The cluster profile" in docs/cluster.md',
    };
  }
  for (const id of profile.value.steps.keys()) {
    if (spec.steps.has(id)) continue;
    return {
      ok: false,
      message: `${profile.value.file ?? 'the profile'}: steps.${id} names no step of ${spec.file}`,
      hint: didYouMean(id, spec.steps.keys()) ?? 'remove it, or fix the name',
    };
  }
  return {
    ok: true,
    plan: {
      fallback,
      slurm: {
        profile: profile.value,
        maxJobs: maxJobs ?? profile.value.maxJobs,
      },
    },
  };
}
