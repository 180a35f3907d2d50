/**
 * Engine benchmark (issue #2): a generated DAG of tiny jobs, a `fanOut`-way
 * fan-out × a chain of `depth` steps (default 1,000 × 10 = 10,000 jobs), run
 * by neuromake, GNU make and Snakemake through their real command lines.
 *
 * For neuromake it measures planning (the `plan` event's planMs, and the
 * whole `dag --format json` process), a full run with `-j 2`, a no-op
 * rerun, and the same DAG made of built-in `files.concat` jobs, whose run
 * time per job is the task dispatch cost (split into the worker pool's own
 * round trip, from pool-dispatch.ts, and the rest of the engine).
 *
 * Snakemake takes minutes for 10,000 jobs, so its full run uses a smaller
 * fan-out (`--snakemake-size`, default 100) and is reported per job, scaled
 * to the full DAG; its plan and no-op use the full size. Its no-op
 * workspace is filled by the bench with the outputs a run would write.
 *
 *   node dist/bench/engine-dag.js [--size 1000] [--depth 10] [-j 2]
 *     [--repeat 3] [--snakemake-size 100] [--snakemake-plan-size N]
 *     [--snakemake-repeat 1] [--skip make,snakemake] [--out FILE] [--keep]
 *     [--check] [--neuromake bin/neuromake.js] [--label TEXT]
 *
 * Prints a table and writes bench/results/engine-dag.json. `--check` exits
 * 1 when a target is missed.
 */
import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises';
import {spawnSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseArgs} from 'node:util';

import {
  finalOutput,
  inputText,
  jobCount,
  positiveInt,
  writeOutputs,
  writeWorkspace,
  type DagShape,
} from './generate-dag.js';
import {
  findPeer,
  formatRatio,
  formatSeconds,
  formatTable,
  isPeer,
  killChildren,
  median,
  repeatCommand,
  timeCommand,
  type MissingPeer,
  type Peer,
  type Timed,
} from './peers.js';
import type {PoolDispatchResult} from './pool-dispatch.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: this file runs from dist/bench/. */
const ROOT = path.resolve(HERE, '..', '..');

interface Options {
  readonly shape: DagShape;
  readonly jobs: number;
  readonly repeat: number;
  readonly snakemakeRun: DagShape;
  readonly snakemakePlan: DagShape;
  readonly snakemakeRepeat: number;
  readonly skip: ReadonlySet<string>;
  readonly out: string;
  readonly keep: boolean;
  readonly check: boolean;
  readonly neuromake: string;
  /** Free text stored with the results, e.g. which build was measured. */
  readonly label: string | undefined;
}

/**
 * Timings of one command (or of several runs of it): medians of wall-clock
 * and of CPU time, all processes included (undefined without /proc).
 */
interface Measure {
  readonly wallMs: number;
  readonly cpuMs: number | undefined;
  readonly allWallMs: readonly number[];
}

function measure(results: readonly Timed[]): Measure {
  const cpu = results.map((r) => r.cpuMs);
  return {
    wallMs: median(results.map((r) => r.ms)),
    cpuMs: cpu.every((c) => c !== undefined) ? median(cpu) : undefined,
    allWallMs: results.map((r) => r.ms),
  };
}

/** A measure scaled per job from `fromJobs` to `toJobs`. */
function scale(m: Measure, fromJobs: number, toJobs: number): Measure {
  if (fromJobs === toJobs) return m;
  const f = toJobs / fromJobs;
  return {
    wallMs: m.wallMs * f,
    cpuMs: m.cpuMs === undefined ? undefined : m.cpuMs * f,
    allWallMs: m.allWallMs.map((w) => w * f),
  };
}

