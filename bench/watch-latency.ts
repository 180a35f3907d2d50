/**
 * Watch mode's benchmark (issue #3): how long from saving a file to the
 * first affected job starting, and how much CPU an idle session uses.
 *
 *   node dist/bench/watch-latency.js [--edits 20] [--subjects 20]
 *                                    [--strategy events|poll] [--quick]
 *
 * Latency: `neuromake watch --json` runs in a throw-away workspace with one
 * tiny shell job per subject (and a gather). Each edit writes a subject's
 * input atomically (a temporary file, then a rename, as editors do); the
 * time runs from the rename returning to the arrival here of the
 * `job-start` event of that subject's job. The next edit waits until the
 * session is idle again. Targets: under 200 ms with file-system events;
 * with `--poll` expect up to one poll interval (250 ms) more.
 *
 * Idle CPU: user + system time of the idle watch process (from
 * /proc/PID/stat) over 60 s, or 10 s with `--quick`; both strategies are
 * measured at the same time, each in its own workspace. Target: near zero.
 *
 * Prints a table and a `watch-latency: {…}` JSON line; `main()` returns the
 * same figures. Options other benchmarks take (run-all passes its extra
 * arguments to every script) are ignored with a note.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import {CLOCK_TICKS, formatTable} from './peers.js';

const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);
const BIN = path.join(ROOT, 'bin', 'neuromake.js');

/** The save-to-job-start target with file-system events. */
const TARGET_MS = 200;

type Strategy = 'events' | 'poll';

interface Options {
  readonly edits: number;
  readonly subjects: number;
  readonly idleSeconds: number;
  readonly strategies: readonly Strategy[];
}

