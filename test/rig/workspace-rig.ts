/**
 * An end-to-end test rig: a throw-away workspace under the system temp
 * directory, the real CLI run as a child process in it, and fake commands
 * that count how often they really ran.
 *
 * Layout of a rig's root directory:
 *
 *   <root>/ws/           the workspace: pipeline.yaml, inputs, tools/, outputs
 *   <root>/counts/       one `<name>.log` per counted command, a line per run
 *   <root>/gates/        files a waiting command polls for (see `gate`)
 *   <root>/tmp/          where `write` stages files before renaming them
 *
 * Counts live outside the workspace so that no job reads them, and the
 * commands find them through the `NM_COUNTS` environment variable, so a
 * command line never names a file that changes on every run.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, relative, resolve} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import Database from 'better-sqlite3';

/** The CLI launcher; this file compiles to dist/test/rig/. */
const BIN = fileURLToPath(
  new URL('../../../bin/neuromake.js', import.meta.url),
);

/** One JSON event of `--json` output (loosely typed on purpose). */
export interface RigEvent {
  readonly type: string;
  readonly job?: string;
  readonly outcome?: string;
  readonly unchanged?: boolean;
  readonly reason?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

/** What one CLI invocation did. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed stdout lines when `--json` was passed, else empty. */
  readonly events: readonly RigEvent[];
  /** `Date.now()` when the process was seen to exit. */
  readonly endedAt: number;
}

/** A CLI process started in the background. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What it has written to stdout so far. */
  stdout(): string;
  /** Resolves when the process has exited and its output is complete. */
  readonly done: Promise<RunResult>;
}

/**
 * Counted fake commands, written to `tools/` of every workspace. Each one
 * appends `$NEUROMAKE_JOB` to `$NM_COUNTS/<name>.log` when it starts. They
 * are run as `sh tools/x.sh …`, so their content is part of each job's key.
 */
const TOOLS: Readonly<Record<string, string>> = {
  // fake.sh NAME OUT [IN…]: OUT = the inputs, then a `+NAME` line. An input
  // holding the word FAIL makes it write a partial OUT and exit 1.
  'fake.sh': `#!/bin/sh
name=$1; out=$2; shift 2
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$name.log"
if [ $# -gt 0 ] && grep -q FAIL "$@"; then
  printf partial > "$out"
  echo "fake.sh: $NEUROMAKE_JOB was told to fail" >&2
  exit 1
fi
{ if [ $# -gt 0 ]; then cat "$@"; fi; echo "+$name"; } > "$out"
`,
  // lines.sh NAME OUT IN: OUT = the number of lines of IN.
  'lines.sh': `#!/bin/sh
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$1.log"
wc -l < "$3" | tr -d ' ' > "$2"
`,
  // slow.sh NAME OUT SECONDS [IN…]: writes a partial OUT, records its process
  // group in $NM_COUNTS/NAME.pgid, sleeps (SLOW_SECS, when set, overrides
  // SECONDS without changing the command), writes OUT in full, and appends
  // to NAME.done.
  'slow.sh': `#!/bin/sh
name=$1; out=$2; secs=\${SLOW_SECS:-$3}; shift 3
printf partial > "$out"
cut -d' ' -f5 /proc/$$/stat >> "$NM_COUNTS/$name.pgid"
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$name.log"
sleep "$secs"
{ if [ $# -gt 0 ]; then cat "$@"; fi; echo "+$name complete"; } > "$out"
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$name.done"
`,
  // gate.sh NAME OUT GATE: counted; waits until $NM_GATES/GATE exists. Its
  // process group goes to NAME.pgid too, so `cleanup` can stop it.
  'gate.sh': `#!/bin/sh
cut -d' ' -f5 /proc/$$/stat >> "$NM_COUNTS/$1.pgid"
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$1.log"
while [ ! -e "$NM_GATES/$3" ]; do sleep 0.02; done
echo "+$1" > "$2"
`,
  // span.sh NAME OUT SECONDS: records start and end times (ns) and what it
  // was given (CUDA_VISIBLE_DEVICES, NEUROMAKE_CPUS) in $NM_COUNTS/NAME.spans.
  'span.sh': `#!/bin/sh
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$1.log"
echo "start $(date +%s%N) $NEUROMAKE_JOB gpus=\${CUDA_VISIBLE_DEVICES-unset} cpus=$NEUROMAKE_CPUS" >> "$NM_COUNTS/$1.spans"
sleep "$3"
echo "end $(date +%s%N) $NEUROMAKE_JOB" >> "$NM_COUNTS/$1.spans"
echo "+$1" > "$2"
`,
};

/** A temporary workspace with the CLI and counted commands. */
export class WorkspaceRig {
  /** The rig's root (see the file comment). */
  readonly root: string;
  /** The workspace: the CLI's working directory. */
  readonly dir: string;
  readonly countsDir: string;
  readonly gatesDir: string;
  /** Extra environment for every CLI started from now on. */
  readonly env: Record<string, string> = {};
  readonly #stagingDir: string;
  readonly #children = new Set<ChildProcess>();

