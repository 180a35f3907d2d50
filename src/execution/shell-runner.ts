import {spawn} from 'node:child_process';
import type {WriteStream} from 'node:fs';

import type {JobFailure} from './job-failure.js';

/** How long a child may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * Runs `command` with `sh -c` in its own process group, streaming stdout
 * and stderr to the job's log. On abort the whole group is terminated, so a
 * command's own children (a Python script under a shell) stop too.
 */
export function runShell(options: {
  readonly command: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: WriteStream;
  readonly signal: AbortSignal;
}): Promise<JobFailure | undefined> {
  return new Promise((resolvePromise) => {
    if (options.signal.aborted) {
      resolvePromise({reason: 'interrupted'});
      return;
    }
    const child = spawn('sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(options.log, {end: false});
    child.stderr.pipe(options.log, {end: false});

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(
        () => signalGroup(child.pid, 'SIGKILL'),
        KILL_GRACE_MS,
      );
      killTimer.unref();
    };
    options.signal.addEventListener('abort', onAbort, {once: true});

    child.once('error', (err) => {
      options.signal.removeEventListener('abort', onAbort);
      resolvePromise({reason: 'spawn-error', message: err.message});
    });
    child.once('close', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (options.signal.aborted) resolvePromise({reason: 'interrupted'});
      else if (signal !== null) resolvePromise({reason: 'killed', signal});
      else if (code !== 0)
        resolvePromise({reason: 'exit-non-zero', code: code ?? -1});
      else resolvePromise(undefined);
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // A negative pid addresses the process group that `detached` created.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
