/**
 * The floor under neuromake's full run of shell jobs: the engine's job
 * launchers (src/execution/launcher.ts) running the benchmark DAG's `cp`
 * commands with none of the engine around them (no planning, cache keys,
 * hashing, content store, state store or renames), `lanes` at a time,
 * step by step, and a log file per job as the engine keeps. Like the
 * engine, a lane queues its next jobs behind the running one where the
 * launcher can (native, or Python with pidfds). Prints one JSON line.
 *
 *   node dist/bench/launch-floor.js [--size 1000] [--depth 10] [--lanes 2]
 *     [--dir DIR]
 *
 * With `--dir` the workspace is made there and kept (the caller deletes
 * it when no timed run follows); else in a temporary directory, deleted.
 *
 * engine-dag.ts runs this as a child process and compares it with make's
 * run: what is left between the two is the price of starting jobs from
 * Node through a launcher process, before any caching.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';

import {
  type LaunchEnd,
  type Launcher,
  type LaunchListener,
  LauncherPool,
} from '../src/execution/launcher.js';
import {QUEUE_DEPTH} from '../src/execution/launcher-protocol.js';
import {
  jobCount,
  outputOf,
  positiveInt,
  writeWorkspace,
} from './generate-dag.js';
import {childrenCpuMs} from './peers.js';

/** What this script prints, as JSON. */
export interface LaunchFloorResult {
  readonly jobs: number;
  readonly lanes: number;
  /** From the first launch to the last job's end. */
  readonly wallMs: number;
  /**
   * CPU over the same span, this process and its waited-for children (the
   * launchers, and through them the jobs); undefined without /proc. Set-up
   * (inputs) and clean-up are left out, Node's start-up too.
   */
  readonly cpuMs: number | undefined;
  /** Which launcher kind ran the last job (native, perl or python). */
  readonly launcher: string;
}

const {values} = parseArgs({
  options: {
    size: {type: 'string', default: '1000'},
    depth: {type: 'string', default: '10'},
    lanes: {type: 'string', default: '2'},
    dir: {type: 'string'},
  },
});
const shape = {
  fanOut: positiveInt('size', values.size),
  depth: positiveInt('depth', values.depth),
};
const lanes = positiveInt('lanes', values.lanes);
// Note: commands are taken in step order, and each lane holds at most its
// running one and QUEUE_DEPTH queued. A chain's step k+1 could still start
// before its step k ended if one lane fell a whole step behind the others:
// a fan-out well above what the lanes hold makes that unlikely, and should
// it happen, that `cp` finds no input and the run fails loudly.
if (lanes * (1 + QUEUE_DEPTH) >= shape.fanOut) {
  throw new Error(
    `--size must exceed ${1 + QUEUE_DEPTH} × --lanes (the jobs in flight)`,
  );
}

const dir =
  values.dir === undefined
    ? await mkdtemp(path.join(tmpdir(), 'neuromake-floor-'))
    : path.resolve(values.dir);
await writeWorkspace(dir, 'make', shape);
const logs = path.join(dir, 'logs');
const pool = new LauncherPool(process.env);

/** The DAG's commands in an order that respects its edges: step by step. */
function* commands(): Generator<[string, number]> {
  let n = 0;
  for (let k = 1; k <= shape.depth; k++) {
    for (let i = 0; i < shape.fanOut; i++) {
      yield [`cp ${outputOf(k - 1, i)} ${outputOf(k, i)}`, n++];
    }
  }
}

let launcher = '';

/**
 * One lane: takes the next command until none is left, as the engine
 * does: queued behind the lane's last job while its launcher takes one
 * (launcher.ts), else on an idle launcher from the pool.
 */
async function lane(queue: Iterator<[string, number]>): Promise<void> {
  let current: Launcher | undefined;
  let last: LaunchListener | undefined;
  let wake: (() => void) | undefined;
  const changed = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const ends: Promise<void>[] = [];
  for (let next = queue.next(); next.done !== true; next = queue.next()) {
    const [command, n] = next.value;
    const behind = () =>
      current !== undefined &&
      last !== undefined &&
      current.busy &&
      current.acceptsBehind(last);
    while (current?.busy === true && !behind()) {
      await new Promise<void>((r) => (wake = r));
    }
    const queued = behind();
    if (!queued) {
      if (current !== undefined) pool.release(current);
      current = await pool.acquire();
      if (current === undefined) throw new Error('no job launcher could start');
      launcher = current.program.name;
    }
    const on = current!;
    const ended = new Promise<void>((resolve, reject) => {
      const listener: LaunchListener = {
        started: () => undefined,
        ended: (end: LaunchEnd) => {
          if (end.kind === 'exit' && end.code === 0) resolve();
          else
            reject(new Error(`\`${command}\` failed: ${JSON.stringify(end)}`));
          changed();
        },
        dropped: () => reject(new Error(`\`${command}\` was not started`)),
        room: changed,
      };
      on.launch(
        {
          command,
          cwd: dir,
          logPath: path.join(logs, `${n}.log`),
          truncate: true,
          header: `$ ${command}\n`,
          env: {},
        },
        listener,
        queued,
      );
      last = listener;
    });
    // Note: awaited all together below; a failure must not go unhandled
    // meanwhile.
    ended.catch(() => undefined);
    ends.push(ended);
  }
  await Promise.all(ends);
  if (current !== undefined) pool.release(current);
}

const queue = commands();
const ownBefore = process.cpuUsage();
const childrenBefore = childrenCpuMs();
const start = performance.now();
await Promise.all(Array.from({length: lanes}, () => lane(queue)));
const wallMs = performance.now() - start;
// Note: the launchers' CPU (and their jobs') counts once they are waited
// for, so close them before reading it.
await pool.close();
const own = process.cpuUsage(ownBefore);
const childrenAfter = childrenCpuMs();
if (values.dir === undefined) await rm(dir, {recursive: true, force: true});

const result: LaunchFloorResult = {
  jobs: jobCount(shape),
  lanes,
  wallMs,
  cpuMs:
    childrenBefore === undefined || childrenAfter === undefined
      ? undefined
      : (own.user + own.system) / 1000 + childrenAfter - childrenBefore,
  launcher,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