interface NeuromakeResult {
  readonly jobs: number;
  /** In-process planning time: the `plan` event of `run -n --json`. */
  readonly planMs: {readonly medianMs: number; readonly allMs: number[]};
  /** `run -n --json` on a fresh workspace, whole process. */
  readonly dryRun: Measure;
  /** `dag --format json`, whole process: start-up + plan + print. */
  readonly dag: Measure;
  /** `run -j N --json`; engineMs from its run-end event. */
  readonly run: Measure & {readonly engineMs: number};
  /** `run -j N` again, default (plain) output, whole process: answered
   * from the no-op stamp. */
  readonly noop: Measure;
  /** The first no-op after the run: plans in full and writes the stamp. */
  readonly noopFirst: Measure;
  /** No-op with NEUROMAKE_NO_STAMP=1: the full planning path. */
  readonly noopPlanned: Measure;
  /** The same DAG of built-in files.concat jobs. */
  readonly task: Measure & {
    readonly engineMs: number;
    /** engineMs / jobs: what one built-in job costs the engine at -j N. */
    readonly perJobMs: number;
    readonly pool: PoolDispatchResult;
  };
}

interface PeerResult {
  readonly version: string;
  /** Jobs of the DAG its plan and no-op were measured on. */
  readonly jobs: number;
  readonly plan: Measure;
  /** The full run as measured, on `jobs` jobs. */
  readonly run: Measure & {readonly jobs: number};
  readonly noop: Measure;
  /** Snakemake's no-op after its own (smaller) run, with its metadata. */
  readonly noopAfterRun?: Measure & {readonly jobs: number};
  readonly notes: readonly string[];
}

type Skipped = {readonly skipped: string};

function log(message: string): void {
  process.stderr.write(`engine-dag: ${message}\n`);
}

function describe(shape: DagShape): string {
  return `${shape.fanOut} × ${shape.depth} = ${jobCount(shape).toLocaleString('en-US')} jobs`;
}

// ---------------------------------------------------------------- neuromake

/** The JSON events of a `--json` run, one object per line. */
function events(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null) {
      out.push(value as Record<string, unknown>);
    }
  }
  return out;
}

/** A numeric field of the last event of `type`; throws when absent. */
function field(
  list: readonly Record<string, unknown>[],
  type: string,
  name: string,
): number {
  const event = list.findLast((e) => e['type'] === type);
  const value = event?.[name];
  if (typeof value !== 'number') {
    throw new Error(
      `no "${type}" event with a numeric "${name}" in the output`,
    );
  }
  return value;
}

/** Checks a run-end event: `ran` jobs ran, none failed. */
function expectRun(
  list: readonly Record<string, unknown>[],
  ran: number,
  what: string,
): void {
  const got = field(list, 'run-end', 'ran');
  const failed = field(list, 'run-end', 'failed');
  if (got !== ran || failed !== 0) {
    throw new Error(
      `${what}: expected ${ran} jobs to run, got ${got} ran and ${failed} failed`,
    );
  }
}

/** Checks that each chain's last output holds its input's text. */
async function verifyOutputs(dir: string, shape: DagShape): Promise<void> {
  for (const i of new Set([0, shape.fanOut >> 1, shape.fanOut - 1])) {
    const file = path.join(dir, finalOutput(shape, i));
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== inputText(i)) {
      throw new Error(
        `${file} is ${text === undefined ? 'missing' : 'wrong'} after the run`,
      );
    }
  }
}

