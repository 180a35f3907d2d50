import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import type {Socket} from 'node:net';
import {constants} from 'node:os';

import {nativeLauncher} from './launcher-native.js';
import {PERL_LAUNCHER} from './launcher-perl.js';
import {QUEUE_DEPTH, type LauncherProgram} from './launcher-protocol.js';
import {pythonLauncher} from './launcher-python.js';

/** What a launched job needs besides its command. */
export interface LaunchSpec {
  readonly command: string;
  readonly cwd: string;
  /** Appended to: the job's stdout and stderr go here. */
  readonly logPath: string;
  /** Empty the log first (it may hold an earlier run's). */
  readonly truncate: boolean;
  /** Written to the log before the job starts (its `$ command` line). */
  readonly header: string;
  /** Added to the launcher's environment (the runner's job environment). */
  readonly env: Readonly<Record<string, string>>;
}

/** How a launched job went, from the launcher's point of view. */
export type LaunchEnd =
  | {readonly kind: 'exit'; readonly code: number}
  | {readonly kind: 'signal'; readonly signal: string}
  /** The launcher could not start it (bad cwd, no `sh`, …). */
  | {readonly kind: 'spawn-error'; readonly message: string}
  /** The launcher died while the job was running. */
  | {readonly kind: 'lost'; readonly message: string};

/** Callbacks of one launched job. */
export interface LaunchListener {
  /** The job runs as `pid`, leading its own process group. */
  started(pid: number): void;
  ended(end: LaunchEnd): void;
  /**
   * A job queued behind another ({@link Launcher.launch}): the one before
   * it exited with 0, so it is starting now (its `started` follows).
   */
  begun?(): void;
  /**
   * A queued job was never started: one before it failed, it was
   * cancelled, or the launcher died first.
   */
  dropped?(): void;
  /**
   * This job is the last one sent, and another may now be queued behind
   * it (a job ahead of it ended).
   */
  room?(): void;
}

/** A job sent to the launcher that has not ended. */
interface Sent {
  readonly listener: LaunchListener;
  /** Its `S` came. */
  started: boolean;
  /** It was sent to start at once, or the job ahead of it succeeded. */
  readonly begun: boolean;
}

/**
 * One launcher process (see launcher-protocol.ts), running one job at a
 * time, and, if it says it can, holding {@link QUEUE_DEPTH} more queued
 * behind it: two, so that a job ending while this thread is busy finds
 * the next but one already there. While
 * idle it holds no reference on the event loop, so a runner that is done
 * exits, and the launcher with it (end of its stdin).
 */
export class Launcher {
  /** Which program this is (native, Perl or Python). */
  readonly program: LauncherProgram;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #ready: Promise<boolean>;
  #buffered = '';
  #stderr = '';
  #dead = false;
  #canQueue = false;
  /** The job started last, until it ends. */
  #running: Sent | undefined;
  /** Jobs queued behind {@link #running}, oldest first. */
  readonly #queued: LaunchListener[] = [];
  /**
   * A cancel was sent and the queue has not emptied since: nothing more is
   * queued meanwhile, or the launcher's `N` could drop the newcomer while
   * this side drops the one it meant.
   */
  #cancelling = false;
  #onReady: ((ok: boolean) => void) | undefined;

