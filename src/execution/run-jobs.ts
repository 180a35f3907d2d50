import {join} from 'node:path';

import {
  evaluateJob,
  type EvaluationContext,
  type Verdict,
} from '../cache/evaluate-job.js';
import type {JobKey} from '../cache/job-key.js';
import {describeReason} from '../cache/stale-reason.js';
import type {OutputRecord} from '../cache/state-store.js';
import type {Job} from '../graph/job.js';
import type {Logger} from '../logging/events.js';
import type {Allocation, ResourcePool} from '../scheduler/resource-pool.js';
import type {Sha256Hex} from '../util/hash.js';
import {CommitBatcher} from './commit-batcher.js';
import {describeFailure, type JobFailure} from './job-failure.js';
import {safeName} from './job-file-name.js';
import {JobLog} from './job-log.js';
import {logTail} from './log-tail.js';
import {JobOutputs, releasePending, restoreOutputs} from './job-outputs.js';
import type {ActionRunner, Lane} from './action-runner.js';
import {StartQueue, type StartedJob} from './start-queue.js';

/** Everything one run needs. */
export interface RunContext extends Omit<EvaluationContext, 'producedHash'> {
  readonly stateDir: string;
  /** Who executes a job's action: this machine, or a cluster. */
  readonly runnerFor: (job: Job) => ActionRunner;
  readonly resources: ResourcePool;
  readonly logger: Logger;
  readonly runId: number;
  readonly keepGoing: boolean;
  readonly signal: AbortSignal;
  /**
   * Job id → the key it last failed with. Watch mode passes these so that
   * a failed job is retried only once something it depends on changes.
   */
  readonly failedKeys?: ReadonlyMap<string, string> | undefined;
}

/** How a run ended. */
export interface RunSummary {
  readonly ran: number;
  readonly restored: number;
  readonly fresh: number;
  readonly failed: readonly string[];
  /** Job id → the key each failed job had. */
  readonly failedKeys: ReadonlyMap<string, string>;
  readonly skipped: number;
  readonly interrupted: boolean;
}

/** How many jobs may be evaluated (hashing inputs) at once. */
const EVALUATION_CONCURRENCY = 16;

/**
 * Runs the selected jobs (a dependency-closed set, in topological order).
 * Each job is evaluated as soon as its dependencies finish: fresh jobs are
 * counted, cached ones restored, and the rest queued by critical path and
 * started whenever the resources they declare are free.
 */
export async function runJobs(
  jobs: readonly Job[],
  forced: ReadonlySet<Job>,
  context: RunContext,
): Promise<RunSummary> {
  return new JobRun(jobs, forced, context).run();
}

class JobRun {
  readonly #context: RunContext;
  readonly #forced: ReadonlySet<Job>;
  readonly #selected: ReadonlySet<Job>;
  readonly #jobs: readonly Job[];
  readonly #waitingOn = new Map<Job, number>();
  readonly #hashes = new Map<string, Sha256Hex>();
  readonly #queue: StartQueue;
  /** Why each job that is not fresh runs or is restored, for the timeline. */
  readonly #reasons = new Map<Job, string[]>();
  readonly #toEvaluate: Job[] = [];
  readonly #evaluation: EvaluationContext;
  readonly #started = performance.now();
  #evaluating = 0;
  #running = 0;
  #stopping = false;
  #finish: (() => void) | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #commits: CommitBatcher;
  readonly #counts = {ran: 0, restored: 0, fresh: 0, skipped: 0};
  readonly #failed: string[] = [];
  readonly #failedKeys = new Map<string, string>();
  readonly #settled = new Set<Job>();
  /** Lanes a job could be queued behind, with the job running there. */
  readonly #lanes = new Map<Lane, {job: Job; allocation: Allocation}>();
  /** Jobs queued behind a running one, not begun yet, and that lane. */
  readonly #behind = new Map<Job, Lane>();
  /** Of those, the ones whose lane was asked to drop them. */
  readonly #recalled = new Set<Job>();
  #pumping = false;
  #queueingBehind = false;