async function benchNeuromake(
  options: Options,
  tmp: string,
): Promise<NeuromakeResult> {
  const {shape, repeat} = options;
  const jobs = jobCount(shape);
  const j = String(options.jobs);
  const node = process.execPath;
  const cli = options.neuromake;

  const dir = path.join(tmp, 'neuromake');
  await writeWorkspace(dir, 'neuromake', shape);
  const at = {cwd: dir};

  log(`neuromake: plan (run -n --json, dag --format json) ×${repeat}`);
  const dry = await repeatCommand(
    repeat,
    node,
    [cli, 'run', '-n', '--json'],
    at,
  );
  const plans = dry.map((r) => field(events(r.stdout), 'plan', 'planMs'));
  const dag = await repeatCommand(
    repeat,
    node,
    [cli, 'dag', '--format', 'json'],
    at,
  );

  log(`neuromake: full run -j ${j} (${describe(shape)})`);
  const run = await timeCommand(node, [cli, 'run', '-j', j, '--json'], at);
  const runEvents = events(run.stdout);
  expectRun(runEvents, jobs, 'neuromake run');
  await verifyOutputs(dir, shape);

  // The run's last outputs are too new for the no-op stamp (racy mtimes),
  // so the first no-op plans in full and writes the stamp; later ones use
  // it. Both are measured, and the full path once more with the stamp off.
  log('neuromake: first no-op rerun (plans, writes the no-op stamp)');
  await sleep(2500);
  const firstNoop = await timeCommand(node, [cli, 'run', '-j', j], at);
  log(`neuromake: no-op rerun ×${repeat}`);
  const noop = await repeatCommand(repeat, node, [cli, 'run', '-j', j], at);
  log(`neuromake: no-op rerun without the stamp ×${repeat}`);
  const planned = await repeatCommand(repeat, node, [cli, 'run', '-j', j], {
    ...at,
    env: {...process.env, NEUROMAKE_NO_STAMP: '1'},
  });
  const check = await timeCommand(node, [cli, 'run', '-j', j, '--json'], at);
  expectRun(events(check.stdout), 0, 'neuromake no-op rerun');

  const taskDir = path.join(tmp, 'neuromake-task');
  await writeWorkspace(taskDir, 'neuromake-task', shape);
  log(
    `neuromake: built-in task run -j ${j} (files.concat, ${describe(shape)})`,
  );
  const task = await timeCommand(node, [cli, 'run', '-j', j, '--json'], {
    cwd: taskDir,
  });
  const taskEvents = events(task.stdout);
  expectRun(taskEvents, jobs, 'neuromake task run');
  await verifyOutputs(taskDir, shape);
  const taskMs = field(taskEvents, 'run-end', 'ms');

  log(`neuromake: worker pool round trip (${jobs} tasks, ${j} threads)`);
  const poolRun = await timeCommand(
    node,
    [
      path.join(HERE, 'pool-dispatch.js'),
      '--jobs',
      String(jobs),
      '--threads',
      j,
    ],
    {cwd: tmp},
  );
  const pool = JSON.parse(poolRun.stdout) as PoolDispatchResult;

  return {
    jobs,
    planMs: {medianMs: median(plans), allMs: plans},
    dryRun: measure(dry),
    dag: measure(dag),
    run: {...measure([run]), engineMs: field(runEvents, 'run-end', 'ms')},
    noop: measure(noop),
    noopFirst: measure([firstNoop]),
    noopPlanned: measure(planned),
    task: {
      ...measure([task]),
      engineMs: taskMs,
      perJobMs: taskMs / jobs,
      pool,
    },
  };
}

// -------------------------------------------------------------------- make

async function benchMake(
  peer: Peer,
  options: Options,
  tmp: string,
): Promise<PeerResult> {
  const {shape, repeat} = options;
  const j = String(options.jobs);
  const dir = path.join(tmp, 'make');
  await writeWorkspace(dir, 'make', shape);
  const at = {cwd: dir};

  log(`make: plan (make -n) ×${repeat}`);
  const plan = await repeatCommand(repeat, peer.command, ['-n', '-j', j], at);
  log(`make: full run -j ${j} (${describe(shape)})`);
  const run = await timeCommand(peer.command, ['-j', j], at);
  await verifyOutputs(dir, shape);
  log(`make: no-op rerun ×${repeat}`);
  const noop = await repeatCommand(repeat, peer.command, ['-j', j], at);
  if (!noop.every((r) => r.stdout.includes('Nothing to be done'))) {
    throw new Error('make: the rerun was not a no-op');
  }
  const jobs = jobCount(shape);
  return {
    version: peer.version,
    jobs,
    plan: measure(plan),
    run: {...measure([run]), jobs},
    noop: measure(noop),
    notes: [
      'one explicit rule per job, built-in rules off',
      "make execs a simple `cp` directly, without a shell; so does neuromake's launcher (commands with shell syntax go through `sh -c`)",
    ],
  };
}