  constructor(env: NodeJS.ProcessEnv, program: LauncherProgram) {
    this.program = program;
    this.#ready = new Promise((r) => (this.#onReady = r));
    // Note: detached gives the launcher its own process group, so that
    // killing an orphaned launcher's group (cleanPending) hits nothing else.
    this.#child = spawn(program.command, program.args, {
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stdout.setEncoding('latin1');
    this.#child.stderr.setEncoding('utf8');
    this.#child.stdout.on('data', (text: string) => this.#read(text));
    this.#child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-500);
    });
    this.#child.stdin.on('error', () => {
      // EPIPE after the launcher died: reported by 'close'.
    });
    this.#child.once('error', () => this.#die());
    this.#child.once('close', () => this.#die());
    // Referenced until ready: a run waiting for its first launcher must not
    // look finished to the event loop.
    void this.#ready.then(() => {
      if (!this.busy) this.#idle();
    });
  }

  /** Resolves to whether the launcher started and said it is ready. */
  ready(): Promise<boolean> {
    return this.#ready;
  }

  /** The launcher's process id (tests kill it to see a job lost). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /** Whether a job was sent that has not ended yet. */
  get busy(): boolean {
    return this.#running !== undefined || this.#queued.length > 0;
  }

  /**
   * Whether a job can be queued behind the one `listener` was sent with:
   * that one is the last sent and has not ended, the queue has room, and
   * this launcher program can queue at all.
   */
  acceptsBehind(listener: LaunchListener): boolean {
    return (
      !this.#dead &&
      this.#canQueue &&
      !this.#cancelling &&
      this.#queued.length < QUEUE_DEPTH &&
      this.#last() === listener
    );
  }

  /**
   * Sends one job. On an idle launcher it starts at once; with `queued`,
   * the launcher must accept one behind its running job (acceptsBehind),
   * and starts it only once that one exited with 0 (else it is dropped).
   */
  launch(spec: LaunchSpec, listener: LaunchListener, queued = false): void {
    if (queued) {
      const last = this.#last();
      if (last === undefined || !this.acceptsBehind(last)) {
        throw new Error('Internal error: launcher cannot queue a job');
      }
      this.#queued.push(listener);
    } else {
      if (this.busy) throw new Error('Internal error: launcher already busy');
      this.#running = {listener, started: false, begun: true};
    }
    this.#busy();
    const fields = [
      spec.cwd,
      spec.logPath,
      spec.truncate ? 'w' : 'a',
      spec.header,
      spec.command,
    ];
    for (const [name, value] of Object.entries(spec.env)) {
      fields.push(`${name}=${value}`);
    }
    const payload = fields.join('\0');
    const head = `${Buffer.byteLength(payload)}${queued ? ' q' : ''}\n`;
    // One write: the launcher wakes once per job.
    this.#child.stdin.write(head + payload);
  }

  /**
   * Asks the launcher to drop its last queued job if that has not started;
   * the answer is that job's `dropped` or, if it had started, its `begun`.
   */
  cancelQueued(): void {
    if (this.#queued.length > 0 && !this.#dead) {
      this.#cancelling = true;
      this.#child.stdin.write('C\n');
    }
  }

  /** Ends the launcher (it exits at end of input) and waits for that. */
  close(): Promise<void> {
    if (this.#dead) return Promise.resolve();
    const exited = new Promise<void>((r) => this.#child.once('close', r));
    // Referenced again: the caller awaits the exit, so it must keep the
    // event loop alive (an idle launcher holds no reference).
    this.#busy();
    this.#child.stdin.end();
    return exited;
  }

  #read(text: string): void {
    this.#buffered += text;
    let newline: number;
    while ((newline = this.#buffered.indexOf('\n')) >= 0) {
      const line = this.#buffered.slice(0, newline);
      this.#buffered = this.#buffered.slice(newline + 1);
      this.#message(line);
    }
  }

  #message(line: string): void {
    const kind = line[0];
    const rest = line.slice(2);
    switch (kind) {
      case 'R':
        this.#canQueue = rest === 'queue';
        this.#onReady?.(true);
        return;
      case 'S':
        if (this.#running === undefined) return;
        this.#running.started = true;
        this.#running.listener.started(Number(rest));
        return;
      case 'N':
        this.#dropped();
        return;
      case 'F':
        this.#settle({kind: 'spawn-error', message: rest}, false);
        return;
      case 'E': {
        const [code = '-', signal = '-'] = rest.split(' ');
        const end: LaunchEnd =
          signal === '-'
            ? {kind: 'exit', code: Number(code)}
            : {kind: 'signal', signal: signalName(Number(signal))};
        this.#settle(end, end.kind === 'exit' && end.code === 0);
        return;
      }
    }
  }

  /**
   * The running job ended (or could not start): the queued one, if any,
   * takes its place, and has begun when this one succeeded.
   */
  #settle(end: LaunchEnd, succeeded: boolean): void {
    const ended = this.#running;
    const next = this.#queued.shift();
    this.#running =
      next === undefined
        ? undefined
        : {listener: next, started: false, begun: succeeded};
    this.#queueChanged();
    ended?.listener.ended(end);
    if (!succeeded) return;
    next?.begun?.();
    if (next !== undefined) this.#last()?.room?.();
  }

  /** The newest job not yet started was dropped by the launcher. */
  #dropped(): void {
    let dropped = this.#queued.pop();
    if (
      dropped === undefined &&
      this.#running !== undefined &&
      !this.#running.started
    ) {
      dropped = this.#running.listener;
      this.#running = undefined;
    }
    this.#queueChanged();
    dropped?.dropped?.();
  }

  #queueChanged(): void {
    if (this.#queued.length === 0) this.#cancelling = false;
    if (!this.busy) this.#idle();
  }

  /** The job sent last, if it has not ended. */
  #last(): LaunchListener | undefined {
    return this.#queued.at(-1) ?? this.#running?.listener;
  }

  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onReady?.(false);
    const running = this.#running;
    const queued = this.#queued.splice(0);
    this.#running = undefined;
    const why = this.#stderr.trim();
    if (running !== undefined && !running.begun) {
      // Its job ahead failed: the launcher was dropping it, not running it.
      running.listener.dropped?.();
    } else {
      running?.listener.ended({
        kind: 'lost',
        message: `the job launcher exited${why === '' ? '' : `: ${why}`}`,
      });
    }
    for (const listener of queued) listener.dropped?.();
  }

  /** Lets the runner exit while this launcher waits for work. */
  #idle(): void {
    this.#child.unref();
    for (const pipe of this.#pipes()) pipe.unref();
  }

  #busy(): void {
    this.#child.ref();
    for (const pipe of this.#pipes()) pipe.ref();
  }

  /** The child's pipes, which are sockets (typed as plain streams). */
  #pipes(): Socket[] {
    const {stdin, stdout, stderr} = this.#child;
    return [stdin, stdout, stderr] as unknown[] as Socket[];
  }
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, n]) => [n, name]),
);

