/**
 * Engine benchmark (issue #2): a generated DAG of tiny jobs, a `fanOut`-way
 * fan-out × a chain of `depth` steps (default 1,000 × 10 = 10,000 jobs), run
 * by neuromake, GNU make and Snakemake through their real command lines.
 * make runs two Makefiles: the fastest one for this DAG (explicit rules,
 * built-in rules off) and the one usually written (a pattern rule per
 * step); `--skip make` skips both.
 *
 * For neuromake it measures planning (the `plan` event's planMs, and the
 * whole `dag --format json` process), a full run with `-j 2`, a no-op
 * rerun, and the same DAG made of built-in `files.concat` jobs, whose run
 * time per job is the task dispatch cost (split into the worker pool's own
 * round trip, from pool-dispatch.ts, and the rest of the engine).
 *
 * The full runs (neuromake's, both Makefiles' and the launch floor's) are
 * medians of `--repeat` runs too: the first in each tool's own phase, the
 * others in interleaved rounds at the end (engine-dag-rounds.ts).
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
 * 1 when a target of issue #2 is missed (the stricter bars it also prints
 * are not targets: engine-dag-report.ts).
 */
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises';
import {spawnSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseArgs} from 'node:util';

import {
  jobCount,
  positiveInt,
  writeOutputs,
  writeWorkspace,
} from './generate-dag.js';
import {events, expectRun, field, verifyOutputs} from './engine-dag-checks.js';
import {report, stricter, targets, views} from './engine-dag-report.js';
import {
  fullRunRounds,
  launchFloor,
  neuromakeFullRun,
  type Rounds,
} from './engine-dag-rounds.js';
import {
  describe,
  measure,
  withRuns,
  type NeuromakeResult,
  type Options,
  type PeerResult,
  type Skipped,
} from './engine-dag-results.js';
import {
  findPeer,
  isPeer,
  killChildren,
  median,
  repeatCommand,
  timeCommand,
  type MissingPeer,
  type Peer,
  type Timed,
} from './peers.js';
import type {LaunchFloorResult} from './launch-floor.js';
import type {PoolDispatchResult} from './pool-dispatch.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: this file runs from dist/bench/. */
const ROOT = path.resolve(HERE, '..', '..');

function log(message: string): void {
  process.stderr.write(`engine-dag: ${message}\n`);
}

// ---------------------------------------------------------------- neuromake

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
  const run = await neuromakeFullRun(cli, j, dir, shape, 'neuromake run');

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
  log(`node: start-up alone (node -e 0) ×${repeat}`);
  const nodeStart = await repeatCommand(repeat, node, ['-e', '0'], at);
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

  log(`neuromake: launchers alone, no engine (${describe(shape)}, ${j} lanes)`);
  // Its workspace is kept (deleted with tmp at the end): deleting its
  // outputs here would slow make's full run, which follows (ext4 scans
  // recently deleted inodes on every create; engine-dag-rounds.ts).
  const floor = await launchFloor(options, tmp, path.join(tmp, 'floor'));

  return {
    jobs,
    planMs: {medianMs: median(plans), allMs: plans},
    dryRun: measure(dry),
    dag: measure(dag),
    run: {...measure([run]), engineMs: run.engineMs},
    noop: measure(noop),
    noopFirst: measure([firstNoop]),
    noopPlanned: measure(planned),
    nodeStart: measure(nodeStart),
    // The floor's own span, not its process: Node's start-up, writing the
    // inputs and deleting the outputs are not launching.
    launchFloor: {...measure([floorRun(floor)]), launcher: floor.launcher},
    task: {
      ...measure([task]),
      engineMs: taskMs,
      perJobMs: taskMs / jobs,
      pool,
    },
  };
}

// -------------------------------------------------------------------- make

/** The two Makefiles measured (generate-dag.ts). */
type MakeKind = 'make' | 'make-pattern';

const MAKE_NOTES: Readonly<Record<MakeKind, string>> = {
  make: 'one explicit rule per job, built-in rules off: the fastest Makefile for this DAG',
  'make-pattern':
    "one pattern rule per step, built-in rules on: the Makefile one usually writes, the kind the issue's 0.25 s no-op figure is for",
};

