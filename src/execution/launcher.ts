import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import type {Socket} from 'node:net';
import {constants} from 'node:os';

import {LAUNCHER_SCRIPT} from './launcher-script.js';

/** What a launched job needs besides its command. */
export interface LaunchSpec {
  readonly command: string;
  readonly cwd: string;
  /** Appended to: the job's stdout and stderr go here. */
  readonly logPath: string;
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
}

/**
 * One launcher process (see launcher-script.ts), running at most one job at
 * a time. While idle it holds no reference on the event loop, so a runner
 * that is done exits, and the launcher with it (end of its stdin).
 */
export class Launcher {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #ready: Promise<boolean>;
  #buffered = '';
  #stderr = '';
  #dead = false;
  #listener: LaunchListener | undefined;
  #onReady: ((ok: boolean) => void) | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.#ready = new Promise((r) => (this.#onReady = r));
    // Note: detached gives the launcher its own process group, so that
    // killing an orphaned launcher's group (cleanPending) hits nothing else.
    this.#child = spawn('perl', ['-e', LAUNCHER_SCRIPT], {
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
      if (this.#listener === undefined) this.#idle();
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

  /** Sends one job; the launcher must be ready and idle. */
  launch(spec: LaunchSpec, listener: LaunchListener): void {
    if (this.#listener !== undefined) {
      throw new Error('Internal error: launcher already busy');
    }
    this.#listener = listener;
    this.#busy();
    const fields = [spec.cwd, spec.logPath, spec.command];
    for (const [name, value] of Object.entries(spec.env)) {
      fields.push(`${name}=${value}`);
    }
    const payload = Buffer.from(fields.join('\0'));
    // One write: the launcher wakes once per job.
    this.#child.stdin.write(
      Buffer.concat([Buffer.from(`${payload.length}\n`), payload]),
    );
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
    if (kind === 'R') {
      this.#onReady?.(true);
      return;
    }
    const listener = this.#listener;
    if (listener === undefined) return;
    if (kind === 'S') {
      listener.started(Number(rest));
      return;
    }
    this.#listener = undefined;
    this.#idle();
    if (kind === 'F') {
      listener.ended({kind: 'spawn-error', message: rest});
      return;
    }
    const [code = '-', signal = '-'] = rest.split(' ');
    listener.ended(
      signal === '-'
        ? {kind: 'exit', code: Number(code)}
        : {kind: 'signal', signal: signalName(Number(signal))},
    );
  }

  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onReady?.(false);
    const listener = this.#listener;
    this.#listener = undefined;
    const why = this.#stderr.trim();
    listener?.ended({
      kind: 'lost',
      message: `the job launcher exited${why === '' ? '' : `: ${why}`}`,
    });
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

/**
 * Launchers for this process, one per job running at once, started on
 * demand and kept for later jobs. `unavailable` turns true when one could
 * not start (no perl): the caller then spawns jobs itself, as before.
 */
export class LauncherPool {
  readonly #env: NodeJS.ProcessEnv;
  readonly #idle: Launcher[] = [];
  #unavailable = false;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  get unavailable(): boolean {
    return this.#unavailable;
  }

  /** An idle, ready launcher, or undefined when none can be started. */
  async acquire(): Promise<Launcher | undefined> {
    while (this.#idle.length > 0) {
      const launcher = this.#idle.pop()!;
      if (launcher.alive) return launcher;
    }
    if (this.#unavailable) return undefined;
    const launcher = new Launcher(this.#env);
    if (await launcher.ready()) return launcher;
    this.#unavailable = true;
    return undefined;
  }

  /** Returns a launcher after its job ended. */
  release(launcher: Launcher): void {
    if (launcher.alive) this.#idle.push(launcher);
  }

  /**
   * Ends every idle launcher and waits until they exited. Waiting, not just
   * closing their input, also makes their CPU time count as this process's
   * children's, as a plain spawn's did.
   */
  async close(): Promise<void> {
    await Promise.all(this.#idle.splice(0).map((l) => l.close()));
  }
}
