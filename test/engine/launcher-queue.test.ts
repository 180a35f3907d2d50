import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';

import {
  type LaunchEnd,
  type Launcher,
  type LaunchListener,
  LauncherPool,
} from '../../src/execution/launcher.js';
import {scratchDir} from '../rig/fixtures.js';

/** The launchers that can queue jobs: Python (with pidfds) and native. */
const KINDS = ['python', 'native'] as const;

/** A launcher of `kind` that says it can queue, or why there is none. */
async function queueingLauncher(
  kind: (typeof KINDS)[number],
): Promise<{pool: LauncherPool; launcher: Launcher} | string> {
  const pool = new LauncherPool({
    ...process.env,
    NEUROMAKE_RUN_TOKEN: 'launcher-queue-test',
    NEUROMAKE_LAUNCHER: kind,
  });
  const launcher = await pool.acquire();
  if (launcher === undefined) {
    await pool.close();
    return kind === 'python'
      ? 'no Python 3.8 launcher here'
      : 'no native launcher built here (no C compiler?), or no pidfds';
  }
  // Note: a job must be running to ask whether one can wait behind it.
  const dir = mkdtempSync(join(tmpdir(), 'nm-launcher-probe-'));
  const probe = record();
  launcher.launch(spec(dir, 'sleep 0.05'), probe.listener);
  const can = launcher.acceptsBehind(probe.listener);
  await probe.ended;
  pool.release(launcher);
  rmSync(dir, {recursive: true, force: true});
  if (!can) {
    await pool.close();
    return 'no pidfd_open here (Linux 5.3, Python 3.9): jobs are not queued';
  }
  return {pool, launcher};
}

const scratch = (t: TestContext) => scratchDir(t, 'launcher-queue');

function spec(dir: string, command: string) {
  return {
    command,
    cwd: dir,
    logPath: join(dir, 'logs', 'job.log'),
    truncate: false,
    header: '',
    env: {},
  };
}

/** A listener that records what happened to its job, in order. */
function record() {
  const events: string[] = [];
  const pids: number[] = [];
  let end!: (e: LaunchEnd | 'dropped') => void;
  const ended = new Promise<LaunchEnd | 'dropped'>((r) => (end = r));
  const listener: LaunchListener = {
    started: (pid) => {
      pids.push(pid);
      events.push('started');
    },
    ended: (e) => {
      events.push('ended');
      end(e);
    },
    begun: () => events.push('begun'),
    dropped: () => {
      events.push('dropped');
      end('dropped');
    },
    room: () => events.push('room'),
  };
  return {events, pids, ended, listener};
}

