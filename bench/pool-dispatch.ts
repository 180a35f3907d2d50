/**
 * The worker pool's own cost per built-in task, without the rest of the
 * engine (no cache keys, state store, logs or output commits): sends N
 * `files.concat` jobs of one tiny input each through `TaskPool`, keeping
 * `threads` of them in flight, and prints one JSON line with the result.
 *
 *   node dist/bench/pool-dispatch.js [--jobs 10000] [--threads 2]
 *
 * engine-dag.ts runs this as a child process to split the built-in task
 * version's per-job cost into pool round trip and engine bookkeeping.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';

import {TaskPool} from '../src/execution/task-pool.js';
import {findTask} from '../src/tasks/registry.js';
import {positiveInt} from './generate-dag.js';
import {median} from './peers.js';

/** What this script prints, as JSON. */
export interface PoolDispatchResult {
  readonly jobs: number;
  readonly threads: number;
  /** Starting the pool and running the first task (thread start-up). */
  readonly firstMs: number;
  /** The other jobs, from first submit to last reply. */
  readonly restMs: number;
  /** restMs / (jobs - 1). */
  readonly perJobMs: number;
  /** Time in files.concat's own code per task (reading, writing). */
  readonly bodyMsPerJob: number;
  /**
   * The dispatch cost: per task, the round trip minus the task's own code,
   * in lane time (each of `threads` lanes keeps one task in flight).
   */
  readonly dispatchMsPerJob: number;
  /**
   * TaskPool's round trip with no task code at all, per task in lane time:
   * requests for a task name the worker does not know, which it answers
   * as soon as it has looked the name up. Everything but the task's body
   * (request, piscina, the worker's entry, the reply, TaskPool's
   * bookkeeping) is exercised: a built-in no-op task's dispatch.
   */
  readonly noopMsPerJob: number;
  /** The same loop on a bare piscina pool whose task does nothing. */
  readonly bareMsPerJob: number;
  /**
   * CPU time per no-op task, every thread of this process (the main
   * thread and the workers) counted: what the round trip costs in work,
   * where lane time also counts the threads' wake-ups, which on a virtual
   * machine are most of it.
   */
  readonly noopCpuMsPerJob: number;
  /** The same for the bare piscina loop. */
  readonly bareCpuMsPerJob: number;
}

/** How many blocks the no-op and bare round trips are split into. */
const BLOCKS = 7;

const {values} = parseArgs({
  options: {
    jobs: {type: 'string', default: '10000'},
    threads: {type: 'string', default: '2'},
  },
});
const jobs = positiveInt('jobs', values.jobs);
const threads = positiveInt('threads', values.threads);

const dir = await mkdtemp(path.join(tmpdir(), 'neuromake-pool-'));
const pool = new TaskPool(threads);
const listener = {
  progress: () => undefined,
  log: () => undefined,
  warn: () => undefined,
};
const signal = new AbortController().signal;
// The engine fills in param defaults before a task runs; so must we.
const concat = findTask('files.concat');
if (concat === undefined) throw new Error('no built-in task files.concat');
const params = Object.fromEntries(
  Object.entries(concat.definition.params).map(([name, spec]) => [
    name,
    spec.default,
  ]),
);