// --------------------------------------------------------------- snakemake

const NOTHING = 'Nothing to be done';

async function benchSnakemake(
  peer: Peer,
  options: Options,
  tmp: string,
): Promise<PeerResult> {
  const {
    snakemakePlan: full,
    snakemakeRun: small,
    snakemakeRepeat: repeat,
  } = options;
  const j = String(options.jobs);
  const quiet = ['-j', j, '--quiet'];
  const notes: string[] = [];

  const planDir = path.join(tmp, 'snakemake-plan');
  await writeWorkspace(planDir, 'snakemake', full);
  log(`snakemake: plan (snakemake -n, ${describe(full)}) ×${repeat}`);
  const plan = await repeatCommand(repeat, peer.command, ['-n', ...quiet], {
    cwd: planDir,
  });

  const sameSize = small.fanOut === full.fanOut;
  const runDir = sameSize ? planDir : path.join(tmp, 'snakemake-run');
  if (!sameSize) await writeWorkspace(runDir, 'snakemake', small);
  log(`snakemake: full run -j ${j} (${describe(small)})`);
  const run = await timeCommand(peer.command, quiet, {cwd: runDir});
  await verifyOutputs(runDir, small);
  log(`snakemake: no-op rerun after its run ×${repeat}`);
  const after = await repeatCommand(repeat, peer.command, quiet, {cwd: runDir});
  if (!after.every((r) => `${r.stdout}${r.stderr}`.includes(NOTHING))) {
    throw new Error('snakemake: the rerun was not a no-op');
  }

  let noop = measure(after);
  let noopAfterRun: PeerResult['noopAfterRun'];
  if (!sameSize) {
    await writeOutputs(planDir, full);
    log(
      `snakemake: no-op rerun (${describe(full)}, outputs written by the bench) ×${repeat}`,
    );
    const big = await repeatCommand(repeat, peer.command, quiet, {
      cwd: planDir,
    });
    if (!big.every((r) => `${r.stdout}${r.stderr}`.includes(NOTHING))) {
      throw new Error('snakemake: the full-size workspace was not up to date');
    }
    noopAfterRun = {...noop, jobs: jobCount(small)};
    noop = measure(big);
    notes.push(
      `full run measured at ${describe(small)} and scaled per job (a lower bound: Snakemake's per-job cost grows with the DAG)`,
      `no-op at ${describe(full)} on outputs written by the bench (no .snakemake metadata, so if anything cheaper than after a real run)`,
    );
  }
  return {
    version: peer.version,
    jobs: jobCount(full),
    plan: measure(plan),
    run: {...measure([run]), jobs: jobCount(small)},
    noop,
    ...(noopAfterRun === undefined ? {} : {noopAfterRun}),
    notes,
  };
}

// ------------------------------------------------------------------ report

interface Target {
  readonly name: string;
  readonly measured: string;
  readonly goal: string;
  /** undefined when a peer it compares against was skipped. */
  readonly met: boolean | undefined;
}

/**
 * A peer's measures on the neuromake DAG's size: Snakemake's run (and, if
 * so asked, its plan and no-op) are measured on smaller DAGs and scaled per
 * job. `scaled` says whether any of them was.
 */
interface PeerView {
  readonly plan: Measure;
  readonly run: Measure;
  readonly noop: Measure;
  readonly runScaled: boolean;
  readonly otherScaled: boolean;
}