for (const kind of KINDS) {
  const setup = await queueingLauncher(kind);
  const skip = typeof setup === 'string' && setup;

  void describe(`job launcher queue (${kind})`, {skip}, () => {
    const {pool, launcher} = setup as Exclude<typeof setup, string>;
    test.after(() => pool.close());

    /** The pool's idle launcher (the same one, as tests run in turn). */
    function take(): Launcher {
      const got = pool.tryAcquire();
      assert.equal(got, launcher);
      return got;
    }

    void test('a queued job starts when the one ahead exits with 0', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      l.launch(spec(dir, 'sleep 0.2; echo a >> order'), a.listener);
      assert.ok(l.acceptsBehind(a.listener));
      l.launch(spec(dir, 'echo b >> order'), b.listener, true);
      assert.equal(l.acceptsBehind(a.listener), false, 'a is not last now');
      assert.ok(l.acceptsBehind(b.listener));

      assert.deepEqual(await a.ended, {kind: 'exit', code: 0});
      assert.deepEqual(await b.ended, {kind: 'exit', code: 0});
      pool.release(l);
      assert.equal(readFileSync(join(dir, 'order'), 'utf8'), 'a\nb\n');
      // b is the last job sent: once it runs, one more can queue behind.
      assert.deepEqual(b.events, ['begun', 'room', 'started', 'ended']);
      assert.equal(l.busy, false);
    });

    void test('a queued job is dropped when the one ahead fails', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      const c = record();
      l.launch(spec(dir, 'sleep 0.1; exit 3'), a.listener);
      l.launch(spec(dir, 'touch b-ran'), b.listener, true);
      l.launch(spec(dir, 'touch c-ran'), c.listener, true);
      assert.equal(l.acceptsBehind(c.listener), false, 'two at most');

      assert.deepEqual(await a.ended, {kind: 'exit', code: 3});
      assert.equal(await b.ended, 'dropped');
      assert.equal(await c.ended, 'dropped');
      pool.release(l);
      assert.equal(existsSync(join(dir, 'b-ran')), false);
      assert.equal(existsSync(join(dir, 'c-ran')), false);
      assert.deepEqual(b.events, ['dropped']);
      assert.equal(l.busy, false);

      // The launcher works on: the next job runs as usual.
      const d = record();
      take().launch(spec(dir, 'touch d-ran'), d.listener);
      assert.deepEqual(await d.ended, {kind: 'exit', code: 0});
      pool.release(l);
      assert.ok(existsSync(join(dir, 'd-ran')));
    });

    void test('a job that cannot start drops the ones queued behind it', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      const c = record();
      l.launch(spec(dir, 'sleep 0.1'), a.listener);
      l.launch(
        {...spec(dir, 'touch b-ran'), cwd: join(dir, 'missing')},
        b.listener,
        true,
      );
      l.launch(spec(dir, 'touch c-ran'), c.listener, true);
      assert.deepEqual(await a.ended, {kind: 'exit', code: 0});
      const bEnd = await b.ended;
      assert.equal(bEnd !== 'dropped' && bEnd.kind, 'spawn-error');
      assert.equal(await c.ended, 'dropped');
      pool.release(l);
      assert.equal(existsSync(join(dir, 'c-ran')), false);
      assert.deepEqual(b.events, ['begun', 'ended']);
    });

    void test('cancel drops the last queued job and leaves the running one', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      const c = record();
      l.launch(spec(dir, 'sleep 0.3; touch a-ran'), a.listener);
      l.launch(spec(dir, 'touch b-ran'), b.listener, true);
      l.launch(spec(dir, 'touch c-ran'), c.listener, true);
      // Note: after the launcher stopped holding a's start (it listens to
      // its input then), so that the cancel is read while a runs.
      await new Promise((r) => setTimeout(r, 100));
      l.cancelQueued();
      // Until the cancel is answered nothing more is queued: the launcher's
      // N could otherwise drop the newcomer instead of c.
      assert.equal(l.acceptsBehind(c.listener), false);
      assert.equal(await c.ended, 'dropped');
      assert.deepEqual(a.events, ['started'], 'a still runs');
      assert.deepEqual(await a.ended, {kind: 'exit', code: 0});
      assert.deepEqual(await b.ended, {kind: 'exit', code: 0});
      pool.release(l);
      assert.ok(existsSync(join(dir, 'a-ran')));
      assert.ok(existsSync(join(dir, 'b-ran')));
      assert.equal(existsSync(join(dir, 'c-ran')), false);
      // b became last when a ended: another could be queued behind it.
      assert.ok(b.events.includes('room'), b.events.join(' '));
    });

    void test('a job queued after the one ahead ended is not the one a cancel drops', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      const c = record();

      // As the engine does, c is queued behind b the moment b is taken for
      // begun (a's end), before anything after that end is read.
      let raced = false;
      const behindB = {
        ...b.listener,
        room: () => {
          raced = true;
          l.launch(spec(dir, 'echo c > c.txt'), c.listener, true);
        },
      };
      l.launch(spec(dir, 'true'), a.listener);

      // This thread busy while a runs and ends: b and a cancel go out
      // after the launcher said a ended, before this side heard it.
      const until = Date.now() + 100;
      while (Date.now() < until) {
        // Busy on purpose.
      }
      l.launch(spec(dir, 'echo b > b.txt'), behindB, true);
      l.cancelQueued();
      await a.ended;

      // Whatever each side dropped, an end that says exit 0 is that job's.
      // (On a loaded machine a may outlast the busy spell: then the cancel
      // drops b the ordinary way, and c is never queued.)
      const jobs = raced
        ? ([
            [b, 'b.txt'],
            [c, 'c.txt'],
          ] as const)
        : ([[b, 'b.txt']] as const);
      for (const [job, file] of jobs) {
        const end = await job.ended;
        if (end !== 'dropped') {
          assert.deepEqual(end, {kind: 'exit', code: 0});
          assert.ok(existsSync(join(dir, file)), `${file}: another job's end`);
        }
      }
      pool.release(l);
    });

    void test('a cancel read as the job ahead ends comes before its end', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      l.launch(spec(dir, 'sleep 0.01'), a.listener);

      // Sent while a is young, when the launcher does not read its input:
      // it reads the queued job and the cancel together when a ends.
      await new Promise((r) => setTimeout(r, 2));
      l.launch(spec(dir, 'touch b-ran'), b.listener, true);
      l.cancelQueued();
      assert.deepEqual(await a.ended, {kind: 'exit', code: 0});
      assert.equal(await b.ended, 'dropped');
      assert.deepEqual(b.events, ['dropped'], 'b was never taken as begun');
      assert.equal(existsSync(join(dir, 'b-ran')), false);
      pool.release(l);
    });

    void test('queued jobs are dropped when the launcher dies', async (t) => {
      const dir = scratch(t);
      const l = take();
      const a = record();
      const b = record();
      l.launch(spec(dir, 'sleep 5'), a.listener);
      l.launch(spec(dir, 'touch b-ran'), b.listener, true);
      await new Promise((r) => setTimeout(r, 100));
      // a's group is left running, as a plain child's would be: stop it.
      t.after(() => {
        for (const pid of a.pids) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      });
      process.kill(l.pid!, 'SIGKILL');
      const aEnd = await a.ended;
      assert.equal(aEnd !== 'dropped' && aEnd.kind, 'lost');
      assert.equal(await b.ended, 'dropped');
      assert.equal(existsSync(join(dir, 'b-ran')), false);
      assert.equal(l.alive, false);
      pool.release(l);
      assert.equal(pool.tryAcquire(), undefined, 'a dead launcher is dropped');
    });
  });
}
