import {createHash, randomBytes} from 'node:crypto';
import {createReadStream, mkdirSync} from 'node:fs';
import {readFile, rm, stat, writeFile} from 'node:fs/promises';
import {join, relative} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import type {Job} from '../../graph/job.js';
import type {Logger} from '../../logging/events.js';
import type {PipelineSpec} from '../../pipeline/spec.js';
import {JobSlots} from '../../scheduler/job-slots.js';
import {unreachable} from '../../util/unreachable.js';
import type {ActionRequest, ActionRunner} from '../action-runner.js';
import type {JobFailure} from '../job-failure.js';
import {safeName} from '../job-file-name.js';
import type {ClusterProfile} from './cluster-profile.js';
import {JobMonitor, type WatchOutcome} from './job-monitor.js';
import {succeeded, type SlurmEnding} from './job-states.js';
import {RUN_JOB_FAILED_PREFIX} from './run-job-marker.js';
import {describeProblem, slurmCli, type SlurmCli} from './slurm-command.js';
import {batchScript, sbatchArgs} from './submission.js';
import {jobName, SubmittedJobs} from './submitted-jobs.js';

/** Settings of a {@link SlurmRunner}. */
export interface SlurmRunnerOptions {
  readonly spec: PipelineSpec;
  /** `.neuromake/`; scripts and Slurm logs go to its `slurm/`. */
  readonly stateDir: string;
  readonly profile: ClusterProfile;
  /** How many Slurm jobs may be queued or running at once. */
  readonly maxJobs: number;
  /** The head's `--set` overrides, passed on to every node. */
  readonly overrides: ReadonlyMap<string, string>;
  readonly logger: Logger;
  /** Timeline slots of Slurm jobs start here (after the local cpus). */
  readonly firstSlot?: number;
}

/**
 * How many sbatch calls may be in flight at once. TODO(#7): submit a wide
 * fan-out of one step as a job array (`--array`), one sbatch for all.
 */
const SUBMIT_CONCURRENCY = 4;
/** The fastest status poll, for a job just submitted. */
const POLL_MIN_MS = 100;

/**
 * Runs each job as one Slurm batch job that runs `neuromake run-job` on a
 * compute node, from the shared workspace: the node executes the action
 * and writes the temporary outputs; keys, verification, the content store
 * and the state DB stay with the head (run-jobs), exactly as for a local
 * job. Jobs are admitted by `--max-jobs`, not by the local budgets.
 */
export class SlurmRunner implements ActionRunner {
  readonly admission: JobSlots;
  readonly #options: SlurmRunnerOptions;
  readonly #cli: SlurmCli;
  readonly #monitor: JobMonitor;
  readonly #submitted: SubmittedJobs;
  readonly #dir: string;
  /** Slurm job id → our job id, for status messages. */
  readonly #names = new Map<string, string>();
  #submitting = 0;
  readonly #submitQueue: (() => void)[] = [];