function view(peer: PeerResult, jobs: number): PeerView {
  return {
    plan: scale(peer.plan, peer.jobs, jobs),
    run: scale(peer.run, peer.run.jobs, jobs),
    noop: scale(peer.noop, peer.jobs, jobs),
    runScaled: peer.run.jobs !== jobs,
    otherScaled: peer.jobs !== jobs,
  };
}

function targets(
  nm: NeuromakeResult,
  make: PeerView | undefined,
  snake: PeerView | undefined,
): Target[] {
  const noop = nm.noop.wallMs;
  const plan = nm.planMs.medianMs;
  const per = nm.task.perJobMs;
  const dispatch = nm.task.pool.noopMsPerJob;
  /** neuromake ÷ make, which should stay at or below `max`. */
  const vsMake = (
    name: string,
    nmMs: number,
    get: (p: PeerView) => number,
    max: number,
  ): Target => {
    const goal = `≤ ${max}×`;
    if (make === undefined)
      return {name, measured: 'make skipped', goal, met: undefined};
    const r = nmMs / get(make);
    return {name, measured: `${formatRatio(r)} make`, goal, met: r <= max};
  };
  /** Snakemake ÷ neuromake, which should reach `min`. */
  const vsSnakemake = (
    name: string,
    nmMs: number,
    get: (p: PeerView) => number,
    min: number,
  ): Target => {
    const goal = `≥ ${min}×`;
    if (snake === undefined)
      return {name, measured: 'snakemake skipped', goal, met: undefined};
    const r = get(snake) / nmMs;
    return {name, measured: `${formatRatio(r)} faster`, goal, met: r >= min};
  };
  return [
    {
      name: 'no-op rerun < 0.5 s',
      measured: `${formatSeconds(noop)} s`,
      goal: '< 0.5 s',
      met: noop < 500,
    },
    vsMake('no-op within 2× make', noop, (p) => p.noop.wallMs, 2),
    vsSnakemake(
      'no-op ≥ 20× faster than Snakemake',
      noop,
      (p) => p.noop.wallMs,
      20,
    ),
    {
      name: 'planning < 0.3 s',
      measured: `${formatSeconds(plan)} s`,
      goal: '< 0.3 s',
      met: plan < 300,
    },
    vsMake(
      'full shell run no slower than make',
      nm.run.wallMs,
      (p) => p.run.wallMs,
      1,
    ),
    {
      // A task with no body: everything from request to reply.
      name: 'built-in no-op task dispatch ≤ 0.1 ms',
      measured: `${dispatch.toFixed(3)} ms (bare piscina ${nm.task.pool.bareMsPerJob.toFixed(3)})`,
      goal: '≤ 0.1 ms',
      met: dispatch <= 0.1,
    },
    {
      // The stricter reading: all engine time per job, cache included.
      name: '  whole engine per built-in job ≤ 0.1 ms',
      measured: `${per.toFixed(3)} ms`,
      goal: '≤ 0.1 ms',
      met: per <= 0.1,
    },
  ];
}

function cpuSeconds(m: Measure): string {
  return m.cpuMs === undefined ? '–' : formatSeconds(m.cpuMs);
}

