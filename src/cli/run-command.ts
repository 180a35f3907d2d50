import {join} from 'node:path';

import {runCycle} from '../execution/run-cycle.js';
import {executorOf} from '../execution/select-runner.js';
import {DEFAULT_PROFILE} from '../execution/slurm/cluster-profile.js';
import {slurmCli} from '../execution/slurm/slurm-command.js';
import {SlurmRunner} from '../execution/slurm/slurm-runner.js';
import {cancelLeftovers} from '../execution/slurm/submitted-jobs.js';
import {TaskPool} from '../execution/task-pool.js';
import {busyHint, lockWorkspace} from '../cache/workspace-lock.js';
import {planStatus} from '../cache/plan-status.js';
import {recordFreshStamp} from '../cache/record-fresh-stamp.js';
import {describeReason} from '../cache/stale-reason.js';
import type {Job} from '../graph/job.js';
import {resolveTargets, upstreamClosure} from '../graph/select-jobs.js';
import type {Logger} from '../logging/events.js';
import {error, type Diagnostic} from '../pipeline/diagnostic.js';
import {ResourcePool} from '../scheduler/resource-pool.js';
import {resolveBudget} from './budget.js';
import {EXIT, usageError, type CliIo} from './cli-io.js';
import {resolveExecutors} from './executor-flags.js';
import {listenForInterrupts} from './interrupts.js';
import type {LoadedPipeline} from './load-graph.js';
import {openState} from './open-state.js';

/** Flags of `neuromake run`. */
export interface RunFlags {
  readonly targets: readonly string[];
  readonly force: readonly string[];
  readonly jobs: string | undefined;
  readonly memory: string | undefined;
  readonly gpus: string | undefined;
  /** `--executor`, `--profile`, `--max-jobs`: see docs/cluster.md. */
  readonly executor: string | undefined;
  readonly profile: string | undefined;
  readonly maxJobs: string | undefined;
  /** The `--set` overrides, passed on to cluster nodes. */
  readonly overrides: ReadonlyMap<string, string>;
  readonly dryRun: boolean;
  readonly keepGoing: boolean;
  readonly wait: boolean;
}

/**
 * `neuromake run`: brings the targets (default: everything) up to date.
 * Exit 0 when every job succeeded, 1 when one failed, 2 for usage or
 * pipeline errors, 130 when interrupted.
 */
export async function runCommand(
  loaded: LoadedPipeline,
  flags: RunFlags,
  io: CliIo,
  logger: Logger,
): Promise<number> {
  const {graph, spec} = loaded;
  const targets = resolveTargets(graph, flags.targets);
  if (!targets.ok) {
    return usageError(
      io,
      `no step, job or output is called "${targets.error.target}"`,
      targets.error.hint,
    );
  }
  const forcedTargets = resolveTargets(graph, flags.force);
  if (!forcedTargets.ok) {
    const e = forcedTargets.error;
    return usageError(
      io,
      `--force: no step, job or output is called "${e.target}"`,
      e.hint,
    );
  }
  const selected = upstreamClosure(graph, targets.jobs);
  const forced = new Set<Job>(
    flags.force.length === 0 ? [] : forcedTargets.jobs,
  );

  const executors = resolveExecutors(flags, spec, selected);
  if (!executors.ok) {
    return usageError(io, executors.message, executors.hint);
  }
  const {plan} = executors;
  // Slurm jobs take nothing from the local budgets (the cluster sizes
  // them), so only local jobs are checked against those.
  const local = selected.filter(
    (j) => executorOf(j, plan.fallback) === 'local',
  );
  const budget = resolveBudget({
    jobs: flags.jobs,
    memory: flags.memory,
    gpus: flags.gpus,
    needGpus: local.some((j) => j.step.resources.gpus > 0),
  });
  if (!budget.ok) return usageError(io, budget.message, budget.hint);
  const resources = new ResourcePool(budget.budget);
  const impossible = await overBudget(loaded, local, forced, resources);
  if (impossible.length > 0) {
    logger.log({type: 'diagnostics', diagnostics: impossible});
    return EXIT.usage;
  }
  logger.log({
    type: 'plan',
    jobs: selected.length,
    steps: spec.steps.size,
    planMs: loaded.planMs,
  });

  if (flags.dryRun) return dryRun(loaded, selected, forced, logger);

  const lock = await lockWorkspace(loaded.stateDir, {
    wait: flags.wait,
    onWait: (owner) =>
      logger.log({
        type: 'info',
        message: `waiting for the run of pid ${owner.pid} (since ${owner.since}) to finish`,
      }),
  });
  if (!lock.ok) {
    const e = lock.error;
    return usageError(
      io,
      `another neuromake (pid ${e.pid} on ${e.host}, since ${e.since}) is running in this workspace`,
      busyHint(
        e,
        loaded.stateDir,
        'wait for it to finish, or pass --wait to queue behind it',
      ),
    );
  }

  // Jobs run in the workspace, and built-in tasks get workspace-relative
  // paths there (see LocalRunner): outputs must not depend on where the
  // checkout lives.
  process.chdir(spec.workspace);
  const state = {
    ...openState(
      {stateDir: loaded.stateDir, workspace: loaded.spec.workspace},
      lock,
    ),
    probes: loaded.probes,
  };
  const controller = new AbortController();
  const stopListening = listenForInterrupts(controller, logger);
  const pool = new TaskPool(budget.budget.cpus);
  const slurmDir = join(loaded.stateDir, 'slurm');
  const slurm =
    plan.slurm === undefined
      ? undefined
      : new SlurmRunner({
          spec,
          stateDir: loaded.stateDir,
          profile: plan.slurm.profile,
          maxJobs: plan.slurm.maxJobs,
          overrides: flags.overrides,
          logger,
          firstSlot: Math.ceil(budget.budget.cpus),
        });
  try {
    // Before the run deletes stray temporary files: a head killed with -9
    // may have left Slurm jobs still writing them.
    const profile = plan.slurm?.profile ?? DEFAULT_PROFILE;
    const leftovers = await cancelLeftovers(
      slurmDir,
      slurmCli(profile.commandTimeoutMs),
      profile.cancelWaitMs,
    );
    if (leftovers > 0) {
      logger.log({
        type: 'info',
        message: `cancelled ${leftovers} Slurm job(s) left by an interrupted run`,
      });
    }
    const summary = await runCycle({
      spec,
      graph,
      stateDir: loaded.stateDir,
      state,
      pool,
      resources,
      logger,
      selected,
      forced,
      keepGoing: flags.keepGoing,
      signal: controller.signal,
      command: process.argv.slice(2).join(' '),
      executor: plan.fallback,
      slurm,
    });
    if (summary.interrupted) return EXIT.interrupted;
    if (summary.failed.length > 0) return EXIT.failed;
    if (
      flags.targets.length === 0 &&
      summary.skipped === 0 &&
      selected.length === graph.jobs.length
    ) {
      recordFreshStamp({
        spec,
        graph,
        overrides: flags.overrides,
        probes: loaded.probes,
        store: state.store,
        stateDir: loaded.stateDir,
        env: process.env,
      });
    }
    return EXIT.ok;
  } finally {
    stopListening();
    slurm?.close();
    await pool.close();
    state.store.close();
    lock.release();
  }
}

