import type {Resources} from '../pipeline/spec.js';
import type {Allocation} from './resource-pool.js';

/**
 * Decides when a queued job may start and what it holds meanwhile. The
 * run's {@link ResourcePool} admits against the local cpu, memory and GPU
 * budgets; a runner whose jobs run elsewhere brings its own.
 */
export interface Admission {
  fits(wants: Resources): boolean;
  /** Why `wants` can never be admitted, or undefined when it can. */
  impossible(wants: Resources): string | undefined;
  take(wants: Resources): Allocation;
  give(allocation: Allocation): void;
}

/**
 * Admits up to `limit` jobs at once, whatever they ask for: for jobs that a
 * cluster runs, where the cluster's scheduler weighs their resources and
 * the head only bounds how many it has queued (`--max-jobs`). Allocations
 * name no local GPU (the cluster picks devices); their slots count from
 * `firstSlot`, so a timeline keeps them apart from local cpu slots.
 */
export class JobSlots implements Admission {
  readonly limit: number;
  readonly #free: number[];

  constructor(limit: number, firstSlot = 0) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new Error(`Internal error: job slot limit ${limit}`);
    }
    this.limit = limit;
    this.#free = [...Array(limit).keys()].map((i) => firstSlot + i);
  }

  /** How many jobs hold a slot now. */
  get inUse(): number {
    return this.limit - this.#free.length;
  }

  fits(_wants: Resources): boolean {
    return this.#free.length > 0;
  }

  impossible(_wants: Resources): string | undefined {
    return undefined;
  }

  take(wants: Resources): Allocation {
    const slot = this.#free.shift();
    if (slot === undefined) {
      throw new Error('Internal error: took a job slot that is not free');
    }
    return {cpus: wants.cpus, memoryBytes: wants.memoryBytes, gpus: [], slot};
  }

  give(allocation: Allocation): void {
    this.#free.push(allocation.slot);
    this.#free.sort((a, b) => a - b);
  }
}