try {
  const input = path.join(dir, 'in.txt');
  await writeFile(input, 'input\n');
  const runOne = async (i: number) => {
    const failure = await pool.run(
      {
        task: 'files.concat',
        jobId: `concat[i=${i}]`,
        resources: {cpus: 1, gpus: []},
        inputs: {files: [input]},
        // Two files, reused: the point is the round trip, not the disk.
        outputs: {out: path.join(dir, `out-${i % threads}.txt`)},
        params,
      },
      listener,
      signal,
    );
    if (failure !== undefined) {
      throw new Error(`task failed: ${JSON.stringify(failure)}`);
    }
  };

  const t0 = performance.now();
  await runOne(0);
  const t1 = performance.now();
  const before = pool.usage;
  const restMs = await inLanes(jobs, threads, runOne);
  const bodyMs = pool.usage.bodyMs - before.bodyMs;
  const rest = Math.max(1, jobs - 1);
  const noopAndBareMs = await noopAndBare(jobs, threads);

  const result: PoolDispatchResult = {
    jobs,
    threads,
    firstMs: t1 - t0,
    restMs,
    perJobMs: jobs > 1 ? restMs / (jobs - 1) : 0,
    bodyMsPerJob: bodyMs / rest,
    dispatchMsPerJob: (restMs * threads - bodyMs) / rest,
    noopMsPerJob: noopAndBareMs.noop.lane,
    bareMsPerJob: noopAndBareMs.bare.lane,
    noopCpuMsPerJob: noopAndBareMs.noop.cpu,
    bareCpuMsPerJob: noopAndBareMs.bare.cpu,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.close();
  await rm(dir, {recursive: true, force: true});
}

/**
 * PoolDispatchResult.noopMsPerJob and bareMsPerJob, per task in lane time.
 * A thread's wake-up on a virtual machine varies from minute to minute by
 * more than what is measured here, so the two loops take turns, in
 * {@link BLOCKS} blocks of `count / BLOCKS` tasks each, and each gives
 * the median of its blocks: both see the same machine, and a slow minute
 * moves one block, not the result.
 */
async function noopAndBare(
  count: number,
  lanes: number,
): Promise<Record<'noop' | 'bare', {lane: number; cpu: number}>> {
  const noopPool = new TaskPool(lanes);
  const noopRequest = {
    task: 'bench.no-such-task',
    jobId: 'noop',
    resources: {cpus: 1, gpus: []},
    inputs: {},
    outputs: {},
    params: {},
  };
  const {Piscina} = await import('piscina');
  const bare = new Piscina({
    filename: new URL('./noop-worker.js', import.meta.url).href,
    minThreads: lanes,
    maxThreads: lanes,
  });
  // The same kind of request object as TaskPool sends, with an abort
  // signal, as TaskPool passes one.
  const bareRequest = {
    taskId: 0,
    task: 'files.concat',
    jobId: 'concat[i=0]',
    resources: {cpus: 1, gpus: []},
    inputs: {files: ['in.txt']},
    outputs: {out: 'out.txt'},
    params,
  };
  try {
    const first = await noopPool.run(noopRequest, listener, signal);
    if (first?.reason !== 'task-error') {
      throw new Error('the worker ran a task it should not know');
    }
    await bare.run(bareRequest, {signal});
    const size = Math.max(2, Math.floor(count / BLOCKS));
    const tasks = size - 1;
    const noop = {lane: [] as number[], cpu: [] as number[]};
    const plain = {lane: [] as number[], cpu: [] as number[]};
    /** Runs one block, noting its lane time and CPU time per task. */
    const block = async (
      into: typeof noop,
      job: (i: number) => Promise<unknown>,
    ) => {
      const cpu = process.cpuUsage();
      const ms = await inLanes(size, lanes, job);
      const used = process.cpuUsage(cpu);
      into.lane.push((ms * lanes) / tasks);
      into.cpu.push((used.user + used.system) / 1000 / tasks);
    };
    for (let b = 0; b < BLOCKS; b++) {
      await block(noop, () => noopPool.run(noopRequest, listener, signal));
      await block(plain, (taskId) =>
        bare.run({...bareRequest, taskId}, {signal}),
      );
    }
    const medians = (m: typeof noop) => ({
      lane: median(m.lane),
      cpu: median(m.cpu),
    });
    return {noop: medians(noop), bare: medians(plain)};
  } finally {
    await Promise.all([noopPool.close(), bare.destroy()]);
  }
}

/**
 * Runs job(1) … job(count - 1), keeping `lanes` of them in flight (job 0,
 * the warm-up, is the caller's); returns the wall time in ms.
 */
async function inLanes(
  count: number,
  lanes: number,
  job: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 1;
  const start = performance.now();
  const lane = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({length: lanes}, lane));
  return performance.now() - start;
}