function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `signal ${n}`;
}

/** After this many jobs a pool looks for the cheaper Python launcher. */
const UPGRADE_AFTER = 50;

/** The kinds of launcher program, as NEUROMAKE_LAUNCHER names them. */
const KINDS = ['native', 'perl', 'python'] as const;

type LauncherKind = (typeof KINDS)[number];

function isKind(name: string): name is LauncherKind {
  return (KINDS as readonly string[]).includes(name);
}

/**
 * Launchers for this process, one per job running at once, started on
 * demand and kept for later jobs. Where the build compiled the native
 * launcher (launcher-native.c) and it starts, every launcher runs it: it
 * starts in a millisecond and costs the least per job. Else the first ones
 * run Perl, which starts in milliseconds; once a pool has launched
 * {@link UPGRADE_AFTER} jobs (a run big enough for per-job costs to add
 * up) it starts a Python launcher in the background, which costs less per
 * job (launcher-python.ts); if that works, new launchers run Python and
 * Perl ones are ended as they come back. NEUROMAKE_LAUNCHER=native, =perl
 * or =python in the environment picks one kind from the start, and only
 * that kind.
 *
 * `unavailable` turns true when no launcher could start (none of the
 * three): the caller then spawns jobs itself, as before.
 */
export class LauncherPool {
  readonly #env: NodeJS.ProcessEnv;
  readonly #idle: Launcher[] = [];
  /** What new launchers run: the kind that started last; none yet. */
  #program: LauncherProgram | undefined;
  /** Which kind may run, if the environment picked one. */
  readonly #only: LauncherKind | undefined;
  #launches = 0;
  /** The switch to Python, once begun. */
  #upgrade: Promise<void> | undefined;
  #unavailable = false;
  /**
   * The native launcher is not to be tried: it failed to start (no pidfds,
   * say), or the caller left it out.
   */
  #nativeFailed: boolean;
  /**
   * Settles when the first native launcher is ready or failed: launchers
   * asked for meanwhile wait for that answer instead of each trying.
   */
  #nativeTried: Promise<void> | undefined;
  /** The native launcher to try: the build's unless the caller gave one. */
  readonly #native: () => LauncherProgram | undefined;

  /**
   * `native: false` leaves the native launcher out, as on a machine where
   * the build found no C compiler; a program in its place is tried instead
   * of the build's (both for tests of what the pool does without it).
   */
  constructor(
    env: NodeJS.ProcessEnv,
    options: {native?: false | LauncherProgram} = {},
  ) {
    this.#env = env;
    const {native} = options;
    this.#nativeFailed = native === false;
    this.#native = native ? () => native : nativeLauncher;
    const only = env['NEUROMAKE_LAUNCHER'] ?? '';
    this.#only = isKind(only) ? only : undefined;
  }