  private constructor(root: string) {
    this.root = root;
    this.dir = join(root, 'ws');
    this.countsDir = join(root, 'counts');
    this.gatesDir = join(root, 'gates');
    this.#stagingDir = join(root, 'tmp');
    for (const d of [this.dir, this.countsDir, this.gatesDir]) {
      mkdirSync(d, {recursive: true});
    }
    mkdirSync(this.#stagingDir, {recursive: true});
    for (const [name, text] of Object.entries(TOOLS)) {
      this.write(`tools/${name}`, text);
    }
  }

  /**
   * Creates a rig; with a test context, removes it when the test ends (and
   * kills anything it left running).
   */
  static create(t?: {
    after(fn: () => Promise<void> | void): void;
  }): WorkspaceRig {
    const base = realpathSync(tmpdir());
    const rig = new WorkspaceRig(mkdtempSync(join(base, 'nm-e2e-')));
    t?.after(() => rig.cleanup());
    return rig;
  }

  /** Absolute path of a workspace-relative (or absolute) path. */
  path(rel: string): string {
    return resolve(this.dir, rel);
  }

  /** Writes a workspace file atomically: a staged copy, then a rename. */
  write(rel: string, content: string | Uint8Array): void {
    const target = this.path(rel);
    mkdirSync(dirname(target), {recursive: true});
    const staged = join(
      this.#stagingDir,
      `${randomBytes(6).toString('hex')}.part`,
    );
    writeFileSync(staged, content);
    renameSync(staged, target);
  }

  /** Writes pipeline.yaml (lines joined with newlines). */
  pipeline(...lines: string[]): string {
    const text = `${lines.join('\n')}\n`;
    this.write('pipeline.yaml', text);
    return text;
  }

  read(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  bytes(rel: string): Buffer {
    return readFileSync(this.path(rel));
  }

  exists(rel: string): boolean {
    return existsSync(this.path(rel));
  }

  remove(rel: string): void {
    rmSync(this.path(rel), {recursive: true, force: true});
  }

  /** Opens a gate that `gate.sh` jobs wait for. */
  openGate(name: string): void {
    writeFileSync(join(this.gatesDir, name), '');
  }

  /** The job ids a counted command ran for, one per run, in order. */
  runs(name: string): string[] {
    const file = join(this.countsDir, `${name}.log`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  /** How many times a counted command ran. */
  count(name: string): number {
    return this.runs(name).length;
  }

  /** Every counted command's count, by name. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const file of readdirSync(this.countsDir).sort()) {
      if (!file.endsWith('.log')) continue;
      const name = file.slice(0, -'.log'.length);
      out[name] = this.count(name);
    }
    return out;
  }

  /** A file under counts/ (spans, pgid files), or '' when absent. */
  countsFile(name: string): string {
    const file = join(this.countsDir, name);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** Workspace-relative paths of every file and directory, recursively. */
  walk(from = ''): string[] {
    const out: string[] = [];
    const visit = (rel: string) => {
      for (const entry of readdirSync(this.path(rel), {withFileTypes: true})) {
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        out.push(child);
        if (entry.isDirectory()) visit(child);
      }
    };
    visit(from);
    return out.sort();
  }

  /** Every `.nm-tmp-*` file or directory anywhere in the workspace. */
  tempFiles(): string[] {
    return this.walk().filter((p) =>
      (p.split('/').pop() ?? '').startsWith('.nm-tmp-'),
    );
  }

  /** SHA-256 of a workspace file, hex. */
  sha256(rel: string): string {
    return createHash('sha256').update(this.bytes(rel)).digest('hex');
  }

  /**
   * Hashes of the blobs in the content store: files under
   * `.neuromake/store/xx/…` (named `xx` + the rest, as {@link blobFiles})
   * and rows of the state database's `blobs` table.
   */
  blobs(): string[] {
    return [
      ...this.blobFiles(),
      ...this.#onBlobRows(
        (db) => db.prepare('SELECT hash FROM blobs').pluck().all() as string[],
      ),
    ];
  }

  /** The names of the files under `.neuromake/store/xx/`, `xx` first. */
  blobFiles(): string[] {
    if (!existsSync(this.path('.neuromake/store'))) return [];
    return this.walk('.neuromake/store')
      .filter((p) => statSync(this.path(p)).isFile())
      .map((p) => relative('.neuromake/store', p).replace('/', ''));
  }

  /** Deletes a blob behind the runner's back, as a user might. */
  removeBlob(hash: string): void {
    this.remove(`.neuromake/store/${hash.slice(0, 2)}/${hash.slice(2)}`);
    this.#onBlobRows((db) =>
      db.prepare('DELETE FROM blobs WHERE hash = ?').run(hash),
    );
  }

  /** Empties the content store, files and rows. */
  removeStore(): void {
    this.remove('.neuromake/store');
    this.#onBlobRows((db) => db.exec('DELETE FROM blobs'));
  }

  /** Runs `use` on the state database, if there is one with blob rows. */
  #onBlobRows<T>(use: (db: Database.Database) => T): T | [] {
    const file = this.path('.neuromake/state.db');
    if (!existsSync(file)) return [];
    const db = new Database(file);
    try {
      const table = db
        .prepare("SELECT 1 FROM sqlite_master WHERE name = 'blobs'")
        .get();
      return table === undefined ? [] : use(db);
    } finally {
      db.close();
    }
  }

  /** Runs the CLI to completion. */
  async run(...args: string[]): Promise<RunResult> {
    return this.start(...args).done;
  }

  /** Starts the CLI without waiting for it. */
  start(...args: string[]): RunningCli {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: this.dir,
      env: {
        ...process.env,
        NO_COLOR: '1',
        NM_COUNTS: this.countsDir,
        NM_GATES: this.gatesDir,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const json = args.includes('--json');
    const done = new Promise<RunResult>((settle, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        this.#children.delete(child);
        settle({
          code,
          signal,
          stdout,
          stderr,
          events: json ? parseEvents(stdout) : [],
          endedAt: Date.now(),
        });
      });
    });
    if (child.pid === undefined) throw new Error('the CLI did not start');
    return {child, pid: child.pid, done, stdout: () => stdout};
  }

  /**
   * Kills (SIGKILL) every process group a `slow.sh` job recorded, as a
   * machine dying would; only groups whose leader is still one of this
   * rig's jobs, so a reused pid is never hit.
   */
  killJobGroups(name: string): void {
    for (const line of this.countsFile(`${name}.pgid`).split('\n')) {
      const pgid = Number(line.trim());
      if (!Number.isInteger(pgid) || pgid <= 1 || !this.#ours(pgid)) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /** True when process `pid` runs with this rig's environment. */
  #ours(pid: number): boolean {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      return env.split('\0').includes(`NM_COUNTS=${this.countsDir}`);
    } catch {
      return false;
    }
  }

  /** Kills leftovers and deletes the rig. */
  async cleanup(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL');
    for (const file of existsSync(this.countsDir)
      ? readdirSync(this.countsDir)
      : []) {
      if (file.endsWith('.pgid')) this.killJobGroups(file.slice(0, -5));
    }
    await Promise.all(
      [...this.#children].map(
        (c) => new Promise((settle) => c.once('close', settle)),
      ),
    );
    rmSync(this.root, {recursive: true, force: true});
  }
}

/** A parsed JSON value as an event, or undefined when it is no object. */
export function asEvent(value: unknown): RigEvent | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as RigEvent)
    : undefined;
}

