/**
 * The engine benchmark's printed report (engine-dag.ts): the side-by-side
 * table, the targets of issue #2 and whether each is met, and notes.
 */
import os from 'node:os';

import {
  describe,
  scale,
  type Measure,
  type NeuromakeResult,
  type Options,
  type PeerResult,
  type Skipped,
} from './engine-dag-results.js';
import {formatRatio, formatSeconds, formatTable} from './peers.js';

export interface Target {
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
export interface PeerView {
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

/** Every peer's result, or why it was skipped. */
export interface Peers {
  /** The fastest Makefile: explicit rules, built-in rules off. */
  readonly make: PeerResult | Skipped;
  /** The usual Makefile: a pattern rule per step. */
  readonly makePattern: PeerResult | Skipped;
  readonly snake: PeerResult | Skipped;
}

/** Each peer's view, undefined where it was skipped. */
export type PeerViews = {
  readonly [name in keyof Peers]: PeerView | undefined;
};

export function views(peers: Peers, jobs: number): PeerViews {
  const one = (p: PeerResult | Skipped) =>
    'skipped' in p ? undefined : view(p, jobs);
  return {
    make: one(peers.make),
    makePattern: one(peers.makePattern),
    snake: one(peers.snake),
  };
}

/**
 * neuromake ÷ make, which should stay at or below `max` (a number for the
 * target's `measured` column), or why it cannot be told.
 */
function vsMake(
  name: string,
  nmMs: number,
  make: PeerView | undefined,
  get: (p: PeerView) => number,
  max: number,
): Target {
  const goal = `≤ ${max}×`;
  if (make === undefined)
    return {name, measured: 'make skipped', goal, met: undefined};
  const r = nmMs / get(make);
  return {name, measured: `${formatRatio(r)} make`, goal, met: r <= max};
}

/**
 * The targets of issue #2. Its make is the one it measured: 0.25 s for a
 * no-op of this DAG, which is what a pattern-rule Makefile takes (the
 * fastest possible Makefile takes about a tenth of that), and its "under
 * 0.5 s" and "within 2× of make" are the same bar only for that make. So
 * the make targets compare with the pattern-rule Makefile; the fastest
 * Makefile is compared in {@link stricter}.
 */
export function targets(nm: NeuromakeResult, peers: PeerViews): Target[] {
  const {snake, makePattern} = peers;
  const noop = nm.noop.wallMs;
  const plan = nm.planMs.medianMs;
  const dispatch = nm.task.pool.noopMsPerJob;
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
    vsMake(
      'no-op within 2× make (pattern rules)',
      noop,
      makePattern,
      (p) => p.noop.wallMs,
      2,
    ),
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
      'full run no slower than make (pattern rules)',
      nm.run.wallMs,
      makePattern,
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
  ];
}

/**
 * Bars beyond the issue's, printed so that a change for the worse shows:
 * the same make bars against the fastest Makefile (whose no-op takes
 * about half what Node takes to start, so within 2× of it is out of any
 * Node program's reach: the table's "Node start-up alone" row), and the whole engine's time per built-in job, cache
 * work included, against the dispatch bar. Not targets: `--check` ignores
 * them.
 */
export function stricter(nm: NeuromakeResult, peers: PeerViews): Target[] {
  const per = nm.task.perJobMs;
  return [
    vsMake(
      'no-op within 2× make (fastest Makefile)',
      nm.noop.wallMs,
      peers.make,
      (p) => p.noop.wallMs,
      2,
    ),
    vsMake(
      'full run no slower than make (fastest Makefile)',
      nm.run.wallMs,
      peers.make,
      (p) => p.run.wallMs,
      1,
    ),
    {
      name: 'whole engine per built-in job ≤ 0.1 ms',
      measured: `${per.toFixed(3)} ms`,
      goal: '≤ 0.1 ms',
      met: per <= 0.1,
    },
  ];
}

/** A table of targets or bars, with whether each holds. */
function goalTable(title: string, goals: readonly Target[]): string {
  return formatTable(
    [title, 'measured', 'goal', 'met'],
    goals.map((g) => [
      g.name,
      g.measured,
      g.goal,
      g.met === undefined ? 'n/a' : g.met ? 'yes' : 'NO',
    ]),
  );
}

function cpuSeconds(m: Measure): string {
  return m.cpuMs === undefined ? '–' : formatSeconds(m.cpuMs);
}

export function report(
  options: Options,
  nm: NeuromakeResult,
  peers: Peers,
  load: {readonly before: number; readonly after: number},
): string {
  const jobs = nm.jobs;
  const {make, makePattern, snake} = peers;
  const seen = views(peers, jobs);
  const columns = [seen.make, seen.makePattern, seen.snake];
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
  /** neuromake ÷ each make, then Snakemake ÷ neuromake (if `snakemake`). */
  const ratios = (
    nmMs: number | undefined,
    get: (v: PeerView) => number | undefined,
    snakemake: boolean,
  ) => {
    const ratio = (p: PeerView | undefined, over: boolean) => {
      const peer = p === undefined ? undefined : get(p);
      if (nmMs === undefined || peer === undefined) return '–';
      return formatRatio(over ? peer / nmMs : nmMs / peer);
    };
    return [
      ratio(seen.make, false),
      ratio(seen.makePattern, false),
      snakemake ? ratio(seen.snake, true) : '',
    ];
  };
  /**
   * A row of neuromake's figure, the peers' and the ratios; a floor row
   * (`snakemake` false) compares with make only, the floor's peer.
   */
  const row = (
    label: string,
    nmMs: number | undefined,
    get: (v: PeerView) => number | undefined,
    scaled: (v: PeerView) => boolean,
    snakemake = true,
  ) => [
    label,
    nmMs === undefined ? '–' : formatSeconds(nmMs),
    ...columns.map((p) => cell(p, get, scaled)),
    ...ratios(nmMs, get, snakemake),
  ];
  const other = (v: PeerView) => v.otherScaled;
  const runScaled = (v: PeerView) => v.runScaled;
  /** A wall-clock row and a CPU row, each against the peers' full runs. */
  const againstRuns = (
    wall: string,
    cpu: string,
    m: Measure,
    snakemake = true,
  ) => [
    row(wall, m.wallMs, (v) => v.run.wallMs, runScaled, snakemake),
    row(cpu, m.cpuMs, (v) => v.run.cpuMs, runScaled, snakemake),
  ];
  const perJob = (ms: number | undefined) =>
    ms === undefined ? '' : (ms / jobs).toFixed(2);
  const blank = ['', '', '', '', '', ''];
  const only = (label: string, value: string) => [label, value, ...blank];

  const rows: string[][] = [
    only('plan, in process (s)', formatSeconds(nm.planMs.medianMs)),
    row('plan, whole process (s)', nm.dag.wallMs, (v) => v.plan.wallMs, other),
    ...againstRuns(
      `full run -j ${options.jobs} (s)`,
      '  CPU, all processes (s)',
      nm.run,
    ),
    [
      '  wall per job (ms)',
      perJob(nm.run.wallMs),
      ...columns.map((p) =>
        p === undefined ? 'skipped' : perJob(p.run.wallMs),
      ),
      '',
      '',
      '',
    ],
    ...againstRuns(
      '  launchers alone, no engine (s)',
      '    CPU, all processes (s)',
      nm.launchFloor,
      false,
    ),
    row('no-op rerun (s)', nm.noop.wallMs, (v) => v.noop.wallMs, other),
    row('  CPU, all processes (s)', nm.noop.cpuMs, (v) => v.noop.cpuMs, other),
    only(
      '  first no-op, writes the stamp (s)',
      formatSeconds(nm.noopFirst.wallMs),
    ),
    only('  no-op, stamp off (s)', formatSeconds(nm.noopPlanned.wallMs)),
    row(
      '  Node start-up alone (s)',
      nm.nodeStart.wallMs,
      (v) => v.noop.wallMs,
      other,
      false,
    ),
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
    only(
      '  no-op task dispatch, CPU (ms)',
      nm.task.pool.noopCpuMsPerJob.toFixed(3),
    ),
    only(
      '  bare piscina no-op, CPU (ms)',
      nm.task.pool.bareCpuMsPerJob.toFixed(3),
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
    [
      '',
      'neuromake',
      'make',
      'make, patterns',
      'snakemake',
      'nm ÷ make',
      'nm ÷ make, patterns',
      'snakemake ÷ nm',
    ],
    rows,
  );
  const issueTargets = goalTable('target (issue #2)', targets(nm, seen));
  const stricterBars = goalTable(
    'stricter bar (not a target)',
    stricter(nm, seen),
  );
  const notes = [
    "plan, in process: the `plan` event's planMs (parse, expand, build the graph). Whole process: `neuromake dag --format json`, `make -n`, `snakemake -n`.",
    'nm ÷ make below 1: neuromake is faster. snakemake ÷ nm: how many times faster neuromake is.',
    '~: Snakemake measured on a smaller DAG and scaled per job to this one.',
    "targets: issue #2's. Its make is the one it measured on this DAG (0.25 s no-op, 12.3 s run): a pattern-rule Makefile, by that no-op, and only for that make are its two no-op bars (< 0.5 s, within 2× of make) one bar. Stricter bars: the make bars against the fastest Makefile, and all engine time per built-in job against the dispatch bar; printed to catch regressions, not targets (`--check` ignores them).",
    `full runs of neuromake, both Makefiles and the launch floor: ${options.repeat > 1 ? `medians of ${options.repeat}, the first in each tool's own phase, the others in interleaved rounds (one run of each per round)` : 'one run each'}; Snakemake's full run, the built-in task run and the first no-op: one run each.`,
    "Node start-up alone: `node -e 0`, the floor under any no-op rerun of a program written for Node; its ratios to make are that floor against make's no-op.",
    `launchers alone: launch-floor.js runs the same \`cp\` commands through neuromake's job launchers (${nm.launchFloor.launcher} at the end) with no engine around them: no planning, hashing, content store, state store or renames; timed from the first launch to the last end (CPU: that span's, its launchers and jobs included; Node's start-up, writing the inputs and deleting the outputs left out). Its ratios to make are the floor under the full run's.`,
    "built-in task: the run-end event's ms (engine time: no start-up, no planning) / jobs, for files.concat of one tiny file; pool round trip: pool-dispatch.js, TaskPool alone; dispatch: that round trip minus the time in the task's own code, per task in lane time (one task in flight per thread); no-op task dispatch: TaskPool's round trip for a task with no body (a name the worker answers at once as unknown), lane time; bare piscina: the same loop on a plain piscina pool whose task does nothing, the floor on this machine; the two take turns in blocks, each the median of its blocks; CPU: all threads' CPU time per task (lane time also counts the threads' wake-ups).",
    ...('skipped' in make ? [] : make.notes.map((n) => `make: ${n}`)),
    ...('skipped' in makePattern
      ? []
      : makePattern.notes.map((n) => `make, patterns: ${n}`)),
    "make: both Makefiles exec a simple `cp` directly, without a shell; so does neuromake's launcher (commands with shell syntax go through `sh -c`)",
    ...('skipped' in snake ? [] : snake.notes.map((n) => `snakemake: ${n}`)),
  ];
  return [
    ...head,
    '',
    table,
    '',
    issueTargets,
    '',
    stricterBars,
    '',
    ...notes.map((n) => `* ${n}`),
  ].join('\n');
}
