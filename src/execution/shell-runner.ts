import {spawn} from 'node:child_process';
import type {Writable} from 'node:stream';

import type {JobFailure} from './job-failure.js';
import {JobLog} from './job-log.js';
import {type LaunchEnd, LauncherPool} from './launcher.js';

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
 * stdout), the runner spawns the shell itself.
 */
export async function runShell(
  options: ShellOptions,
): Promise<JobFailure | undefined> {
  if (options.signal.aborted) return {reason: 'interrupted'};
  const {log} = options;
  if (log instanceof JobLog && launchable(options)) {
    let pool = pools.get(options.baseEnv);
    if (pool === undefined) {
      pool = new LauncherPool(options.baseEnv);
      pools.set(options.baseEnv, pool);
      allPools.add(pool);
    }
    // Note: synchronously when a launcher is idle, so that the job is sent
    // before the caller's other work (the previous job's staging) goes on.
    const launcher = pool.tryAcquire() ?? (await pool.acquire());
    if (launcher !== undefined) {
      try {
        return await new Promise((resolvePromise) => {
          const abort = groupKiller(options.signal);
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
            {
              started: (pid) => abort.know(pid),
              ended: (end) => {
                abort.done();
                if (end.kind === 'lost') abort.abandon();
                resolvePromise(
                  options.signal.aborted
                    ? {reason: 'interrupted'}
                    : failure(end),
                );
              },
            },
          );
        });
      } finally {
        pool.release(launcher);
      }
    }
  }
  return spawnShell(options);
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
  signal.addEventListener('abort', kill, {once: true});
  return {
    know(started: number) {
      pid = started;
      if (signal.aborted) kill();
    },
    /** The job can no longer be watched (after done): stop its group. */
    abandon: kill,
    done() {
      signal.removeEventListener('abort', kill);
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