  constructor(
    jobs: readonly Job[],
    forced: ReadonlySet<Job>,
    context: RunContext,
  ) {
    this.#jobs = jobs;
    this.#context = context;
    this.#forced = forced;
    this.#selected = new Set(jobs);
    this.#evaluation = {...context, producedHash: (p) => this.#hashes.get(p)};
    this.#queue = new StartQueue(
      jobs,
      (j) => context.store.job(j.id)?.ms ?? 1,
      (j) => context.runnerFor(j).admission ?? context.resources,
    );
    this.#commits = new CommitBatcher(context.store, () =>
      this.#stopping ? -Infinity : this.#queue.headLength(),
    );
  }

  async run(): Promise<RunSummary> {
    const onAbort = () => {
      this.#stopping = true;
      this.#recallIdle();
      this.#maybeFinish();
    };
    this.#context.signal.addEventListener('abort', onAbort, {once: true});
    const finished = new Promise<void>((r) => (this.#finish = r));
    for (const job of this.#jobs) {
      const count = job.deps.filter((d) => this.#selected.has(d)).length;
      this.#waitingOn.set(job, count);
      if (count === 0) this.#toEvaluate.push(job);
    }
    this.#pump();
    this.#maybeFinish();
    await finished;
    this.#context.signal.removeEventListener('abort', onAbort);
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    releasePending(this.#context.store);
    this.#context.store.flush();
    const unfinished = this.#jobs.length - this.#settled.size;
    return {
      ...this.#counts,
      skipped: this.#counts.skipped + unfinished,
      failed: this.#failed,
      failedKeys: this.#failedKeys,
      interrupted: this.#context.signal.aborted,
    };
  }

  /** Starts evaluations and jobs while there is capacity. */
  #pump(): void {
    const outer = !this.#pumping;
    this.#pumping = true;
    try {
      this.#fill();
    } finally {
      if (outer) this.#pumping = false;
    }
    // Note: after the free resources were filled, so that a job is queued
    // behind another only when nothing can start at once.
    if (outer) {
      this.#queueBehind();
      this.#recallIdle();
      this.#commits.check();
    }
  }

  #fill(): void {
    while (
      !this.#stopping &&
      this.#evaluating < EVALUATION_CONCURRENCY &&
      this.#toEvaluate.length > 0
    ) {
      const job = this.#toEvaluate.shift()!;
      // A verdict that needed no file read (every job of a no-op rerun)
      // is acted on at once: no promise, no slot, no trip through the
      // microtask queue per job.
      const acting = this.#evaluate(job);
      if (acting === undefined) continue;
      this.#evaluating++;
      void acting.finally(() => {
        this.#evaluating--;
        this.#pump();
        this.#maybeFinish();
      });
    }
    while (!this.#stopping) {
      const next = this.#queue.take(() => this.#pump());
      if (next === undefined) break;
      this.#start(next);
    }
    // The queue changed: what waits for a commit may be what should start
    // next.
    this.#commits.check();
    // Jobs settled above without a promise have no callback of their own
    // to notice that the run is over.
    this.#maybeFinish();
  }

  #start(next: StartedJob, behind?: Lane): void {
    this.#running++;
    const {job, key, allocation, release} = next;
    void this.#execute(job, key, allocation, release, behind).finally(() => {
      this.#running--;
      release();
      this.#pump();
      this.#maybeFinish();
    });
  }

  /**
   * Queues the next jobs behind running ones, on lanes that can take one
   * (ActionRequest.behind): a launcher then starts the next job the moment
   * one ends, instead of waiting for this thread to hear of that and
   * answer, which on a busy machine leaves a core idle between tiny jobs.
   * Only the job that would go next anyway is queued, on the same
   * resources (StartQueue.takeBehind), so the order and budgets hold.
   */
  #queueBehind(): void {
    // Note: a job queued here offers its own lane at once; the loop below
    // comes to it (a Map's iteration visits entries added meanwhile).
    if (this.#queueingBehind) return;
    this.#queueingBehind = true;
    try {
      for (const [lane, ahead] of this.#lanes) {
        if (this.#stopping) return;
        this.#lanes.delete(lane);
        if (!lane.open) continue;
        const runner = this.#context.runnerFor(ahead.job);
        const next = this.#queue.takeBehind(
          ahead,
          (job) =>
            job.step.action.kind === 'shell' &&
            this.#context.runnerFor(job) === runner,
          () => this.#pump(),
        );
        if (next === undefined) {
          // Nothing suits now; ask again the next time round.
          this.#lanes.set(lane, ahead);
          return;
        }
        this.#behind.set(next.job, lane);
        this.#start(next, lane);
      }
    } finally {
      this.#queueingBehind = false;
    }
  }

  /**
   * A job waiting behind another must not wait while it could start on
   * free resources (after #fill, nothing queued fits them, and the job
   * ahead may be long): its lane is asked to drop it, and it is queued
   * again (not-started). When stopping, every waiting job is dropped.
   */
  #recallIdle(): void {
    if (this.#behind.size === 0) return;
    for (const [job, lane] of this.#behind) {
      if (this.#recalled.has(job)) continue;
      const admission =
        this.#context.runnerFor(job).admission ?? this.#context.resources;
      if (this.#stopping || admission.fits(job.step.resources)) {
        this.#recalled.add(job);
        lane.cancelQueued();
      }
    }
  }

  #maybeFinish(): void {
    if (this.#running > 0 || this.#evaluating > 0) return;
    if (
      !this.#stopping &&
      (this.#toEvaluate.length > 0 || this.#queue.size > 0)
    ) {
      return;
    }
    this.#finish?.();
  }

  /** Evaluates a job and acts on the verdict; a promise while it works. */
  #evaluate(job: Job): Promise<void> | undefined {
    let verdict: Verdict | Promise<Verdict>;
    try {
      verdict = evaluateJob(job, this.#evaluation, this.#forced.has(job));
    } catch (err) {
      this.#internalError(job, err);
      return undefined;
    }
    if (!(verdict instanceof Promise)) return this.#act(job, verdict);
    return verdict.then(
      (v) => this.#act(job, v),
      (err: unknown) => this.#internalError(job, err),
    );
  }

  #internalError(job: Job, err: unknown): void {
    this.#fail(
      job,
      {
        reason: 'task-error',
        message: `Internal error while checking ${job.id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      },
      undefined,
      undefined,
    );
  }

  /** Acts on a verdict; a promise only while restoring. */
  #act(job: Job, verdict: Verdict): Promise<void> | undefined {
    switch (verdict.kind) {
      case 'fresh':
        this.#complete(job, 'fresh', verdict.outputs, 0, false);
        return undefined;
      case 'restore':
        this.#reasons.set(job, verdict.reasons.map(describeReason));
        // Note: a hand edit of an output is lost here; say so, not just
        // "restored".
        for (const r of verdict.reasons) {
          if (r.reason !== 'output-modified') continue;
          this.#context.logger.log({
            type: 'warning',
            job: job.id,
            message: `${r.path} was changed outside neuromake: its recorded version is put back (to keep an edited output, copy it elsewhere or make it an input)`,
          });
        }
        return this.#restore(job, verdict.key, verdict.entry.outputs);
      case 'run': {
        if (this.#context.failedKeys?.get(job.id) === verdict.key.hash) {
          this.#fail(
            job,
            {reason: 'unchanged-since-failure'},
            undefined,
            verdict.key.hash,
          );
          return undefined;
        }
        const reasons = verdict.reasons.map(describeReason);
        this.#reasons.set(job, reasons);
        this.#context.logger.log({
          type: 'info',
          message: `${job.id} runs because ${reasons.join('; ')}`,
          job: job.id,
          verbose: true,
        });
        this.#enqueue(job, verdict.key);
        return undefined;
      }
      case 'input-missing':
        this.#fail(
          job,
          {reason: 'input-missing', path: verdict.path},
          undefined,
          undefined,
        );
        return undefined;
      case 'waiting':
        throw new Error(
          `Internal error: ${job.id} evaluated before its inputs`,
        );
    }
  }

  /**
   * Queues a job to run, or fails it when it asks for more than its
   * runner's whole budget. A fresh or restorable job needs no resources,
   * so the run checks its budget only here, when a job really has to run.
   */
  #enqueue(job: Job, key: JobKey): void {
    const admission =
      this.#context.runnerFor(job).admission ?? this.#context.resources;
    const problem = admission.impossible(job.step.resources);
    if (problem !== undefined) {
      this.#fail(
        job,
        {reason: 'over-budget', message: problem},
        undefined,
        key.hash,
      );
      return;
    }
    this.#queue.push({job, key});
  }

  async #restore(
    job: Job,
    key: JobKey,
    outputs: Readonly<Record<string, OutputRecord>>,
  ): Promise<void> {
    const start = performance.now();
    const {store, contentStore, hasher, spec} = this.#context;
    try {
      const restored = await restoreOutputs(
        outputs,
        job,
        spec.workspace,
        contentStore,
        hasher,
        store,
      );
      const ms = performance.now() - start;
      store.putJob(job.id, {
        key: key.hash,
        keyRecord: key.text,
        outputs: restored,
        run: this.#context.runId,
        ms: store.job(job.id)?.ms ?? ms,
      });
      store.touchCache(key.hash, this.#context.runId);
      this.#timeline(job, 'restored', start, 0);
      this.#complete(job, 'restored', restored, ms, false);
    } catch (err) {
      // A blob went missing, unreadable or corrupt (then the store dropped
      // it): fall back to running the job, which stores its outputs anew.
      // Said aloud, as a corrupt store is worth knowing about.
      this.#context.logger.log({
        type: 'warning',
        job: job.id,
        message: `cannot restore ${job.id} from the store, so it runs: ${err instanceof Error ? err.message : String(err)}`,
      });
      this.#enqueue(job, key);
    }
  }

  /**
   * Runs a job's attempts. `release` gives the job's resources back: called
   * as soon as the last attempt's action has succeeded, so the next job starts
   * while this one's outputs are hashed, stored and renamed (engine work,
   * which uses none of what the job declared).
   */
  async #execute(
    job: Job,
    key: JobKey,
    allocation: Allocation,
    release: () => void,
    behind?: Lane,
  ): Promise<void> {
    let start = performance.now();
    const retries = job.step.retries;
    let failure: JobFailure | undefined;
    let logPath = '';
    let actionEnd: number | undefined;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      // Note: a job queued behind another starts when that one ends.
      const queued = attempt === 1 ? behind : undefined;
      const started = () =>
        this.#context.logger.log({
          type: 'job-start',
          job: job.id,
          attempt,
          behind: queued === undefined ? undefined : true,
        });
      if (queued === undefined) started();
      const last = attempt === retries + 1;
      const result = await this.#attempt(job, key, allocation, attempt, {
        startedAt: () => start,
        actionDone: () => {
          actionEnd = performance.now();
          if (last) release();
        },
        behind: queued,
        begun: () => {
          start = performance.now();
          this.#behind.delete(job);
          this.#recalled.delete(job);
          started();
        },
        // Note: a job with attempts left offers no lane: its retry would
        // share the allocation with the job queued behind.
        onLane: (lane) => {
          if (!last) return;
          this.#lanes.set(lane, {job, allocation});
          if (!this.#pumping) this.#queueBehind();
        },
      });
      failure = result.failure;
      logPath = result.logPath;
      if (failure?.reason === 'not-started') {
        // Never started: queued again, to go by the ordinary way.
        this.#behind.delete(job);
        this.#recalled.delete(job);
        release();
        this.#queue.push({job, key});
        return;
      }
      if (failure === undefined) {
        const ms = performance.now() - start;
        this.#timeline(job, 'ran', start, allocation.slot, actionEnd);
        this.#complete(job, 'ran', result.outputs, ms, result.unchanged);
        return;
      }
      if (failure.reason === 'interrupted') break;
      if (attempt <= retries && !this.#context.signal.aborted) {
        this.#context.logger.log({
          type: 'job-failed',
          job: job.id,
          reason: failure.reason,
          message: describeFailure(failure),
          log: logPath,
          willRetry: true,
        });
      }
    }
    this.#timeline(job, 'failed', start, allocation.slot);
    if (failure?.reason === 'interrupted') {
      // Settled, so the run can end, and counted with the jobs it never
      // got to: the summary accounts for every job.
      this.#settled.add(job);
      this.#counts.skipped++;
      return;
    }
    this.#fail(
      job,
      failure ?? {reason: 'interrupted'},
      logPath,
      key.hash,
      retries + 1,
    );
  }

  async #attempt(
    job: Job,
    key: JobKey,
    allocation: Allocation,
    attempt: number,
    hooks: {
      /** When the action started (later for one queued behind another). */
      readonly startedAt: () => number;
      readonly actionDone: () => void;
      readonly behind: Lane | undefined;
      readonly begun: () => void;
      readonly onLane: (lane: Lane) => void;
    },
  ): Promise<{
    failure?: JobFailure;
    outputs: Record<string, OutputRecord>;
    unchanged: boolean;
    logPath: string;
  }> {
    const {spec, store, hasher, contentStore, stateDir, signal} = this.#context;
    const logPath = join(stateDir, 'logs', `${safeName(job.id)}.log`);
    // Note: opened on first write, so a quiet task creates no log; every
    // failure writes a line first, so the path it reports exists.
    const log = new JobLog(logPath, attempt === 1);
    const outputs = new JobOutputs(job, spec.workspace, store);
    const none = {outputs: {}, unchanged: false, logPath};
    try {
      outputs.prepare();
      const failure = await this.#context.runnerFor(job).run({
        job,
        outputs,
        allocation,
        log,
        signal,
        behind: hooks.behind,
        onLane: hooks.onLane,
        begun: hooks.begun,
      });
      if (failure?.reason === 'not-started') {
        await outputs.discard();
        return {...none, failure};
      }
      const missing = failure ?? outputs.verify();
      if (missing !== undefined) {
        log.write(`\nneuromake: ${describeFailure(missing)}\n`);
        await outputs.discard();
        const undone = await outputs.undoFinalWrites(hasher, contentStore);
        for (const line of undone) {
          log.write(`neuromake: ${line}\n`);
          this.#context.logger.log({
            type: 'warning',
            job: job.id,
            message: line,
          });
        }
        return {
          ...none,
          failure: signal.aborted ? {reason: 'interrupted'} : missing,
        };
      }
      // Note: only a success frees the slot early; after a failure it is
      // held until the failure is recorded, which (without -k) stops
      // scheduling first.
      hooks.actionDone();
      const records = await outputs.stage(contentStore);
      const edited = this.#editedInput(job, key);
      if (edited !== undefined) {
        // The outputs may come from the edited file: put them in place,
        // but record nothing, or the key of the old content would restore
        // them later. The next run (or watch cycle) reruns the job.
        this.#context.logger.log({
          type: 'warning',
          job: job.id,
          message: `input ${edited} changed while ${job.id} ran: its outputs are not cached, and the next run reruns it`,
        });
        outputs.publish(hasher);
        return {outputs: records, unchanged: false, logPath};
      }
      const previous = store.job(job.id);
      const unchanged =
        previous !== undefined &&
        Object.entries(records).every(
          ([n, r]) => previous.outputs[n]?.hash === r.hash,
        );
      store.putJob(job.id, {
        key: key.hash,
        keyRecord: key.text,
        outputs: records,
        run: this.#context.runId,
        ms: performance.now() - hooks.startedAt(),
      });

      // Note the record is committed before the outputs are renamed into
      // place, not with the next timed batch: a runner killed after the
      // rename would otherwise rerun a job that finished, and one killed
      // before it leaves a record the next run restores from the store.
      // Jobs finishing close together share one commit; they may wait for
      // it while queued jobs go first anyway, as this job's slot is free.
      await this.#commits.durable(this.#urgency(job));
      outputs.publish(hasher);
      return {outputs: records, unchanged, logPath};
    } catch (err) {
      await outputs.discard();
      const message = err instanceof Error ? err.message : String(err);
      log.write(`\nneuromake: ${message}\n`);
      return {...none, failure: {reason: 'task-error', message}};
    } finally {
      await new Promise((r) => log.end(r));
    }
  }

  /**
   * A source input of `job` (one no job produces) that is no longer the
   * file its key was made from, if any.
   */
  #editedInput(job: Job, key: JobKey): string | undefined {
    const {producers, hasher} = this.#context;
    for (const pairs of Object.values(key.record.inputs)) {
      for (const [path, hash] of pairs) {
        if (producers.has(path)) continue;
        if (!hasher.unchanged(path, hash as Sha256Hex)) return path;
      }
    }
    return undefined;
  }

  /** How soon a finished job's dependents would start (CommitBatcher). */
  #urgency(job: Job): number {
    let urgency = -Infinity;
    for (const next of job.dependents) {
      if (!this.#selected.has(next)) continue;
      urgency = Math.max(urgency, this.#queue.lengthOf(next));
    }
    return urgency;
  }

  #complete(
    job: Job,
    outcome: 'ran' | 'restored' | 'fresh',
    outputs: Readonly<Record<string, OutputRecord>>,
    ms: number,
    unchanged: boolean,
  ): void {
    this.#settled.add(job);
    this.#counts[outcome]++;
    for (const record of Object.values(outputs))
      this.#hashes.set(record.path, record.hash);
    this.#context.logger.log({
      type: 'job-done',
      job: job.id,
      outcome,
      ms,
      unchanged,
    });
    this.#scheduleFlush();
    for (const next of job.dependents) {
      if (!this.#selected.has(next) || this.#settled.has(next)) continue;
      const left = (this.#waitingOn.get(next) ?? 1) - 1;
      this.#waitingOn.set(next, left);
      if (left === 0) this.#toEvaluate.push(next);
    }
  }

  #fail(
    job: Job,
    failure: JobFailure,
    log: string | undefined,
    key: string | undefined,
    attempts = 1,
  ): void {
    this.#settled.add(job);
    this.#failed.push(job.id);
    if (key !== undefined) this.#failedKeys.set(job.id, key);
    this.#context.logger.log({
      type: 'job-failed',
      job: job.id,
      reason: failure.reason,
      message: describeFailure(failure),
      log,
      tail: log === undefined || log === '' ? undefined : logTail(log),
      attempts: attempts > 1 ? attempts : undefined,
      willRetry: false,
    });
    this.#skipDownstream(job);
    // A failure remembered from an earlier watch cycle is not news: it must
    // not stop the jobs that the edit starting this cycle is for.
    const remembered = failure.reason === 'unchanged-since-failure';
    if (!this.#context.keepGoing && !remembered) this.#stopping = true;
  }

  #skipDownstream(failed: Job): void {
    const pending = [...failed.dependents];
    while (pending.length > 0) {
      const job = pending.pop()!;
      if (!this.#selected.has(job) || this.#settled.has(job)) continue;
      this.#settled.add(job);
      this.#counts.skipped++;
      this.#context.logger.log({
        type: 'job-skipped',
        job: job.id,
        because: `${failed.id} failed`,
      });
      pending.push(...job.dependents);
    }
  }

  #timeline(
    job: Job,
    outcome: 'ran' | 'restored' | 'failed',
    start: number,
    slot: number,
    end = performance.now(),
  ): void {
    this.#context.store.addTimeline(this.#context.runId, {
      job: job.id,
      outcome,
      startMs: start - this.#started,
      endMs: end - this.#started,
      slot,
      reasons: this.#reasons.get(job),
    });
  }

  /** Batches state writes: one commit per ~100 ms, not one per job. */
  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#context.store.flush();
    }, 100);
  }
}
