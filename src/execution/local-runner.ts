import {resolve} from 'node:path';

import type {Logger} from '../logging/events.js';
import type {PipelineSpec} from '../pipeline/spec.js';
import type {Allocation} from '../scheduler/resource-pool.js';
import type {ActionRequest, ActionRunner} from './action-runner.js';
import type {JobFailure} from './job-failure.js';
import {RUN_TOKEN} from './job-outputs.js';
import {renderCommand} from './render-command.js';
import {runShell} from './shell-runner.js';
import type {TaskPool} from './task-pool.js';
import type {Job} from '../graph/job.js';

/**
 * Runs actions on this machine: shell commands as child processes, built-in
 * tasks in the shared worker pool.
 */
export class LocalRunner implements ActionRunner {
  readonly #spec: PipelineSpec;
  readonly #pool: TaskPool;
  readonly #logger: Logger;
  /** Whether GPUs are handed out at all in this run. */
  readonly #gpuBudget: boolean;
  readonly #inheritGpus: boolean;

  constructor(options: {
    spec: PipelineSpec;
    pool: TaskPool;
    logger: Logger;
    gpuBudget: boolean;
    /**
     * On a cluster node: a GPU job keeps the CUDA_VISIBLE_DEVICES that
     * Slurm set (possibly UUIDs), rather than the allocation's ids.
     */
    inheritGpus?: boolean;
  }) {
    this.#spec = options.spec;
    this.#pool = options.pool;
    this.#logger = options.logger;
    this.#gpuBudget = options.gpuBudget;
    this.#inheritGpus = options.inheritGpus ?? false;
  }

  run(request: ActionRequest): Promise<JobFailure | undefined> {
    return request.job.step.action.kind === 'shell'
      ? this.#shell(request)
      : this.#task(request);
  }

  #shell(request: ActionRequest) {
    const {job, outputs, allocation, log, signal} = request;
    const command = renderCommand(job, this.#spec.params, (name) =>
      outputs.tempOf(name),
    );
    return runShell({
      command,
      header: commandHeader(command),
      cwd: this.#spec.workspace,
      baseEnv: baseEnvironment(),
      jobEnv: jobVariables(job, allocation, this.#gpuBudget, this.#inheritGpus),
      log,
      signal,
      behind: request.behind,
      onLane: request.onLane,
      begun: request.begun,
    });
  }

  #task(request: ActionRequest): Promise<JobFailure | undefined> {
    const {job, outputs, allocation, log, signal} = request;
    if (job.step.action.kind !== 'task') {
      throw new Error('Internal error: not a task step');
    }
    // The worker pool has no lanes: a task is never queued behind a job.
    if (request.behind !== undefined) {
      return Promise.resolve({reason: 'not-started'});
    }
    // Tasks get paths as the pipeline wrote them when the process runs in
    // the workspace (the CLI makes sure it does): a task that records its
    // inputs then writes the same bytes in every checkout, so its outputs
    // and their hashes do not depend on where the workspace lives.
    const relative = process.cwd() === this.#spec.workspace;
    const inputs: Record<string, string | string[]> = {};
    for (const [name, input] of job.inputs) {
      const paths = relative
        ? [...input.paths]
        : input.paths.map((p) => resolve(this.#spec.workspace, p));
      inputs[name] = input.list ? paths : (paths[0] ?? '');
    }
    const temps: Record<string, string> = {};
    for (const name of job.outputs.keys()) {
      temps[name] = relative
        ? (outputs.tempOf(name) ?? outputs.absoluteTemp(name))
        : outputs.absoluteTemp(name);
    }
    const logger = this.#logger;
    return this.#pool.run(
      {
        task: job.step.action.task.value,
        jobId: job.id,
        resources: {
          cpus: Math.max(1, Math.floor(allocation.cpus)),
          gpus: [...allocation.gpus],
        },
        inputs,
        outputs: temps,
        params: {...job.params},
      },
      {
        progress: (done, total, message) =>
          logger.log({type: 'job-progress', job: job.id, done, total, message}),
        log: (text) => log.write(`${text}\n`),
        warn: (text) => {
          log.write(`warning: ${text}\n`);
          logger.log({type: 'warning', job: job.id, message: text});
        },
      },
      signal,
    );
  }
}

/** The environment every shell job of this process starts from. */
let base: NodeJS.ProcessEnv | undefined;

/**
 * The runner's environment plus its run token, built once: copying
 * process.env for every job cost 0.6 s per 10,000 jobs. The same object is
 * returned each time, so launchers (keyed by it) are shared.
 */
function baseEnvironment(): NodeJS.ProcessEnv {
  base ??= {...process.env, NEUROMAKE_RUN_TOKEN: RUN_TOKEN};
  return base;
}

/**
 * What a shell job's environment adds to {@link baseEnvironment}: the job's
 * id, its cpu count for thread pools, and its GPUs. Never removes anything,
 * so a launcher started with the base can add just these.
 */
function jobVariables(
  job: Job,
  allocation: Allocation,
  gpuBudget: boolean,
  inheritGpus: boolean,
): Record<string, string> {
  const env: Record<string, string> = {NEUROMAKE_JOB: job.id};

  // Each GPU job sees only the devices it was given; a job that asked for
  // none sees none, so it cannot take a GPU another job holds.
  if (inheritGpus && job.step.resources.gpus > 0) {
    // Slurm already set CUDA_VISIBLE_DEVICES to the job's own devices.
  } else if (gpuBudget || job.step.resources.gpus > 0) {
    env['CUDA_VISIBLE_DEVICES'] = allocation.gpus.join(',');
  }
  const threads = String(Math.max(1, Math.floor(allocation.cpus)));
  if (baseEnvironment()['OMP_NUM_THREADS'] === undefined) {
    env['OMP_NUM_THREADS'] = threads;
  }
  env['NEUROMAKE_CPUS'] = threads;
  return env;
}

/**
 * A shell job's first log lines: its command, `$ ` before the first line
 * and `> ` before each further one (as a shell prompts for them), so the
 * command reads apart from what the job writes (see log-tail.ts).
 */
export function commandHeader(command: string): string {
  return `$ ${command.trimEnd().replaceAll('\n', '\n> ')}\n`;
}