function report(
  options: Options,
  nm: NeuromakeResult,
  make: PeerResult | Skipped,
  snake: PeerResult | Skipped,
  load: {readonly before: number; readonly after: number},
): string {
  const jobs = nm.jobs;
  const mk = 'skipped' in make ? undefined : view(make, jobs);
  const sm = 'skipped' in snake ? undefined : view(snake, jobs);
  const cell = (
    p: PeerView | undefined,
    get: (v: PeerView) => number | undefined,
    scaled: (v: PeerView) => boolean,
  ) => {
    if (p === undefined) return 'skipped';
    const value = get(p);
    return value === undefined
      ? '–'
      : `${scaled(p) ? '~' : ''}${formatSeconds(value)}`;
  };
  const ratios = (
    nmMs: number | undefined,
    get: (v: PeerView) => number | undefined,
  ) => {
    const m = mk === undefined ? undefined : get(mk);
    const s = sm === undefined ? undefined : get(sm);
    return [
      nmMs === undefined || m === undefined ? '–' : formatRatio(nmMs / m),
      nmMs === undefined || s === undefined ? '–' : formatRatio(s / nmMs),
    ];
  };
  const row = (
    label: string,
    nmMs: number | undefined,
    get: (v: PeerView) => number | undefined,
    scaled: (v: PeerView) => boolean,
  ) => [
    label,
    nmMs === undefined ? '–' : formatSeconds(nmMs),
    cell(mk, get, scaled),
    cell(sm, get, scaled),
    ...ratios(nmMs, get),
  ];
  const other = (v: PeerView) => v.otherScaled;
  const runScaled = (v: PeerView) => v.runScaled;
  const perJob = (ms: number | undefined) =>
    ms === undefined ? '' : (ms / jobs).toFixed(2);
  const only = (label: string, value: string) => [label, value, '', '', '', ''];

  const rows: string[][] = [
    only('plan, in process (s)', formatSeconds(nm.planMs.medianMs)),
    row('plan, whole process (s)', nm.dag.wallMs, (v) => v.plan.wallMs, other),
    row(
      `full run -j ${options.jobs} (s)`,
      nm.run.wallMs,
      (v) => v.run.wallMs,
      runScaled,
    ),
    row(
      '  CPU, all processes (s)',
      nm.run.cpuMs,
      (v) => v.run.cpuMs,
      runScaled,
    ),
    [
      '  wall per job (ms)',
      perJob(nm.run.wallMs),
      mk === undefined ? 'skipped' : perJob(mk.run.wallMs),
      sm === undefined ? 'skipped' : perJob(sm.run.wallMs),
      '',
      '',
    ],
    row('no-op rerun (s)', nm.noop.wallMs, (v) => v.noop.wallMs, other),
    row('  CPU, all processes (s)', nm.noop.cpuMs, (v) => v.noop.cpuMs, other),
    only(
      '  first no-op, writes the stamp (s)',
      formatSeconds(nm.noopFirst.wallMs),
    ),
    only('  no-op, stamp off (s)', formatSeconds(nm.noopPlanned.wallMs)),
    only(
      `built-in task run -j ${options.jobs} (s)`,
      formatSeconds(nm.task.wallMs),
    ),
    only('  CPU, all processes (s)', cpuSeconds(nm.task)),
    only('  engine time per job (ms)', nm.task.perJobMs.toFixed(3)),
    only('  pool round trip per job (ms)', nm.task.pool.perJobMs.toFixed(3)),
    only(
      '  dispatch per task, lane time (ms)',
      nm.task.pool.dispatchMsPerJob.toFixed(3),
    ),
    only(
      '  no-op task dispatch, lane time (ms)',
      nm.task.pool.noopMsPerJob.toFixed(3),
    ),
    only(
      '  bare piscina no-op, lane time (ms)',
      nm.task.pool.bareMsPerJob.toFixed(3),
    ),
  ];

  const head = [
    `Engine DAG benchmark (issue #2): ${describe(options.shape)}, -j ${options.jobs}, medians of ${options.repeat} (Snakemake ${options.snakemakeRepeat})`,
    `machine: ${os.availableParallelism()} cpus, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}; load average ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after`,
    `make: ${'skipped' in make ? make.skipped : make.version}`,
    `snakemake: ${'skipped' in snake ? snake.skipped : `${snake.version}; plan and no-op on ${describe(options.snakemakePlan)}, run on ${describe(options.snakemakeRun)}`}`,
  ];
  // Only the load from before counts: the one after includes the
  // benchmark's own minutes of work.
  const busy = load.before > os.availableParallelism() * 0.5;
  if (busy) {
    head.push(
      'WARNING: other work was running on this machine; wall-clock times are inflated, CPU times much less so',
    );
  }

  const table = formatTable(
    ['', 'neuromake', 'make', 'snakemake', 'nm ÷ make', 'snakemake ÷ nm'],
    rows,
  );
  const goals = targets(nm, mk, sm);
  const goalTable = formatTable(
    ['target', 'measured', 'goal', 'met'],
    goals.map((g) => [
      g.name,
      g.measured,
      g.goal,
      g.met === undefined ? 'n/a' : g.met ? 'yes' : 'NO',
    ]),
  );
  const notes = [
    "plan, in process: the `plan` event's planMs (parse, expand, build the graph). Whole process: `neuromake dag --format json`, `make -n`, `snakemake -n`.",
    'nm ÷ make below 1: neuromake is faster. snakemake ÷ nm: how many times faster neuromake is.',
    '~: Snakemake measured on a smaller DAG and scaled per job to this one.',
    "built-in task: the run-end event's ms (engine time: no start-up, no planning) / jobs, for files.concat of one tiny file; pool round trip: pool-dispatch.js, TaskPool alone; dispatch: that round trip minus the time in the task's own code, per task in lane time (one task in flight per thread); no-op task dispatch: TaskPool's round trip for a task with no body (a name the worker answers at once as unknown), lane time; bare piscina: the same loop on a plain piscina pool whose task does nothing, the floor on this machine.",
    ...('skipped' in make ? [] : make.notes.map((n) => `make: ${n}`)),
    ...('skipped' in snake ? [] : snake.notes.map((n) => `snakemake: ${n}`)),
  ];
  return [
    ...head,
    '',
    table,
    '',
    goalTable,
    '',
    ...notes.map((n) => `* ${n}`),
  ].join('\n');
}

