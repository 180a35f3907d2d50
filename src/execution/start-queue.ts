import type {JobKey} from '../cache/job-key.js';
import type {Job} from '../graph/job.js';
import {criticalPathLengths} from '../scheduler/critical-path.js';
import type {Admission} from '../scheduler/job-slots.js';
import type {Allocation} from '../scheduler/resource-pool.js';
import {PriorityQueue} from '../scheduler/priority-queue.js';

/** A job that is to run, with its key. */
export interface QueuedJob {
  readonly job: Job;
  readonly key: JobKey;
}

/** A queued job with its critical-path length. */
interface Ranked extends QueuedJob {
  readonly rank: number;
}

/** A job taken from the queue, holding what it was admitted with. */
export interface StartedJob extends QueuedJob {
  readonly allocation: Allocation;
  /** Gives the allocation back (once; later calls do nothing). */
  readonly release: () => void;
}

/**
 * The jobs that are to run and wait for their resources, longest critical
 * path first; a job that does not fit the free resources lets a smaller
 * one behind it start.
 *
 * Once a look through the queue found nothing that fits, the queue is
 * blocked: until resources are given back, only a newly queued job that
 * fits can start, so {@link take} does not look through the others again
 * (with every slot taken, that look asked about each of a thousand queued
 * jobs every time a job was queued or a commit made).
 *
 * Whether a job fits depends only on its step (a step's jobs share their
 * resources and runner), so the queue also counts its jobs per step: when
 * the first job does not fit, one question per queued step tells whether
 * any job can start, before any look through the jobs. With every slot
 * taken, as after each start in a busy run, that is one question instead
 * of one per queued job.
 */
export class StartQueue {
  readonly #lengths: ReadonlyMap<Job, number>;
  readonly #admission: (job: Job) => Admission;
  readonly #queue: PriorityQueue<Ranked>;
  /** Queued jobs per step, and one of them to ask about the step. */
  readonly #steps = new Map<Job['step'], {readonly job: Job; count: number}>();
  /** Jobs holding each allocation: two while one is queued behind another. */
  readonly #holders = new WeakMap<
    Allocation,
    {count: number; readonly admission: Admission}
  >();
  #blocked = false;

  /**
   * @param jobs the run's jobs, in topological order.
   * @param estimateMs a job's expected duration, for critical paths.
   * @param admission who admits a job: the local budgets or its runner.
   */
  constructor(
    jobs: readonly Job[],
    estimateMs: (job: Job) => number,
    admission: (job: Job) => Admission,
  ) {
    const lengths = criticalPathLengths(jobs, estimateMs);
    this.#lengths = lengths;
    this.#admission = admission;
    this.#queue = new PriorityQueue((a, b) =>
      a.rank !== b.rank ? a.rank > b.rank : a.job.index < b.job.index,
    );
  }

  get size(): number {
    return this.#queue.size;
  }

  /** A job's critical-path length: how early it goes. */
  lengthOf(job: Job): number {
    return this.#lengths.get(job) ?? 0;
  }

  /** The critical-path length of the first queued job; -Infinity if none. */
  headLength(): number {
    return this.#queue.peek()?.rank ?? -Infinity;
  }

  push(item: QueuedJob): void {
    // Note: the rank travels with the item, so that ordering the heap
    // looks up no map.
    this.#queue.push({...item, rank: this.lengthOf(item.job)});
    const queued = this.#steps.get(item.job.step);
    if (queued === undefined) {
      this.#steps.set(item.job.step, {job: item.job, count: 1});
    } else {
      queued.count++;
    }
    if (this.#blocked && this.#fits(item.job)) this.#blocked = false;
  }

  /**
   * Takes the first job that fits the free resources and admits it; `done`
   * runs each time its allocation is given back.
   */
  take(done: () => void): StartedJob | undefined {
    if (this.#blocked) return undefined;
    // Note: a step's jobs share their runner and resources, so ask once
    // per step.
    const fitsByStep = new Map<Job['step'], boolean>();
    const fits = (job: Job): boolean => {
      let yes = fitsByStep.get(job.step);
      if (yes === undefined) {
        yes = this.#fits(job);
        fitsByStep.set(job.step, yes);
      }
      return yes;
    };
    const head = this.#queue.peek();
    const next =
      head !== undefined &&
      (fits(head.job) || [...this.#steps.values()].some((s) => fits(s.job)))
        ? this.#queue.takeFirst(({job}) => fits(job))
        : undefined;
    if (next === undefined) {
      this.#blocked = true;
      return undefined;
    }
    this.#unqueued(next.job);
    const admission = this.#admission(next.job);
    const allocation = admission.take(next.job.step.resources);
    this.#holders.set(allocation, {count: 0, admission});
    return {...next, allocation, release: this.#holding(allocation, done)};
  }

  /**
   * Takes the first queued job to run right after `ahead` on the same
   * resources (ActionRequest.behind): only when it is the job that would
   * go next anyway, asks for exactly what `ahead` holds, is admitted by the
   * same budget, and `suits` it. The allocation is then shared, and given
   * back once both jobs released it.
   */
  takeBehind(
    ahead: {readonly job: Job; readonly allocation: Allocation},
    suits: (job: Job) => boolean,
    done: () => void,
  ): StartedJob | undefined {
    const head = this.#queue.peek();
    if (head === undefined || !suits(head.job)) return undefined;
    const admission = this.#admission(ahead.job);
    if (this.#admission(head.job) !== admission) return undefined;
    const wants = head.job.step.resources;
    const has = ahead.job.step.resources;
    if (
      wants.cpus !== has.cpus ||
      wants.memoryBytes !== has.memoryBytes ||
      wants.gpus !== has.gpus
    ) {
      return undefined;
    }
    if (this.#holders.get(ahead.allocation) === undefined) return undefined;
    this.#queue.pop();
    this.#unqueued(head.job);
    return {
      ...head,
      allocation: ahead.allocation,
      release: this.#holding(ahead.allocation, done),
    };
  }

  /** One more holder of `allocation`, and its (idempotent) release. */
  #holding(allocation: Allocation, done: () => void): () => void {
    const holders = this.#holders.get(allocation);
    if (holders === undefined) {
      throw new Error('Internal error: allocation not held');
    }
    holders.count++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--holders.count === 0) {
        this.#holders.delete(allocation);
        holders.admission.give(allocation);
        this.#blocked = false;
      }
      done();
    };
  }

  /** Counts a job out of its step; the step goes when its last job does. */
  #unqueued(job: Job): void {
    const queued = this.#steps.get(job.step);
    if (queued === undefined) {
      throw new Error(`Internal error: ${job.id} was not queued`);
    }
    // Note: the job kept to ask about the step may be this one; it still
    // answers for its step after it left.
    if (--queued.count === 0) this.#steps.delete(job.step);
  }

  #fits(job: Job): boolean {
    return this.#admission(job).fits(job.step.resources);
  }
}
