import {spawn} from 'node:child_process';
import type {Writable} from 'node:stream';

import type {Lane} from './action-runner.js';
import type {JobFailure} from './job-failure.js';
import {JobLog} from './job-log.js';
import {
  type LaunchEnd,
  type LaunchListener,
  Launcher,
  LauncherPool,
} from './launcher.js';

/** How long a child may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2000;

/** What {@link runShell} runs, and where. */
export interface ShellOptions {
  readonly command: string;
  readonly cwd: string;
  /** The environment every job shares (the runner's, run token included). */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** What this job adds to it: its id, cpus, GPUs. */
  readonly jobEnv: Readonly<Record<string, string>>;
  readonly log: Writable;
  /** Written to the log before the command's output (`$ command`). */
  readonly header?: string;
  readonly signal: AbortSignal;
  /** Queue the command behind the one on this lane (ActionRequest). */
  readonly behind?: Lane | undefined;
  /** Told the lane the command runs on, if one can be queued behind. */
  readonly onLane?: ((lane: Lane) => void) | undefined;
  /** A command queued behind another begins now. */
  readonly begun?: (() => void) | undefined;
}

/** Launchers by base environment: one set per runner configuration. */
const pools = new WeakMap<NodeJS.ProcessEnv, LauncherPool>();
const allPools = new Set<LauncherPool>();

/**
 * Runs `command` with `sh -c` in its own process group, its stdout and
 * stderr going to the job's log. On abort the whole group is terminated, so
 * a command's own children (a Python script under a shell) stop too.
 *
 * A job whose log is a file ({@link JobLog}) is started by a launcher
 * process (launcher.ts), which is much cheaper than forking the runner;
 * where no launcher can start, or the log is a stream (a compute node's
 * stdout), the runner spawns the shell itself. With `behind`, the command
 * is queued on the launcher of that lane's running job (see Lane), and
 * `not-started` comes back when it never ran.
 */
export async function runShell(
  options: ShellOptions,
): Promise<JobFailure | undefined> {
  if (options.signal.aborted) return {reason: 'interrupted'};
  const {log, behind} = options;
  const usable = log instanceof JobLog && launchable(options);
  if (behind !== undefined) {
    // Note: only a lane of this module queues, and only while still open;
    // otherwise the engine runs the job the ordinary way later.
    if (!usable || !(behind instanceof LauncherLane) || !behind.open) {
      return {reason: 'not-started'};
    }
    return launchOn(behind.launcher, behind.pool, log, options);
  }
  if (usable) {
    let pool = pools.get(options.baseEnv);
    if (pool === undefined) {
      pool = new LauncherPool(options.baseEnv);
      pools.set(options.baseEnv, pool);
      allPools.add(pool);
    }
    // Note: synchronously when a launcher is idle, so that the job is sent
    // before the caller's other work (the previous job's staging) goes on.
    const launcher = pool.tryAcquire() ?? (await pool.acquire());
    if (launcher !== undefined) return launchOn(launcher, pool, log, options);
  }
  return spawnShell(options);
}

/**
 * A running job's launcher, as a lane another job can be queued behind
 * (open while the launcher accepts one behind that very job).
 */
class LauncherLane implements Lane {
  readonly launcher: Launcher;
  readonly pool: LauncherPool;
  readonly #listener: LaunchListener;

  constructor(launcher: Launcher, pool: LauncherPool, job: LaunchListener) {
    this.launcher = launcher;
    this.pool = pool;
    this.#listener = job;
  }