/** Latency figures of one strategy, in milliseconds. */
interface Latency {
  readonly samples: readonly number[];
  /** Save → `watch-change` (detection plus debounce), median. */
  readonly detectMedian: number;
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

/** Idle CPU of one strategy. */
interface IdleCpu {
  readonly cpuMs: number;
  readonly wallMs: number;
  /** cpuMs / wallMs, in percent of one core. */
  readonly percent: number;
}

interface Event {
  readonly type: string;
  readonly job?: string;
}

/** A workspace with `subjects` inputs and a pipeline over them. */
function makeWorkspace(subjects: number): string {
  const dir = mkdtempSync(path.join(realpathSync(tmpdir()), 'nm-watch-bench-'));
  const write = (rel: string, text: string) => {
    const target = path.join(dir, rel);
    mkdirSync(path.dirname(target), {recursive: true});
    writeFileSync(target, text);
  };
  for (let i = 0; i < subjects; i++) write(`in/s${i}.txt`, `subject ${i}\n`);
  write(
    'pipeline.yaml',
    [
      'steps:',
      '  up:',
      '    for_each: {glob: "in/{s}.txt"}',
      '    inputs: {src: "in/{s}.txt"}',
      '    outputs: {out: "out/{s}.up"}',
      '    shell: "cp {inputs.src} {outputs.out}"',
      '  all:',
      '    inputs: {parts: {from: up, output: out}}',
      '    outputs: {out: out/all.txt}',
      '    shell: "cat {inputs.parts} > {outputs.out}"',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A running `neuromake watch --json` and the events it sent, timed. */
class Session {
  readonly child: ChildProcess;
  readonly arrivals: {event: Event; at: number}[] = [];
  #partial = '';
  #exited = false;

  constructor(dir: string, strategy: Strategy) {
    const poll = strategy === 'poll' ? ['--poll'] : [];
    this.child = spawn(
      process.execPath,
      [BIN, 'watch', '--json', ...poll, '-j', '2'],
      {
        cwd: dir,
        env: {...process.env, NO_COLOR: '1'},
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const at = performance.now();
      const lines = (this.#partial + chunk).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.arrivals.push({event: JSON.parse(line) as Event, at});
      }
    });
    this.child.once('exit', () => (this.#exited = true));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('watch did not start');
    return this.child.pid;
  }

  /** Waits for an event at index ≥ from; returns its index. */
  async next(
    what: string,
    from: number,
    match: (e: Event) => boolean,
    timeoutMs = 15_000,
  ): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.arrivals.length; i++) {
        if (match(this.arrivals[i]!.event)) return i;
      }
      if (this.#exited) throw new Error(`watch exited waiting for ${what}`);
      if (performance.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      // A short poll: the arrival time is stamped by the stream listener,
      // so this interval does not add to the measured latency.
      await sleep(5);
    }
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGINT');
    await Promise.race([exited, sleep(10_000)]);
    if (!this.#exited) this.child.kill('SIGKILL');
  }
}

/**
 * Writes a file the way editors save: a temporary file beside it, then a
 * rename over it.
 */
function saveAtomically(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

async function measureLatency(
  strategy: Strategy,
  options: Options,
): Promise<Latency> {
  const dir = makeWorkspace(options.subjects);
  const session = new Session(dir, strategy);
  try {
    await session.next('the first cycle', 0, (e) => e.type === 'watch-idle');
    const samples: number[] = [];
    const detects: number[] = [];
    for (let i = 0; i < options.edits; i++) {
      const subject = `s${i % options.subjects}`;
      // Let the previous save's watcher bookkeeping settle (chokidar
      // throttles a path's events for 50 ms), as between real saves.
      await sleep(100);
      const from = session.arrivals.length;
      saveAtomically(path.join(dir, 'in', `${subject}.txt`), `edit ${i}\n`);
      const saved = performance.now();
      const change = await session.next(
        `the change of ${subject}`,
        from,
        (e) => e.type === 'watch-change',
      );
      const job = `up[s=${subject}]`;
      const start = await session.next(
        `${job} to start`,
        from,
        (e) => e.type === 'job-start' && e.job === job,
      );
      samples.push(session.arrivals[start]!.at - saved);
      detects.push(session.arrivals[change]!.at - saved);
      await session.next('idle', start, (e) => e.type === 'watch-idle');
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      samples,
      detectMedian: percentile(
        [...detects].sort((a, b) => a - b),
        50,
      ),
      median: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      min: sorted[0] ?? Number.NaN,
      max: sorted.at(-1) ?? Number.NaN,
    };
  } finally {
    await session.stop();
    rmSync(dir, {recursive: true, force: true});
  }
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function measureIdle(
  strategy: Strategy,
  options: Options,
): Promise<IdleCpu> {
  const dir = makeWorkspace(options.subjects);
  const session = new Session(dir, strategy);
  try {
    await session.next('the first cycle', 0, (e) => e.type === 'watch-idle');
    // Let start-up work finish first (the state store's flush, and V8's
    // idle-time garbage collection, which comes some seconds after a run).
    await sleep(2000);
    const before = cpuTicks(session.pid);
    const t0 = performance.now();
    await sleep(options.idleSeconds * 1000);
    const after = cpuTicks(session.pid);
    const wallMs = performance.now() - t0;
    const cycles = session.arrivals.filter(
      (a) => a.at >= t0 && a.event.type === 'watch-change',
    ).length;
    if (cycles > 0)
      throw new Error(`${strategy}: ${cycles} cycle(s) while idle`);
    const cpuMs = ((after - before) / CLOCK_TICKS) * 1000;
    return {cpuMs, wallMs, percent: (cpuMs / wallMs) * 100};
  } finally {
    await session.stop();
    rmSync(dir, {recursive: true, force: true});
  }
}

function parseOptions(argv: readonly string[]): Options {
  const {values, tokens} = parseArgs({
    args: [...argv],
    options: {
      edits: {type: 'string', default: '20'},
      subjects: {type: 'string', default: '20'},
      strategy: {type: 'string', multiple: true},
      quick: {type: 'boolean', default: false},
    },
    strict: false,
    tokens: true,
  });
  const known = new Set(['edits', 'subjects', 'strategy', 'quick']);
  for (const token of tokens) {
    if (token.kind === 'option' && !known.has(token.name)) {
      process.stderr.write(`watch-latency: ignoring --${token.name}\n`);
    }
  }
  const count = (name: string, value: unknown): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(
        `--${name} takes a whole number ≥ 1, got ${String(value)}`,
      );
    }
    return n;
  };
  const strategies = (Array.isArray(values.strategy) ? values.strategy : [])
    .map(String)
    .flatMap((s) => s.split(','));
  for (const s of strategies) {
    if (s !== 'events' && s !== 'poll') {
      throw new Error(`--strategy takes events or poll, got "${s}"`);
    }
  }
  return {
    edits: count('edits', values.edits),
    subjects: count('subjects', values.subjects),
    idleSeconds: values.quick === true ? 10 : 60,
    strategies:
      strategies.length === 0 ? ['events', 'poll'] : (strategies as Strategy[]),
  };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The columns of the printed table. */
const COLUMNS = [
  'strategy',
  'median',
  'p90',
  'min',
  'max',
  'detect',
  'idle CPU',
  'target',
];

function table(
  options: Options,
  latency: ReadonlyMap<Strategy, Latency>,
  idle: ReadonlyMap<Strategy, IdleCpu>,
): string {
  const rows: string[][] = [];
  for (const s of options.strategies) {
    const l = latency.get(s);
    const c = idle.get(s);
    if (l === undefined || c === undefined) continue;
    const target =
      s === 'events'
        ? `< ${TARGET_MS} ms: ${l.median < TARGET_MS && l.p90 < TARGET_MS ? 'met' : 'MISSED'}`
        : 'poll interval 250 ms';
    rows.push([
      s,
      ms(l.median),
      ms(l.p90),
      ms(l.min),
      ms(l.max),
      ms(l.detectMedian),
      `${c.percent.toFixed(3)} % (${c.cpuMs.toFixed(0)} ms)`,
      target,
    ]);
  }
  return [
    `watch: save → first affected job starting, ${options.edits} edits over ` +
      `${options.subjects} subjects; idle CPU over ${options.idleSeconds} s`,
    formatTable(COLUMNS, rows),
    'detect: save → the session reports the change (detection + debounce).',
  ].join('\n');
}

/** Runs the benchmark; returns its figures by name. */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
): Promise<Record<string, number>> {
  const options = parseOptions(argv);
  const latency = new Map<Strategy, Latency>();
  // Latency one strategy at a time, so that they do not share the CPUs.
  for (const s of options.strategies)
    latency.set(s, await measureLatency(s, options));
  // Idle CPU of both at once: idle processes do not disturb each other.
  const idle = new Map<Strategy, IdleCpu>();
  const measured = await Promise.all(
    options.strategies.map(
      async (s) => [s, await measureIdle(s, options)] as const,
    ),
  );
  for (const [s, c] of measured) idle.set(s, c);
  console.log(table(options, latency, idle));
  const out: Record<string, number> = {
    edits: options.edits,
    subjects: options.subjects,
    idle_seconds: options.idleSeconds,
  };
  for (const s of options.strategies) {
    const l = latency.get(s)!;
    const c = idle.get(s)!;
    out[`${s}_median_ms`] = l.median;
    out[`${s}_p90_ms`] = l.p90;
    out[`${s}_max_ms`] = l.max;
    out[`${s}_detect_median_ms`] = l.detectMedian;
    out[`${s}_idle_cpu_ms`] = c.cpuMs;
    out[`${s}_idle_cpu_percent`] = c.percent;
  }
  console.log(`watch-latency: ${JSON.stringify(out)}`);
  return out;
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === process.argv[1]
) {
  await main();
}