/** `neuromake --version`, and the git commit of its checkout if any. */
function describeNeuromake(cli: string): {
  readonly version: string;
  readonly commit: string | undefined;
} {
  const probe = spawnSync(process.execPath, [cli, '--version'], {
    encoding: 'utf8',
  });
  const root = path.dirname(path.dirname(cli));
  const git = (...args: string[]) =>
    spawnSync('git', ['-C', root, ...args], {encoding: 'utf8'});
  const head = git('rev-parse', '--short', 'HEAD');
  let commit: string | undefined;
  if (head.status === 0) {
    const dirty = git('status', '--porcelain', '--untracked-files=no');
    commit = `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : ' + uncommitted changes'}`;
  }
  return {version: probe.stdout.trim(), commit};
}

// -------------------------------------------------------------------- main

function parseOptions(argv: readonly string[]): Options {
  const {values} = parseArgs({
    args: [...argv],
    options: {
      size: {type: 'string', default: '1000'},
      depth: {type: 'string', default: '10'},
      jobs: {type: 'string', short: 'j', default: '2'},
      repeat: {type: 'string', default: '3'},
      'snakemake-size': {type: 'string'},
      'snakemake-plan-size': {type: 'string'},
      'snakemake-repeat': {type: 'string', default: '1'},
      skip: {type: 'string', multiple: true},
      out: {
        type: 'string',
        default: path.join(ROOT, 'bench', 'results', 'engine-dag.json'),
      },
      keep: {type: 'boolean', default: false},
      label: {type: 'string'},
      check: {type: 'boolean', default: false},
      neuromake: {
        type: 'string',
        default: path.join(ROOT, 'bin', 'neuromake.js'),
      },
    },
  });
  const size = positiveInt('size', values.size);
  const depth = positiveInt('depth', values.depth);
  const snakeRun =
    values['snakemake-size'] === undefined
      ? Math.min(100, size)
      : positiveInt('snakemake-size', values['snakemake-size']);
  const snakePlan =
    values['snakemake-plan-size'] === undefined
      ? size
      : positiveInt('snakemake-plan-size', values['snakemake-plan-size']);
  const skip = new Set((values.skip ?? []).flatMap((s) => s.split(',')));
  for (const name of skip) {
    if (name !== 'make' && name !== 'snakemake') {
      process.stderr.write(
        `--skip takes make and/or snakemake, got "${name}"\n`,
      );
      process.exit(2);
    }
  }
  return {
    shape: {fanOut: size, depth},
    jobs: positiveInt('jobs', values.jobs),
    repeat: positiveInt('repeat', values.repeat),
    snakemakeRun: {fanOut: snakeRun, depth},
    snakemakePlan: {fanOut: snakePlan, depth},
    snakemakeRepeat: positiveInt(
      'snakemake-repeat',
      values['snakemake-repeat'],
    ),
    skip,
    out: path.resolve(values.out),
    keep: values.keep,
    check: values.check,
    neuromake: path.resolve(values.neuromake),
    label: values.label,
  };
}