async function benchMake(
  peer: Peer,
  kind: MakeKind,
  options: Options,
  tmp: string,
): Promise<PeerResult> {
  const {shape, repeat} = options;
  const j = String(options.jobs);
  const dir = path.join(tmp, kind);
  await writeWorkspace(dir, kind, shape);
  const at = {cwd: dir};

  log(`${kind}: plan (make -n) ×${repeat}`);
  const plan = await repeatCommand(repeat, peer.command, ['-n', '-j', j], at);
  log(`${kind}: full run -j ${j} (${describe(shape)})`);
  const run = await timeCommand(peer.command, ['-j', j], at);
  await verifyOutputs(dir, shape);
  log(`${kind}: no-op rerun ×${repeat}`);
  const noop = await repeatCommand(repeat, peer.command, ['-j', j], at);
  if (!noop.every((r) => r.stdout.includes('Nothing to be done'))) {
    throw new Error(`${kind}: the rerun was not a no-op`);
  }
  const jobs = jobCount(shape);
  return {
    version: peer.version,
    jobs,
    plan: measure(plan),
    run: {...measure([run]), jobs},
    noop: measure(noop),
    notes: [MAKE_NOTES[kind]],
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

/** A launch floor's span as a timed run, for {@link measure}. */
function floorRun(floor: LaunchFloorResult): Pick<Timed, 'ms' | 'cpuMs'> {
  return {ms: floor.wallMs, cpuMs: floor.cpuMs};
}

/** Each tool's results with the extra rounds' full runs folded in. */
function addRounds(
  rounds: Rounds,
  nm: NeuromakeResult,
  make: PeerResult | Skipped,
  makePattern: PeerResult | Skipped,
): {
  nm: NeuromakeResult;
  make: PeerResult | Skipped;
  makePattern: PeerResult | Skipped;
} {
  const engine = [nm.run.engineMs, ...rounds.neuromake.map((r) => r.engineMs)];
  const floors = rounds.floor.map(floorRun);
  const peer = (
    result: PeerResult | Skipped,
    runs: readonly Timed[],
  ): PeerResult | Skipped =>
    'skipped' in result
      ? result
      : {
          ...result,
          run: {...withRuns(result.run, runs), jobs: result.run.jobs},
        };
  return {
    nm: {
      ...nm,
      run: {...withRuns(nm.run, rounds.neuromake), engineMs: median(engine)},
      launchFloor: {
        ...withRuns(nm.launchFloor, floors),
        launcher: nm.launchFloor.launcher,
      },
    },
    make: peer(make, rounds.make),
    makePattern: peer(makePattern, rounds.makePattern),
  };
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
    const firstNm = await benchNeuromake(options, tmp);
    const makePeer = findPeer('make', 'make');
    const firstMake = await benchPeer(
      makePeer,
      options.skip.has('make'),
      (peer) => benchMake(peer, 'make', options, tmp),
    );
    const firstPattern = await benchPeer(
      makePeer,
      options.skip.has('make'),
      (peer) => benchMake(peer, 'make-pattern', options, tmp),
    );
    const snake = await benchPeer(
      findPeer('snakemake', 'snakemake', 7),
      options.skip.has('snakemake'),
      (peer) => benchSnakemake(peer, options, tmp),
    );
    const rounds =
      options.repeat > 1
        ? await fullRunRounds(
            options,
            tmp,
            options.repeat - 1,
            'skipped' in firstMake || !isPeer(makePeer) ? undefined : makePeer,
            log,
          )
        : undefined;
    const {nm, make, makePattern} =
      rounds === undefined
        ? {nm: firstNm, make: firstMake, makePattern: firstPattern}
        : addRounds(rounds, firstNm, firstMake, firstPattern);
    const load = {before: loadBefore, after: os.loadavg()[0] ?? 0};
    const text = [
      report(options, nm, {make, makePattern, snake}, load),
      `neuromake measured: ${subject.version}${subject.commit === undefined ? '' : ` at ${subject.commit}`}${subject.label === undefined ? '' : ` (${subject.label})`}`,
    ].join('\n');
    process.stdout.write(`${text}\n`);
    const seen = views({make, makePattern, snake}, nm.jobs);
    const goals = targets(nm, seen);
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
      makePattern,
      snakemake: snake,
      targets: goals,
      stricter: stricter(nm, seen),
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