/**
 * Jobs that have to run but ask for more than the whole budget: reported
 * before anything runs. A fresh or restorable job needs no resources (a
 * model trained on a GPU node, its tables made on a laptop), so only the
 * jobs asking too much are checked, and they only if they must run.
 */
async function overBudget(
  loaded: LoadedPipeline,
  local: readonly Job[],
  forced: ReadonlySet<Job>,
  resources: ResourcePool,
): Promise<Diagnostic[]> {
  const asking = local.filter(
    (j) => resources.impossible(j.step.resources) !== undefined,
  );
  if (asking.length === 0) return [];
  const state = openState({
    stateDir: loaded.stateDir,
    workspace: loaded.spec.workspace,
  });
  try {
    const statuses = await planStatus(
      upstreamClosure(loaded.graph, asking),
      {
        ...state,
        spec: loaded.spec,
        producers: loaded.graph.producers,
        env: process.env,
      },
      forced,
    );
    const idle = new Set(
      statuses
        .filter(
          (s) => s.verdict.kind === 'fresh' || s.verdict.kind === 'restore',
        )
        .map((s) => s.job),
    );
    return impossibleJobs(
      asking.filter((j) => !idle.has(j)),
      resources,
    );
  } finally {
    state.store.close();
  }
}

/** Jobs asking for more than the whole budget, one error per step. */
function impossibleJobs(
  jobs: readonly Job[],
  resources: ResourcePool,
): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const job of jobs) {
    if (seen.has(job.step.id)) continue;
    const problem = resources.impossible(job.step.resources);
    if (problem === undefined) continue;
    seen.add(job.step.id);
    out.push(
      error(
        `step "${job.step.id}" ${problem}`,
        job.step.location,
        "lower the step's resources or raise the budget; a job that is fresh, or whose outputs are in the store, needs none",
      ),
    );
  }
  return out;
}

async function dryRun(
  loaded: LoadedPipeline,
  selected: readonly Job[],
  forced: ReadonlySet<Job>,
  logger: Logger,
): Promise<number> {
  const state = openState({
    stateDir: loaded.stateDir,
    workspace: loaded.spec.workspace,
  });
  try {
    const statuses = await planStatus(
      selected,
      {
        ...state,
        spec: loaded.spec,
        producers: loaded.graph.producers,
        env: process.env,
      },
      forced,
    );
    let run = 0;
    let restore = 0;
    for (const {job, verdict} of statuses) {
      if (verdict.kind === 'fresh') continue;
      if (verdict.kind === 'input-missing') {
        logger.log({
          type: 'job-planned',
          job: job.id,
          action: 'run',
          reasons: [`input ${verdict.path} is missing`],
        });
        run++;
        continue;
      }
      const action = verdict.kind === 'restore' ? 'restore' : 'run';
      if (action === 'run') run++;
      else restore++;
      logger.log({
        type: 'job-planned',
        job: job.id,
        action,
        reasons: verdict.reasons.map(describeReason),
      });
    }
    logger.log({
      type: 'info',
      message: `dry run: ${run} would run, ${restore} would be restored, ${selected.length - run - restore} fresh`,
    });
    return EXIT.ok;
  } finally {
    state.store.close();
  }
}
