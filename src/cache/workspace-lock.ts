import {createHash, randomBytes} from 'node:crypto';
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
 * What to tell someone whose run found the workspace locked: wait, or,
 * for a lock taken on another machine (whose processes cannot be checked
 * from here, so it is never taken over), how to clear it if that run is
 * gone.
 */
export function busyHint(
  busy: LockBusy,
  stateDir: string,
  wait: string,
): string {
  if (busy.host === hostname() || busy.host === '?') return wait;
  return `${wait}; the lock was taken on ${busy.host}, whose processes cannot be checked from here: if no neuromake runs there any more (a stopped container or node), delete ${join(stateDir, 'lock')}`;
}

/**
 * The live run holding the workspace, if any, without taking the lock:
 * for `status`, whose verdicts lag behind the jobs such a run has yet to
 * record.
 */
export function lockOwner(stateDir: string): LockBusy | undefined {
  const seen = readLock(join(stateDir, 'lock'));
  const owner = seen === undefined ? undefined : parseOwner(seen);
  if (owner === undefined || seen === undefined || !isAlive(owner, seen)) {
    return undefined;
  }
  return {reason: 'workspace-busy', ...owner};
}

/** Lock contents this process wrote and holds (its pid is its own). */
const held = new Set<string>();

interface Owner {
  pid: number;
  host: string;
  since: string;
}

type Taken = {ok: true; release: () => void};
/** `takeover`: another process is taking over a stale lock right now. */
type Refused = {ok: false; error: LockBusy; takeover: boolean};

/** How often, and for how long, to look again while another takes over. */
const TAKEOVER_POLL_MS = 5;
const TAKEOVER_PATIENCE_MS = 2000;
/** Guards of guards are only needed when takers die mid-takeover. */
const MAX_GUARD_DEPTH = 4;

/**
 * One run per workspace at a time: `.neuromake/lock` holds the owner's pid
 * and a nonce. A lock whose process is gone (the runner was killed with -9)
 * is stale and taken over, by exactly one of the processes that find it.
 * With `wait`, polls until the owner finishes.
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
  let contendedSince: number | undefined;
  for (;;) {
    const taken = tryTake(path, path, 0);
    if (taken.ok) return taken;
    // Another process is replacing a stale lock: in a moment the lock is
    // either ours to take or held by a live winner, which is what a busy
    // report should name (not the dead owner).
    contendedSince = taken.takeover
      ? (contendedSince ?? Date.now())
      : undefined;
    if (
      contendedSince !== undefined &&
      Date.now() - contendedSince < TAKEOVER_PATIENCE_MS
    ) {
      await sleep(TAKEOVER_POLL_MS);
      continue;
    }
    if (!options.wait) return {ok: false, error: taken.error};
    if (!waiting) options.onWait?.(taken.error);
    waiting = true;
    await sleep(options.pollMs ?? 200);
  }
}

/**
 * Tries once to hold `path`, a lock file (the workspace lock, or a guard
 * used while taking over a stale one; `base` is the workspace lock, after
 * which guards are named).
 */
function tryTake(path: string, base: string, depth: number): Taken | Refused {
  const mine = lockContent();
  const taken: Taken = {ok: true, release: () => releaseLock(path, mine)};
  // A few rounds: the lock can vanish (released, or removed as stale)
  // between our failed create and our read of it.
  for (let round = 0; round < 3; round++) {
    if (createLock(path, mine)) return taken;
    const seen = readLock(path);
    if (seen === undefined) continue;
    const owner = parseOwner(seen);
    if (owner !== undefined && isAlive(owner, seen)) {
      return refused(owner, false);
    }
    if (!removeStale(path, seen, base, depth)) return refused(owner, true);
  }
  return refused(parseOwner(readLock(path) ?? ''), true);
}

/**
 * Removes the lock at `path` if it still holds `seen`, the content of a
 * stale lock. False if another process is removing it right now.
 *
 * Removing by name is not atomic with the check that the file is the stale
 * one: between a taker's read and its `rm`, another taker may have removed
 * the stale lock and created a live one, which the `rm` would then delete
 * (two runs holding the lock). So takers first take a guard named after
 * the stale content, itself a lock file created exclusively: only the
 * guard's holder removes a lock with that content, and while it exists no
 * one can create another, so a lock that holds `seen` after the guard is
 * taken holds it until the holder removes it. Lock contents are unique
 * (a nonce, and a dead pid never writes again), so a slow taker that saw
 * the same content earlier finds it changed and leaves the new lock alone.
 * A guard whose holder died is stale like any lock, and is taken over the
 * same way, by a guard of its own. (A taker killed just after removing the
 * stale lock leaves its guard behind: harmless, as no lock with that
 * content will exist again.)
 */
function removeStale(
  path: string,
  seen: string,
  base: string,
  depth: number,
): boolean {
  if (depth >= MAX_GUARD_DEPTH) return false;
  const digest = createHash('sha256').update(seen).digest('hex');
  const guard = tryTake(`${base}.reap-${digest.slice(0, 16)}`, base, depth + 1);
  if (!guard.ok) return false;
  try {
    if (readLock(path) === seen) rmSync(path, {force: true});
  } finally {
    guard.release();
  }
  return true;
}

/**
 * Deletes our lock, and only ours: a lock we no longer hold (released
 * twice, or deleted by hand and taken by another run) is left alone. The
 * read and the delete are two steps, but nothing replaces a live owner's
 * lock in between: only its owner or, once it is dead, a stale-lock taker
 * removes it.
 */
function releaseLock(path: string, mine: string): void {
  if (readLock(path) === mine) rmSync(path, {force: true});
  held.delete(mine);
}

function lockContent(): string {
  return JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  });
}

/**
 * Creates the lock file with its content in one step: the content goes to
 * a private file that is then hard-linked to the lock's name, which fails
 * if the lock exists. A reader therefore never sees an empty lock (which it
 * would take for a stale one).
 */
function createLock(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, content);
  try {
    linkSync(temp, path);
    held.add(content);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, {force: true});
  }
}

/** The lock's raw content; undefined if there is none. */
function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseOwner(content: string): Owner | undefined {
  try {
    const owner = JSON.parse(content) as Partial<Owner> | null;
    return typeof owner?.pid === 'number' && typeof owner.host === 'string'
      ? {pid: owner.pid, host: owner.host, since: owner.since ?? '?'}
      : undefined;
  } catch {
    return undefined;
  }
}

function refused(owner: Owner | undefined, takeover: boolean): Refused {
  return {
    ok: false,
    takeover,
    error: {
      reason: 'workspace-busy',
      pid: owner?.pid ?? 0,
      host: owner?.host ?? '?',
      since: owner?.since ?? '?',
    },
  };
}

function isAlive(owner: {pid: number; host: string}, content: string): boolean {
  // A lock from another host (a shared file system) cannot be probed;
  // treat it as alive rather than risk two runs in one workspace.
  if (owner.host !== hostname()) return true;
  // Note: our own pid in a lock we did not write is a dead run's, whose
  // pid came round again (a container's entrypoint after a restart).
  if (owner.pid === process.pid) return held.has(content);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
