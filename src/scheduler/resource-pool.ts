import type {Resources} from '../pipeline/spec.js';

/** The budgets a run may use at once. */
export interface Budget {
  readonly cpus: number;
  readonly memoryBytes: number;
  /** GPU device ids that may be handed out, e.g. [0, 1]. */
  readonly gpus: readonly number[];
  /** Why there are fewer GPUs than the machine may have, if known. */
  readonly gpuNote?: string | undefined;
}

/** What a started job holds until it finishes. */
export interface Allocation {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly gpus: readonly number[];
  /** Which cpu "slot" (0…cpus-1) the job occupies first, for timelines. */
  readonly slot: number;
}

/**
 * Counts free cpus, memory and GPUs. A job starts only when all it asks for
 * is free, so the run never exceeds a budget; each GPU goes to one job at a
 * time, named by its device id.
 */
export class ResourcePool {
  readonly budget: Budget;
  #cpus: number;
  #memory: number;
  readonly #freeGpus: number[];
  readonly #freeSlots: number[];

  constructor(budget: Budget) {
    this.budget = budget;
    this.#cpus = budget.cpus;
    this.#memory = budget.memoryBytes;
    this.#freeGpus = [...budget.gpus];
    this.#freeSlots = [...Array(Math.ceil(budget.cpus)).keys()];
  }

  /** What in `wants` can never fit this budget (all of it), or undefined. */
  impossible(wants: Resources): string | undefined {
    const problems: string[] = [];
    if (wants.cpus > this.budget.cpus) {
      problems.push(
        `needs ${wants.cpus} cpus but the budget is ${this.budget.cpus} (raise -j/--jobs)`,
      );
    }
    if (wants.memoryBytes > this.budget.memoryBytes) {
      problems.push(
        `needs ${formatSize(wants.memoryBytes)} of memory but the budget is ${formatSize(this.budget.memoryBytes)} (raise --memory)`,
      );
    }
    if (wants.gpus > this.budget.gpus.length) {
      const note = this.budget.gpuNote;
      problems.push(
        `needs ${wants.gpus} GPU(s) but ${this.budget.gpus.length} are available (${note ?? 'see --gpus'})`,
      );
    }
    return problems.length === 0 ? undefined : problems.join(', and ');
  }

  fits(wants: Resources): boolean {
    return (
      wants.cpus <= this.#cpus + 1e-9 &&
      wants.memoryBytes <= this.#memory &&
      wants.gpus <= this.#freeGpus.length
    );
  }

  take(wants: Resources): Allocation {
    if (!this.fits(wants)) {
      throw new Error('Internal error: took resources that are not free');
    }
    this.#cpus -= wants.cpus;
    this.#memory -= wants.memoryBytes;
    const gpus = this.#freeGpus.splice(0, wants.gpus);
    const slot = this.#freeSlots.shift() ?? 0;
    return {cpus: wants.cpus, memoryBytes: wants.memoryBytes, gpus, slot};
  }

  give(allocation: Allocation): void {
    this.#cpus += allocation.cpus;
    this.#memory += allocation.memoryBytes;
    this.#freeGpus.push(...allocation.gpus);
    this.#freeGpus.sort((a, b) => a - b);
    this.#freeSlots.push(allocation.slot);
    this.#freeSlots.sort((a, b) => a - b);
  }
}

/**
 * A memory size as a pipeline may write it: decimal units (`16 GB`), with
 * the binary figure beside it where that reads differently (`14.9 GiB`).
 */
export function formatSize(bytes: number): string {
  const [value, unit] = scaled(bytes, 1000, ['B', 'KB', 'MB', 'GB', 'TB']);
  if (unit === 'B') return `${bytes} B`;
  return `${Number(value.toFixed(2))} ${unit} (${formatBytes(bytes)})`;
}

/** Formats a byte count with a binary unit. */
export function formatBytes(bytes: number): string {
  const [value, unit] = scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
  return `${value.toFixed(unit === 'B' ? 0 : 1)} ${unit}`;
}

/** `bytes` in the largest of `units` (each `step` times the last) below it. */
function scaled(
  bytes: number,
  step: number,
  units: readonly string[],
): [number, string] {
  let value = bytes;
  let unit = 0;
  while (value >= step && unit < units.length - 1) {
    value /= step;
    unit++;
  }
  return [value, units[unit]!];
}