async function benchPeer(
  found: Peer | MissingPeer,
  skipped: boolean,
  run: (peer: Peer) => Promise<PeerResult>,
): Promise<PeerResult | Skipped> {
  if (skipped) return {skipped: 'skipped (--skip)'};
  if (!isPeer(found)) {
    log(`skipping ${found.name}: ${found.reason}`);
    return {skipped: `skipped: ${found.reason}`};
  }
  return run(found);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'neuromake-bench-'));
  const cleanUp = () => {
    if (!options.keep) rmSync(tmp, {recursive: true, force: true});
  };
  process.once('SIGINT', () => {
    killChildren();
    cleanUp();
    process.exit(130);
  });
  try {
    const subject = {
      cli: options.neuromake,
      ...describeNeuromake(options.neuromake),
      label: options.label,
    };
    log(
      `measuring ${subject.cli} ${subject.version}${subject.commit === undefined ? '' : ` at ${subject.commit}`}`,
    );
    log(`workspaces under ${tmp}`);
    const loadBefore = os.loadavg()[0] ?? 0;
    const nm = await benchNeuromake(options, tmp);
    const make = await benchPeer(
      findPeer('make', 'make'),
      options.skip.has('make'),
      (peer) => benchMake(peer, options, tmp),
    );
    const snake = await benchPeer(
      findPeer('snakemake', 'snakemake', 7),
      options.skip.has('snakemake'),
      (peer) => benchSnakemake(peer, options, tmp),
    );
    const load = {before: loadBefore, after: os.loadavg()[0] ?? 0};
    const text = [
      report(options, nm, make, snake, load),
      `neuromake measured: ${subject.version}${subject.commit === undefined ? '' : ` at ${subject.commit}`}${subject.label === undefined ? '' : ` (${subject.label})`}`,
    ].join('\n');
    process.stdout.write(`${text}\n`);
    const goals = targets(
      nm,
      'skipped' in make ? undefined : view(make, nm.jobs),
      'skipped' in snake ? undefined : view(snake, nm.jobs),
    );
    const result = {
      benchmark: 'engine-dag',
      date: new Date().toISOString(),
      machine: {
        cpus: os.availableParallelism(),
        cpu: os.cpus()[0]?.model,
        memoryBytes: os.totalmem(),
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        loadAverage: load,
      },
      subject,
      options: {
        fanOut: options.shape.fanOut,
        depth: options.shape.depth,
        jobs: options.jobs,
        repeat: options.repeat,
        snakemakeRunFanOut: options.snakemakeRun.fanOut,
        snakemakePlanFanOut: options.snakemakePlan.fanOut,
        snakemakeRepeat: options.snakemakeRepeat,
      },
      neuromake: nm,
      make,
      snakemake: snake,
      targets: goals,
      table: text,
    };
    await mkdir(path.dirname(options.out), {recursive: true});
    await writeFile(options.out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), options.out)}`);
    if (options.keep) log(`kept ${tmp}`);
    if (options.check && goals.some((g) => g.met === false))
      process.exitCode = 1;
  } finally {
    cleanUp();
  }
}

await main();
