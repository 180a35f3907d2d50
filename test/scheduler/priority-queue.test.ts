import assert from 'node:assert/strict';
import {test} from 'node:test';

import {PriorityQueue} from '../../src/scheduler/priority-queue.js';

interface Item {
  readonly priority: number;
  readonly id: number;
  readonly size: number;
}

const higher = (a: Item, b: Item) =>
  a.priority !== b.priority ? a.priority > b.priority : a.id < b.id;

/** A small deterministic generator, so failures reproduce. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

void test('pop returns items in priority order', () => {
  const queue = new PriorityQueue(higher);
  const next = random(1);
  const pushed: Item[] = [];
  for (let id = 0; id < 200; id++) {
    pushed.push({priority: Math.floor(next() * 10), id, size: 1});
    queue.push(pushed.at(-1)!);
  }
  const out: Item[] = [];
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
    out.push(item);
  }
  // Every item comes out once, in order (sorting what was pushed, not what
  // came out, so a lost or repeated item fails too).
  const sorted = [...pushed].sort((a, b) => (higher(a, b) ? -1 : 1));
  assert.deepEqual(out, sorted);
});

void test('takeFirst skips items that do not fit, in priority order', () => {
  const queue = new PriorityQueue(higher);
  queue.push({priority: 9, id: 0, size: 4});
  queue.push({priority: 5, id: 1, size: 1});
  queue.push({priority: 7, id: 2, size: 2});
  queue.push({priority: 7, id: 3, size: 1});
  const fitsIn = (free: number) => (item: Item) => item.size <= free;
  assert.equal(queue.takeFirst(fitsIn(1))?.id, 3);
  assert.equal(queue.takeFirst(fitsIn(0)), undefined);
  assert.equal(queue.takeFirst(fitsIn(2))?.id, 2);
  assert.equal(queue.takeFirst(fitsIn(4))?.id, 0);
  assert.equal(queue.takeFirst(fitsIn(4))?.id, 1);
  assert.equal(queue.takeFirst(fitsIn(4)), undefined);
});

void test('takeFirst agrees with a sort-and-scan reference', () => {
  const next = random(7);
  const queue = new PriorityQueue(higher);
  let reference: Item[] = [];
  let id = 0;
  for (let step = 0; step < 3000; step++) {
    if (next() < 0.55) {
      const item = {
        priority: Math.floor(next() * 8),
        id: id++,
        size: 1 + Math.floor(next() * 4),
      };
      queue.push(item);
      reference.push(item);
      continue;
    }
    const free = Math.floor(next() * 5);
    const fits = (item: Item) => item.size <= free;
    const expected = [...reference]
      .sort((a, b) => (higher(a, b) ? -1 : 1))
      .find(fits);
    assert.equal(queue.takeFirst(fits), expected);
    if (expected !== undefined) {
      reference = reference.filter((item) => item !== expected);
    }
    assert.equal(queue.size, reference.length);
  }
});
