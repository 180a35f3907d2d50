import assert from 'node:assert/strict';
import {fork, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, test, type TestContext} from 'node:test';

import {lockWorkspace} from '../../src/cache/workspace-lock.js';

const lockModule = fileURLToPath(
  new URL('../../src/cache/workspace-lock.js', import.meta.url),
);

/**
 * A child that, for each round it is sent, sleeps until the round's start
 * time, tries the lock without waiting, reports whether it got it, and
 * holds it until told to release. Sleeping rather than spinning: with more
 * children than cores, spinners starve one another and reach the lock one
 * by one, while timers wake them together, and with the old code two of
 * them then got the lock in about one round in ten.
 */
const CHILD = `
import {lockWorkspace} from ${JSON.stringify(lockModule)};
let held;
process.on('message', async (m) => {
  if (m.type === 'release') {
    held?.release();
    held = undefined;
    process.send({type: 'released'});
    return;
  }
  await new Promise((r) => setTimeout(r, m.at - Date.now()));
  const r = await lockWorkspace(m.stateDir, {wait: false});
  if (r.ok) held = r;
  process.send({type: 'result', got: r.ok});
});
process.send({type: 'ready'});
`;

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'nm-lock-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(pid !== undefined);
  return pid;
}

/** A lock file as a runner killed with -9 leaves it. */
function staleLock(pid: number): string {
  return JSON.stringify({
    pid,
    host: hostname(),
    since: new Date().toISOString(),
  });
}

function nextMessage(child: ChildProcess, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: {type: string}) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`lock child exited (${code}) awaiting ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

void describe('the workspace lock', () => {
  void test('exactly one of many processes takes over a stale lock at once', async (t) => {
    const dir = tempDir(t);
    const script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
    const children = Array.from({length: 12}, () =>
      fork(script, [], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']}),
    );
    t.after(() => {
      for (const child of children) child.kill();
    });
    await Promise.all(children.map((c) => nextMessage(c, 'ready')));

    const dead = deadPid();
    const holders: number[] = [];
    for (let round = 0; round < 60; round++) {
      const stateDir = join(dir, `state-${round}`);
      mkdirSync(stateDir);
      const lockPath = join(stateDir, 'lock');
      writeFileSync(lockPath, staleLock(dead));

      const results = children.map(
        (c) => nextMessage(c, 'result') as Promise<{got: boolean}>,
      );
      const at = Date.now() + 20;
      for (const child of children) child.send({at, stateDir});
      const got = (await Promise.all(results)).filter((r) => r.got).length;
      holders.push(got);

      const released = children.map((c) => nextMessage(c, 'released'));
      for (const child of children) child.send({type: 'release'});
      await Promise.all(released);
      // Nothing is left behind: no lock, no guard, no temporary file.
      assert.deepEqual(readdirSync(stateDir), [], `round ${round}`);
    }
    assert.deepEqual(
      holders,
      holders.map(() => 1),
      'holders of the lock in each round',
    );
  });

  void test('release() leaves alone a lock that another holder now owns', async (t) => {
    const stateDir = tempDir(t);
    const lockPath = join(stateDir, 'lock');
    const first = await lockWorkspace(stateDir, {wait: false});
    assert.ok(first.ok);
    first.release();
    assert.equal(existsSync(lockPath), false);

    const second = await lockWorkspace(stateDir, {wait: false});
    assert.ok(second.ok);
    const owned = readFileSync(lockPath, 'utf8');
    // A late or repeated release of the first lock must not free the
    // second one.
    first.release();
    assert.equal(readFileSync(lockPath, 'utf8'), owned);
    const third = await lockWorkspace(stateDir, {wait: false});
    assert.equal(third.ok, false, 'the second lock was freed');

    // Nor may it delete a lock put in its place by someone else.
    second.release();
    const other = JSON.stringify({pid: 4242, host: 'elsewhere', since: 'noon'});
    writeFileSync(lockPath, other);
    second.release();
    assert.equal(readFileSync(lockPath, 'utf8'), other);
  });

  void test('a stale lock is taken over even if a taker died mid-takeover', async (t) => {
    const stateDir = tempDir(t);
    const stale = staleLock(deadPid());
    writeFileSync(join(stateDir, 'lock'), stale);
    // The guard a taker holds while it removes that stale lock, left
    // behind because the taker was killed too.
    const digest = createHash('sha256').update(stale).digest('hex');
    writeFileSync(
      join(stateDir, `lock.reap-${digest.slice(0, 16)}`),
      staleLock(deadPid()),
    );
    const lock = await lockWorkspace(stateDir, {wait: false});
    assert.ok(lock.ok, 'the workspace stayed locked');
    lock.release();
    assert.deepEqual(readdirSync(stateDir), []);
  });

  void test('a live owner is reported and, with wait, waited for', async (t) => {
    const stateDir = tempDir(t);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    t.after(() => live.kill());
    const pid = live.pid;
    assert.ok(pid !== undefined);
    const owner = JSON.stringify({pid, host: hostname(), since: 'noon'});
    writeFileSync(join(stateDir, 'lock'), owner);
    const busy = await lockWorkspace(stateDir, {wait: false});
    assert.deepEqual(busy, {
      ok: false,
      error: {reason: 'workspace-busy', pid, host: hostname(), since: 'noon'},
    });

    const waits: number[] = [];
    const waiting = lockWorkspace(stateDir, {
      wait: true,
      pollMs: 10,
      onWait: (o) => waits.push(o.pid),
    });
    setTimeout(() => rmSync(join(stateDir, 'lock')), 100);
    const lock = await waiting;
    assert.ok(lock.ok);
    assert.deepEqual(waits, [pid]);
    lock.release();
  });

  void test("a lock naming this process's pid that it did not write is stale", async (t) => {
    // A dead run's lock whose pid came round again: a container's
    // entrypoint gets the same low pid after a restart.
    const stateDir = tempDir(t);
    writeFileSync(
      join(stateDir, 'lock'),
      JSON.stringify({pid: process.pid, host: hostname(), since: 'boot'}),
    );
    const lock = await lockWorkspace(stateDir, {wait: false});
    assert.ok(lock.ok, 'the lock of the earlier incarnation was taken over');

    // The lock this process holds still keeps it (and others) out.
    const again = await lockWorkspace(stateDir, {wait: false});
    assert.equal(again.ok, false);
    lock.release();
    assert.equal(existsSync(join(stateDir, 'lock')), false);
  });
});
