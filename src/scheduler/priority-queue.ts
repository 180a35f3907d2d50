/** A binary max-heap ordered by `higher(a, b)`: true when a goes first. */
export class PriorityQueue<T> {
  readonly #items: T[] = [];
  readonly #higher: (a: T, b: T) => boolean;

  constructor(higher: (a: T, b: T) => boolean) {
    this.#higher = higher;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#siftUp(this.#items.length - 1);
  }

  /** Removes and returns the first item for which `fits` holds. */
  takeFirst(fits: (item: T) => boolean): T | undefined {
    const top = this.#items[0];
    if (top === undefined) return undefined;
    if (fits(top)) return this.#removeAt(0);

    // Note: a job that does not fit the free resources must not block a
    // smaller one behind it, so look past the top: the first item in
    // priority order that fits is the highest-priority one among those that
    // fit, found in one linear pass without sorting or allocating.
    const items = this.#items;
    let best = -1;
    for (let i = 1; i < items.length; i++) {
      const item = items[i]!;
      if (best !== -1 && !this.#higher(item, items[best]!)) continue;
      if (fits(item)) best = i;
    }
    return best === -1 ? undefined : this.#removeAt(best);
  }

  /** The item that goes first, left in the queue. */
  peek(): T | undefined {
    return this.#items[0];
  }

  pop(): T | undefined {
    return this.#items.length === 0 ? undefined : this.#removeAt(0);
  }

  #removeAt(index: number): T {
    const items = this.#items;
    const item = items[index]!;
    const last = items.pop()!;
    if (index < items.length) {
      items[index] = last;
      this.#siftDown(index);
      this.#siftUp(index);
    }
    return item;
  }

  #siftUp(start: number): void {
    const items = this.#items;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#higher(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  #siftDown(start: number): void {
    const items = this.#items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && this.#higher(items[l]!, items[best]!)) best = l;
      if (r < items.length && this.#higher(items[r]!, items[best]!)) best = r;
      if (best === i) return;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}