  constructor(options: SlurmRunnerOptions) {
    this.#options = options;
    this.admission = new JobSlots(options.maxJobs, options.firstSlot ?? 0);
    this.#cli = slurmCli(options.profile.commandTimeoutMs);
    this.#dir = join(options.stateDir, 'slurm');
    this.#submitted = new SubmittedJobs(this.#dir);
    this.#monitor = new JobMonitor({
      cli: this.#cli,
      pollMinMs: POLL_MIN_MS,
      pollMaxMs: Math.max(POLL_MIN_MS, options.profile.pollMaxMs),
      unreachableMs: options.profile.unreachableMs,
      onChange: (status) => {
        const job = this.#names.get(status.id);
        options.logger.log({
          type: 'info',
          job,
          verbose: true,
          message: `${job ?? '?'}: Slurm job ${status.id} is ${status.state}${status.reason === '' || status.reason === 'None' ? '' : ` (${status.reason})`}`,
        });
      },
    });
  }

  async run(request: ActionRequest): Promise<JobFailure | undefined> {
    const {job, log, signal} = request;
    if (signal.aborted) return {reason: 'interrupted'};
    const {spec, profile} = this.#options;
    const tag = randomBytes(3).toString('hex');
    const base = `${safeName(job.id).slice(0, 80)}-${shortHash(job.id)}`;
    const files = {
      script: join(this.#dir, 'scripts', `${base}.sh`),
      log: join(this.#dir, 'logs', `${base}-%j.out`),
      name: jobName(base, tag),
      workdir: spec.workspace,
    };
    mkdirSync(join(this.#dir, 'scripts'), {recursive: true});
    mkdirSync(join(this.#dir, 'logs'), {recursive: true});
    const temps = new Map<string, string>();
    for (const name of job.outputs.keys()) {
      temps.set(name, request.outputs.tempOf(name) ?? '');
    }
    const args = sbatchArgs(job, profile, files);
    await writeFile(
      files.script,
      batchScript(
        profile,
        {
          pipelineFile: spec.file,
          job,
          temps,
          overrides: this.#options.overrides,
        },
        args,
      ),
      {mode: 0o755},
    );
    log.write(`$ sbatch ${args.join(' ')}\n`);

    // Recorded before sbatch runs: a head killed right after it leaves a
    // job the next run can still find by name.
    this.#submitted.record({name: files.name, id: undefined});
    const submitted = await this.#submit(args, signal);
    if (!submitted.ok) {
      // sbatch timed out: the job may exist all the same.
      if (submitted.timedOut) await this.#cancelByName(files.name);
      else this.#submitted.remove(files.name);
      return submitted.failure;
    }
    const id = submitted.id;
    const slurmLog = files.log.replaceAll('%j', id);
    this.#names.set(id, job.id);
    this.#submitted.record({name: files.name, id});
    log.write(`neuromake: Slurm job ${id}, log ${this.#show(slurmLog)}\n`);
    this.#options.logger.log({
      type: 'info',
      job: job.id,
      verbose: true,
      message: `${job.id}: submitted as Slurm job ${id}`,
    });

    const outcome = await this.#outlast(id, signal);
    this.#names.delete(id);
    await this.#copyLog(slurmLog, log);
    const failure =
      signal.aborted || outcome === 'gave-up'
        ? ({reason: 'interrupted'} as const)
        : await this.#judge(job, outcome, id, slurmLog);
    if (outcome !== 'gave-up' && outcome.kind !== 'unreachable') {
      // Slurm knows it has ended (or it was cancelled): nothing of it is
      // left for the next run to cancel.
      this.#submitted.remove(files.name);
    }
    if (failure === undefined) {
      await this.#awaitOutputs(request, temps);
      // The log is in the job's own log now; keep the files only when
      // something went wrong, for debugging.
      await rm(files.script, {force: true});
      await rm(slurmLog, {force: true});
    }
    return failure;
  }

  /**
   * Waits for Slurm job `id` to end. On abort it is cancelled, and still
   * waited for (so nothing writes the temporary files once the head has
   * discarded them), but only up to cancel_wait.
   */
  async #outlast(
    id: string,
    signal: AbortSignal,
  ): Promise<WatchOutcome | 'gave-up'> {
    const watching = this.#monitor.watch(id);
    let timer: NodeJS.Timeout | undefined;
    let onAbort = () => {};
    const gaveUp = new Promise<'gave-up'>((settle) => {
      onAbort = () => {
        void this.#cli('scancel', [id]);
        this.#monitor.hurry(id);
        timer = setTimeout(
          () => settle('gave-up'),
          this.#options.profile.cancelWaitMs,
        );
      };
    });
    signal.addEventListener('abort', onAbort, {once: true});
    if (signal.aborted) onAbort();
    try {
      return await Promise.race([watching, gaveUp]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Stops polling. Every job has ended by then: run-jobs waits for them. */
  close(): void {
    this.#monitor.close();
  }

  async #judge(
    job: Job,
    outcome: WatchOutcome,
    id: string,
    slurmLog: string,
  ): Promise<JobFailure | undefined> {
    switch (outcome.kind) {
      case 'ended':
        if (succeeded(outcome.ending)) return undefined;
        return this.#failed(outcome.ending, slurmLog);
      case 'hopeless':
        await this.#cli('scancel', [id]);
        return {
          reason: 'slurm-rejected',
          slurmJob: id,
          message: `it pends with reason ${outcome.status.reason}, which means it can never start as submitted${gpuHint(job, outcome.status.reason)}`,
        };
      case 'lost':
      case 'unreachable':
        return {
          reason: 'slurm-unreachable',
          message: `lost track of job ${id} (${job.id}): ${outcome.message}`,
        };
      default:
        return unreachable(outcome);
    }
  }

  async #failed(ending: SlurmEnding, slurmLog: string): Promise<JobFailure> {
    const detail = await lastRunJobLine(slurmLog);
    return {
      reason: 'slurm-failed',
      slurmJob: ending.id,
      state: ending.state,
      slurmReason: ending.reason,
      exitCode: ending.exitCode,
      signal: ending.signal,
      log: this.#show(slurmLog),
      ...(detail === undefined ? {} : {detail}),
    };
  }

  /** sbatch, a few at a time so a wide fan-out does not flood slurmctld. */
  async #submit(
    args: readonly string[],
    signal: AbortSignal,
  ): Promise<
    {ok: true; id: string} | {ok: false; failure: JobFailure; timedOut: boolean}
  > {
    while (this.#submitting >= SUBMIT_CONCURRENCY) {
      await new Promise<void>((wake) => this.#submitQueue.push(wake));
    }
    this.#submitting++;
    try {
      if (signal.aborted) {
        return {ok: false, timedOut: false, failure: {reason: 'interrupted'}};
      }
      const result = await this.#cli('sbatch', args);
      if (!result.ok) {
        const problem = result.error;
        if (problem.reason === 'exit-non-zero') {
          return {
            ok: false,
            timedOut: false,
            failure: {
              reason: 'slurm-rejected',
              message: `${cleanSbatchError(problem.message)}${gpuHintFor(args, problem.message)}`,
            },
          };
        }
        return {
          ok: false,
          timedOut: problem.reason === 'timed-out',
          failure: {
            reason: 'slurm-unreachable',
            message: describeProblem(problem),
          },
        };
      }
      // --parsable prints `id` or `id;cluster`.
      const id = /^(\d+)/.exec(result.value.stdout.trim())?.[1];
      if (id === undefined) {
        return {
          ok: false,
          timedOut: false,
          failure: {
            reason: 'slurm-unreachable',
            message: `sbatch printed no job id: ${result.value.stdout.trim()}`,
          },
        };
      }
      return {ok: true, id};
    } finally {
      this.#submitting--;
      this.#submitQueue.shift()?.();
    }
  }

  /**
   * sbatch timed out: the job may exist all the same. Its name is unique
   * to this submission, so cancelling by name hits nothing else.
   */
  async #cancelByName(name: string): Promise<void> {
    const result = await this.#cli('scancel', [`--name=${name}`]);
    if (result.ok) this.#submitted.remove(name);
  }

  /** Appends the Slurm log (the node's stdout and stderr) to the job log. */
  async #copyLog(slurmLog: string, log: ActionRequest['log']): Promise<void> {
    try {
      // Streamed: a chatty job's log can be large.
      await new Promise<void>((settle, reject) => {
        const source = createReadStream(slurmLog);
        source.once('error', reject);
        source.once('end', settle);
        source.pipe(log, {end: false});
      });
    } catch {
      log.write(`neuromake: no Slurm log at ${this.#show(slurmLog)}\n`);
    }
  }

  /**
   * Waits (up to output_wait) until each temporary output is visible: on
   * NFS a file the node closed can stay unseen for the attribute-cache
   * time. A missing output after that is the head's usual missing-output
   * failure.
   */
  async #awaitOutputs(
    request: ActionRequest,
    temps: ReadonlyMap<string, string>,
  ): Promise<void> {
    const deadline = Date.now() + this.#options.profile.outputWaitMs;
    for (const name of temps.keys()) {
      const path = request.outputs.absoluteTemp(name);
      while (Date.now() < deadline) {
        const stats = await stat(path).catch(() => undefined);
        if (stats?.isFile() === true) break;
        await sleep(100);
      }
    }
  }

  /** A path as users see it: relative to the workspace. */
  #show(path: string): string {
    return relative(this.#options.spec.workspace, path);
  }
}