/** Parses `--json` output: every line must be one JSON object. */
export function parseEvents(stdout: string): RigEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const event = asEvent(JSON.parse(line));
      if (event === undefined) throw new Error(`not a JSON object: ${line}`);
      return event;
    });
}

/** Events of one type among `events`. */
export function ofType(
  events: readonly RigEvent[],
  type: string,
): readonly RigEvent[] {
  return events.filter((e) => e.type === type);
}

/** Events of one type. */
export function eventsOf(result: RunResult, type: string): readonly RigEvent[] {
  return ofType(result.events, type);
}

/** job id → outcome of every `job-done` event. */
export function outcomes(result: RunResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of eventsOf(result, 'job-done')) {
    if (e.job !== undefined && e.outcome !== undefined) out[e.job] = e.outcome;
  }
  return out;
}

/** The single `run-end` event. */
export function runEnd(result: RunResult): RigEvent {
  const ends = eventsOf(result, 'run-end');
  if (ends.length !== 1 || ends[0] === undefined) {
    throw new Error(
      `expected one run-end event, got ${ends.length}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return ends[0];
}

/** A printable account of a run, for assertion messages. */
export function show(result: RunResult): string {
  return `exit ${result.code}${result.signal === null ? '' : ` (${result.signal})`}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** Polls `check` until it is true, failing after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 10_000,
  pollMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * `line:column` (1-based) of the `occurrence`-th (0-based) appearance of
 * `needle` in `text`, for checking diagnostic locations.
 */
export function locate(text: string, needle: string, occurrence = 0): string {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset === -1) throw new Error(`"${needle}" not found ${i + 1} times`);
  }
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** The source line of `text` holding the `occurrence`-th `needle`. */
export function lineOf(text: string, needle: string, occurrence = 0): string {
  const [line] = locate(text, needle, occurrence).split(':');
  return text.split('\n')[Number(line) - 1] ?? '';
}

/**
 * How many tests of one file run at once: each has its own workspace, and
 * most of a test's time is spent waiting for child processes.
 */
export const FILE_CONCURRENCY = 4;
