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
}

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
  let next = 1;
  const lane = async () => {
    while (next < jobs) await runOne(next++);
  };
  await Promise.all(Array.from({length: threads}, lane));
  const t2 = performance.now();

  const result: PoolDispatchResult = {
    jobs,
    threads,
    firstMs: t1 - t0,
    restMs: t2 - t1,
    perJobMs: jobs > 1 ? (t2 - t1) / (jobs - 1) : 0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.close();
  await rm(dir, {recursive: true, force: true});
}