/** Eight hex digits of the job id, so distinct ids never share files. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `sbatch: error: A\nsbatch: error: B` → `A; B`. */
function cleanSbatchError(message: string): string {
  const parts = message
    .split(/\s*sbatch: error:\s*/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return [...new Set(parts)].join('; ') || message;
}

/** Explains a GPU request the cluster rejected. */
function gpuHintFor(args: readonly string[], message: string): string {
  const gpus = args.find(
    (a) => a.startsWith('--gpus=') || a.startsWith('--gres=gpu'),
  );
  if (gpus === undefined || !/gres|gpu|generic resource/i.test(message))
    return '';
  return ` (the job asks for ${gpus}, from its step's resources.gpus, and no node of the partition has such GPUs; submit it to a GPU partition with \`steps: {<step>: {partition: …}}\` in the cluster profile, or run the step locally)`;
}

function gpuHint(job: Job, reason: string): string {
  return job.step.resources.gpus > 0 && /gres|Constraints|Config/i.test(reason)
    ? ` (it asks for ${job.step.resources.gpus} GPU(s))`
    : '';
}

/** The node's own last word, `neuromake run-job: …`, if it left one. */
async function lastRunJobLine(slurmLog: string): Promise<string | undefined> {
  try {
    const text = await readFile(slurmLog, 'utf8');
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith(RUN_JOB_FAILED_PREFIX));
    const last = lines.at(-1);
    return last?.slice(RUN_JOB_FAILED_PREFIX.length).trim();
  } catch {
    return undefined;
  }
}
