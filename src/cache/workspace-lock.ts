import {randomBytes} from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {hostname} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

/** Why the workspace could not be locked. */
export interface LockBusy {
  readonly reason: 'workspace-busy';
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * One run per workspace at a time: `.neuromake/lock` holds the owner's pid.
 * A lock whose process is gone (the runner was killed with -9) is stale and
 * taken over. With `wait`, polls until the owner finishes.
 */
export async function lockWorkspace(
  stateDir: string,
  options: {
    readonly wait: boolean;
    readonly pollMs?: number;
    /** Called once when the lock is busy and we start waiting. */
    readonly onWait?: (owner: LockBusy) => void;
  },
): Promise<{ok: true; release: () => void} | {ok: false; error: LockBusy}> {
  mkdirSync(stateDir, {recursive: true});
  const path = join(stateDir, 'lock');
  let waiting = false;
  for (;;) {
    const taken = tryTake(path);
    if (taken.ok) return taken;
    if (!options.wait) return taken;
    if (!waiting) options.onWait?.(taken.error);
    waiting = true;
    await sleep(options.pollMs ?? 200);
  }
}

function tryTake(
  path: string,
): {ok: true; release: () => void} | {ok: false; error: LockBusy} {
  const release = () => rmSync(path, {force: true});
  if (createLock(path)) return {ok: true, release};
  const owner = readOwner(path);
  if (owner !== undefined && isAlive(owner)) {
    return {ok: false, error: {reason: 'workspace-busy', ...owner}};
  }

  // Stale: the owner died without releasing. Remove and retry once; if
  // another process wins that race, the retry reports it as busy.
  rmSync(path, {force: true});
  if (createLock(path)) return {ok: true, release};
  const now = readOwner(path);
  return {
    ok: false,
    error: {
      reason: 'workspace-busy',
      pid: now?.pid ?? 0,
      host: now?.host ?? '?',
      since: now?.since ?? '?',
    },
  };
}

/**
 * Creates the lock file with its content in one step: the content goes to
 * a private file that is then hard-linked to the lock's name, which fails
 * if the lock exists. A reader therefore never sees an empty lock (which it
 * would take for a stale one).
 */
function createLock(path: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(
    temp,
    JSON.stringify({
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    }),
  );
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, {force: true});
  }
}

function readOwner(
  path: string,
): {pid: number; host: string; since: string} | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as {
      pid: number;
      host: string;
      since: string;
    };
  } catch {
    return undefined;
  }
}

function isAlive(owner: {pid: number; host: string}): boolean {
  // A lock from another host (a shared file system) cannot be probed;
  // treat it as alive rather than risk two runs in one workspace.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