  get unavailable(): boolean {
    return this.#unavailable;
  }

  /**
   * An idle launcher at once, or undefined when none is idle (then ask
   * {@link acquire}). Taking one synchronously lets a job that frees a
   * slot start the next one before its own outputs are staged.
   */
  tryAcquire(): Launcher | undefined {
    while (this.#idle.length > 0) {
      const launcher = this.#idle.pop()!;
      if (launcher.alive) {
        this.#counted();
        return launcher;
      }
    }
    return undefined;
  }

  /** An idle, ready launcher, or undefined when none can be started. */
  async acquire(): Promise<Launcher | undefined> {
    const idle = this.tryAcquire();
    if (idle !== undefined) return idle;
    this.#counted();
    if (this.#unavailable) return undefined;
    const launcher = await this.#start();
    if (launcher !== undefined) return launcher;
    this.#unavailable = true;
    return undefined;
  }

  /**
   * Counts a launch; from UPGRADE_AFTER on, the first that finds Perl
   * running looks for Python.
   */
  #counted(): void {
    if (
      ++this.#launches >= UPGRADE_AFTER &&
      this.#upgrade === undefined &&
      this.#only === undefined &&
      this.#program?.name === 'perl'
    ) {
      this.#upgrade = this.#tryPython();
    }
  }

  /**
   * Returns a launcher after its job ended. One that still has a job (one
   * queued behind the job that ended) comes back when that one ends.
   */
  release(launcher: Launcher): void {
    if (!launcher.alive || launcher.busy) return;
    if (this.#idle.includes(launcher)) return;
    if (launcher.program.name === this.#program?.name) {
      this.#idle.push(launcher);
    } else {
      void launcher.close(); // Superseded by the cheaper kind.
    }
  }

  /**
   * Ends every idle launcher and waits until they exited. Waiting, not just
   * closing their input, also makes their CPU time count as this process's
   * children's, as a plain spawn's did.
   */
  async close(): Promise<void> {
    await this.#upgrade;
    await Promise.all(this.#idle.splice(0).map((l) => l.close()));
  }

  /**
   * Starts a launcher of the current kind or, when that cannot start, the
   * next (Python is looked for only then: finding it takes a moment). The
   * native one is tried first, until it failed to start once; while the
   * first one starts, others asked for wait to hear whether it works.
   */
  async #start(): Promise<Launcher | undefined> {
    type Find = () =>
      LauncherProgram | undefined | Promise<LauncherProgram | undefined>;
    const finders: Record<LauncherKind, Find> = {
      native: () => (this.#nativeFailed ? undefined : this.#native()),
      perl: () => PERL_LAUNCHER,
      python: () => pythonLauncher(this.#env),
    };
    const {native, perl, python} = finders;
    const order =
      this.#only !== undefined
        ? [finders[this.#only]]
        : this.#program?.name === 'python'
          ? [() => this.#program, perl]
          : [native, perl, python];
    for (const find of order) {
      const program = await find();
      if (program === undefined) continue;
      const native = program.name === 'native';
      if (native && this.#nativeTried !== undefined) {
        await this.#nativeTried;
        if (this.#nativeFailed) continue;
      }
      const launcher = new Launcher(this.#env, program);
      const ready = launcher.ready();
      if (native) {
        this.#nativeTried ??= ready.then((ok) => {
          if (!ok) this.#nativeFailed = true;
        });
      }
      if (!(await ready)) continue;
      this.#program = program;
      return launcher;
    }
    return undefined;
  }

  async #tryPython(): Promise<void> {
    const program = await pythonLauncher(this.#env);
    if (program === undefined) return;
    const launcher = new Launcher(this.#env, program);
    if (!(await launcher.ready())) return;

    // Python replaces Perl only: a launcher asked for meanwhile may have
    // found Perl unable to start and gone to Python itself.
    if (this.#program?.name !== 'perl') {
      void launcher.close();
      return;
    }
    this.#program = program;
    for (const old of this.#idle.splice(0)) void old.close();
    this.#idle.push(launcher);
  }
}
