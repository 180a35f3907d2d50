import assert from 'node:assert/strict';
import test from 'node:test';

import type {JobKey} from '../../src/cache/job-key.js';
import {StartQueue} from '../../src/execution/start-queue.js';
import type {Job} from '../../src/graph/job.js';
import type {StepSpec} from '../../src/pipeline/spec.js';
import {ResourcePool} from '../../src/scheduler/resource-pool.js';

/** A step that asks for `cpus`; only its resources matter here. */
function step(id: string, cpus: number): StepSpec {
  return {id, resources: {cpus, memoryBytes: 0, gpus: 0}} as StepSpec;
}

/** Independent jobs (no edges), so each job's priority is its estimate. */
function jobs(...steps: StepSpec[]): Job[] {
  return steps.map(
    (s, index) =>
      ({
        id: `${s.id}[${index}]`,
        step: s,
        index,
        deps: [],
        dependents: [],
      }) as unknown as Job,
  );
}

const KEY = {hash: 'k', text: ''} as unknown as JobKey;

/**
 * A queue over `all` on a pool of `cpus`, every job queued, with each
 * job's estimated duration from `ms` (longest first).
 */
function queue(all: Job[], cpus: number, ms: (job: Job) => number) {
  const pool = new ResourcePool({cpus, memoryBytes: 1e12, gpus: []});
  const q = new StartQueue(all, ms, () => pool);
  for (const job of all) q.push({job, key: KEY});
  return q;
}

void test('the queue starts the longest job first, then the next', () => {
  const one = step('one', 1);
  const all = jobs(one, one, one);
  const q = queue(all, 2, (j) => [5, 9, 7][j.index] ?? 1);
  const started = [q.take(() => {}), q.take(() => {})];
  assert.deepEqual(
    started.map((s) => s?.job.index),
    [1, 2],
  );
  assert.equal(
    q.take(() => {}),
    undefined,
    'both cpus are taken',
  );
  started[0]?.release();
  assert.equal(q.take(() => {})?.job.index, 0);
  assert.equal(q.size, 0);
});

void test('a job that does not fit lets a smaller one behind it start', () => {
  const big = step('big', 2);
  const small = step('small', 1);
  const all = jobs(big, small, big, small);
  const q = queue(all, 2, (j) => 10 - j.index);
  const first = q.take(() => {});
  assert.equal(first?.job.id, 'big[0]');
  assert.equal(
    q.take(() => {}),
    undefined,
    'the pool is full',
  );

  first?.release();
  const second = q.take(() => {});
  assert.equal(second?.job.id, 'small[1]');

  // One cpu left: big[2] goes first but cannot start; small[3], behind
  // it, can.
  const third = q.take(() => {});
  assert.equal(third?.job.id, 'small[3]');
  assert.equal(
    q.take(() => {}),
    undefined,
    'the pool is full',
  );
  second?.release();
  assert.equal(
    q.take(() => {}),
    undefined,
    'big[2] needs both cpus',
  );
  third?.release();
  assert.equal(q.take(() => {})?.job.id, 'big[2]');
  assert.equal(q.size, 0);
});

void test('a step whose last queued job left can queue and start again', () => {
  const big = step('big', 2);
  const small = step('small', 1);
  const [b0, s1, b2] = jobs(big, small, big) as [Job, Job, Job];
  const pool = new ResourcePool({cpus: 2, memoryBytes: 1e12, gpus: []});
  const q = new StartQueue(
    [b0, s1, b2],
    () => 1,
    () => pool,
  );

  q.push({job: s1, key: KEY});
  const small1 = q.take(() => {});
  assert.equal(small1?.job, s1);

  // big cannot fit beside small[1]; the queue is blocked, and a push of
  // another big job does not unblock it.
  q.push({job: b0, key: KEY});
  assert.equal(
    q.take(() => {}),
    undefined,
  );
  q.push({job: b2, key: KEY});
  assert.equal(
    q.take(() => {}),
    undefined,
  );

  // With the cpu back, both big jobs start in turn, then the small step
  // queues again and starts.
  let released = 0;
  small1?.release();
  const next = q.take(() => released++);
  assert.equal(next?.job.step, big);
  next?.release();
  assert.equal(released, 1);
  const last = q.take(() => {});
  assert.equal(last?.job.step, big);
  q.push({job: s1, key: KEY});
  assert.equal(
    q.take(() => {}),
    undefined,
    'both cpus are taken',
  );
  last?.release();
  assert.equal(q.take(() => {})?.job, s1);
  assert.equal(q.size, 0);
});

void test('a job taken behind another shares its allocation until both release', () => {
  const all = jobs(step('a', 1), step('b', 1), step('c', 1));
  const pool = new ResourcePool({cpus: 1, memoryBytes: 1e12, gpus: []});
  const q = new StartQueue(
    all,
    () => 1,
    () => pool,
  );
  for (const job of all) q.push({job, key: KEY});
  let given = 0;
  const first = q.take(() => given++);
  assert.equal(first?.job, all[0]);
  assert.equal(
    q.take(() => undefined),
    undefined,
    'the one cpu is taken',
  );

  const behind = q.takeBehind(
    first!,
    () => true,
    () => given++,
  );
  assert.ok(behind !== undefined);
  assert.equal(behind.job, all[1], 'the head, as take would have chosen');
  assert.equal(behind.allocation, first!.allocation);
  assert.equal(q.size, 1);

  first!.release();
  first!.release();
  assert.equal(pool.fits({cpus: 1, memoryBytes: 0, gpus: 0}), false);
  behind.release();
  assert.equal(pool.fits({cpus: 1, memoryBytes: 0, gpus: 0}), true);
  assert.equal(given, 2, 'each release once');
  assert.equal(q.take(() => undefined)?.job, all[2]);
});

void test('only a head with the same resources, that suits, goes behind', () => {
  const all = jobs(step('narrow', 1), step('wide', 2), step('narrow2', 1));
  const pool = new ResourcePool({cpus: 2, memoryBytes: 1e12, gpus: []});
  // Longest first: narrow, then wide, then narrow2.
  const ms = (job: Job) => 10 - job.index;
  const q = new StartQueue(all, ms, () => pool);
  for (const job of all) q.push({job, key: KEY});
  const first = q.take(() => undefined)!;
  assert.equal(first.job, all[0]);
  // wide is next and asks for 2 cpus: nothing goes behind narrow, and
  // narrow2 must not jump the queue there.
  assert.equal(
    q.takeBehind(
      first,
      () => true,
      () => undefined,
    ),
    undefined,
  );
  assert.equal(q.size, 2);
  const rest = jobs(step('x', 1), step('y', 1));
  const q2 = new StartQueue(
    rest,
    () => 1,
    () => pool,
  );
  for (const job of rest) q2.push({job, key: KEY});
  const x = q2.take(() => undefined)!;
  assert.equal(
    q2.takeBehind(
      x,
      () => false,
      () => undefined,
    ),
    undefined,
  );
  assert.equal(q2.size, 1, 'a head that does not suit stays queued');
});