  get open(): boolean {
    return this.launcher.acceptsBehind(this.#listener);
  }

  cancelQueued(): void {
    this.launcher.cancelQueued();
  }
}

/**
 * Runs the command on `launcher`: at once, or queued behind its running
 * job when `options.behind` is set. The launcher goes back to the pool
 * when the job ends, unless a job queued behind still needs it.
 */
async function launchOn(
  launcher: Launcher,
  pool: LauncherPool,
  log: JobLog,
  options: ShellOptions,
): Promise<JobFailure | undefined> {
  const queued = options.behind !== undefined;
  try {
    return await new Promise((resolvePromise) => {
      const abort = groupKiller(options.signal);
      const offerLane = () => {
        if (options.onLane === undefined) return;
        if (!launcher.acceptsBehind(listener)) return;
        options.onLane(new LauncherLane(launcher, pool, listener));
      };
      const listener: LaunchListener = {
        started: (pid) => abort.know(pid),
        ended: (end) => {
          abort.done();
          if (end.kind === 'lost') abort.abandon();
          resolvePromise(
            options.signal.aborted ? {reason: 'interrupted'} : failure(end),
          );
        },
        begun: () => options.begun?.(),
        room: offerLane,
        // Note: not-started even after an abort: the job never ran, and
        // the engine counts it with the jobs a stopped run did not reach.
        dropped: () => {
          abort.done();
          resolvePromise({reason: 'not-started'});
        },
      };
      // Note: the launcher opens the log and writes the header, so a
      // job costs this thread no file operation.
      launcher.launch(
        {
          command: options.command,
          cwd: options.cwd,
          logPath: log.path,
          truncate: log.claim(),
          header: options.header ?? '',
          env: options.jobEnv,
        },
        listener,
        queued,
      );
      offerLane();
    });
  } finally {
    pool.release(launcher);
  }
}

/**
 * Ends this process's idle launchers and waits for them to exit; a later
 * job starts new ones. Called when a run's executors are closed.
 */
export async function closeLaunchers(): Promise<void> {
  await Promise.all([...allPools].map((pool) => pool.close()));
}

/** Fields the launcher's protocol cannot carry go the plain way. */
function launchable(options: ShellOptions): boolean {
  const values = [
    options.command,
    options.cwd,
    options.header ?? '',
    ...Object.values(options.jobEnv),
  ];
  return !values.some((v) => v.includes('\0'));
}

function failure(end: LaunchEnd): JobFailure | undefined {
  switch (end.kind) {
    case 'exit':
      return end.code === 0
        ? undefined
        : {reason: 'exit-non-zero', code: end.code};
    case 'signal':
      return {reason: 'killed', signal: end.signal};
    case 'spawn-error':
    case 'lost':
      return {reason: 'spawn-error', message: end.message};
  }
}

/**
 * What to do on each signal's abort: one listener per signal, however
 * many jobs share it. A listener per job (a run's jobs share its signal)
 * made Node warn of a leak once more than ten ran or waited on launchers.
 */
const onAborts = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `act` when `signal` aborts, until the returned function is called. */
function onAbort(signal: AbortSignal, act: () => void): () => void {
  // Note: as with addEventListener, nothing runs for a signal that
  // aborted already; the caller checks `aborted`.
  if (signal.aborted) return () => undefined;
  let acts = onAborts.get(signal);
  if (acts === undefined) {
    const all = new Set<() => void>();
    acts = all;
    onAborts.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        onAborts.delete(signal);
        for (const each of all) each();
      },
      {once: true},
    );
  }
  const registered = acts;
  registered.add(act);
  return () => registered.delete(act);
}

/**
 * Terminates a job's process group on abort: SIGTERM, then SIGKILL after a
 * grace period. An abort before the group is known (the launcher has not
 * reported the pid yet) is carried out as soon as it is.
 */
function groupKiller(signal: AbortSignal) {
  let pid: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (pid === undefined) return;
    const group = pid;
    signalGroup(group, 'SIGTERM');
    killTimer ??= setTimeout(
      () => signalGroup(group, 'SIGKILL'),
      KILL_GRACE_MS,
    );
    killTimer.unref();
  };
  const forget = onAbort(signal, kill);
  return {
    know(started: number) {
      pid = started;
      if (signal.aborted) kill();
    },
    /** The job can no longer be watched (after done): stop its group. */
    abandon: kill,
    done() {
      forget();
      clearTimeout(killTimer);
      killTimer = undefined;
    },
  };
}

/** The plain way: the runner spawns `sh -c` and pipes its output. */
function spawnShell(options: ShellOptions): Promise<JobFailure | undefined> {
  if (options.header !== undefined) options.log.write(options.header);
  return new Promise((resolvePromise) => {
    const child = spawn('sh', ['-c', options.command], {
      cwd: options.cwd,
      env: {...options.baseEnv, ...options.jobEnv},
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(options.log, {end: false});
    child.stderr.pipe(options.log, {end: false});
    const abort = groupKiller(options.signal);
    if (child.pid !== undefined) abort.know(child.pid);

    child.once('error', (err) => {
      abort.done();
      resolvePromise({reason: 'spawn-error', message: err.message});
    });
    child.once('close', (code, signal) => {
      abort.done();
      if (options.signal.aborted) resolvePromise({reason: 'interrupted'});
      else if (signal !== null) resolvePromise({reason: 'killed', signal});
      else if (code !== 0)
        resolvePromise({reason: 'exit-non-zero', code: code ?? -1});
      else resolvePromise(undefined);
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid addresses the process group of the job's new session.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
