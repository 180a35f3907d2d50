import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {StateStore} from '../../src/cache/state-store.js';
import {CommitBatcher} from '../../src/execution/commit-batcher.js';

/** A store that only counts commits, failing when told to. */
function fakeStore() {
  const store = {
    flushes: 0,
    fail: false,
    flush() {
      if (store.fail) throw new Error('disk full');
      store.flushes++;
    },
  };
  return store;
}

/** Lets one turn of the event loop pass (setImmediate callbacks run). */
const turn = () => new Promise((r) => setImmediate(r));

/** Whether a promise has settled by now. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await turn();
  return done;
}

void describe('commit batcher', () => {
  void test('with nothing queued, a commit follows on the next turn and is shared', async () => {
    const store = fakeStore();
    const batcher = new CommitBatcher(
      store as unknown as StateStore,
      () => -Infinity,
    );
    const a = batcher.durable(1);
    const b = batcher.durable(-Infinity);
    assert.equal(store.flushes, 0, 'not within the tick');
    assert.equal(await settled(Promise.all([a, b])), true);
    assert.equal(store.flushes, 1);
  });

  void test('jobs wait while queued work goes first, and go once it no longer does', async () => {
    const store = fakeStore();
    let bar = 5;
    const batcher = new CommitBatcher(
      store as unknown as StateStore,
      () => bar,
    );
    const waiting = [batcher.durable(4), batcher.durable(5)];
    assert.equal(await settled(Promise.all(waiting)), false);
    assert.equal(store.flushes, 0);

    // The queue's best job now ranks below what the waiting jobs unblock.
    bar = 3;
    batcher.check();
    assert.equal(await settled(Promise.all(waiting)), true);
    assert.equal(store.flushes, 1);

    // A job whose dependents outrank the queue commits at once.
    assert.equal(await settled(batcher.durable(9)), true);
    assert.equal(store.flushes, 2);
  });

  void test('a failed commit rejects every job waiting on it', async () => {
    const store = fakeStore();
    store.fail = true;
    const batcher = new CommitBatcher(
      store as unknown as StateStore,
      () => -Infinity,
    );
    const results = await Promise.allSettled([
      batcher.durable(1),
      batcher.durable(2),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});
