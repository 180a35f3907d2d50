import assert from 'node:assert/strict';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  mkdirSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';

import {JobLog} from '../../src/execution/job-log.js';
import {type LaunchEnd, LauncherPool} from '../../src/execution/launcher.js';
import {runShell} from '../../src/execution/shell-runner.js';

/** A scratch directory, removed after the test. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'nm-launcher-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  return dir;
}

/** The environment shell jobs start from in these tests. */
const BASE = {...process.env, NEUROMAKE_RUN_TOKEN: 'launcher-test'};

/** Runs one command the way LocalRunner does; returns failure and log. */
async function run(
  dir: string,
  command: string,
  options: {
    signal?: AbortSignal;
    jobEnv?: Record<string, string>;
    baseEnv?: NodeJS.ProcessEnv;
  } = {},
) {
  const log = new JobLog(join(dir, 'logs', 'job.log'), true);
  log.write(`$ ${command}\n`);
  const failure = await runShell({
    command,
    cwd: dir,
    baseEnv: options.baseEnv ?? BASE,
    jobEnv: options.jobEnv ?? {NEUROMAKE_JOB: 'j'},
    log,
    signal: options.signal ?? new AbortController().signal,
  });
  log.write('after\n');
  await new Promise((r) => log.end(r));
  return {failure, log: readFileSync(log.path, 'utf8')};
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void describe('job launcher', () => {
  void test('exit codes and signals are failures as values', async (t) => {
    const dir = scratch(t);
    assert.equal((await run(dir, 'true')).failure, undefined);
    assert.deepEqual((await run(dir, 'exit 3')).failure, {
      reason: 'exit-non-zero',
      code: 3,
    });
    // An exit code above 128 is a code, not a signal.
    assert.deepEqual((await run(dir, 'exit 137')).failure, {
      reason: 'exit-non-zero',
      code: 137,
    });
    assert.deepEqual((await run(dir, 'kill -KILL $$')).failure, {
      reason: 'killed',
      signal: 'SIGKILL',
    });
    assert.deepEqual((await run(dir, 'kill -TERM $$')).failure, {
      reason: 'killed',
      signal: 'SIGTERM',
    });
  });

  void test('a simple command runs without a shell, with the same errors', async (t) => {
    const dir = scratch(t);
    const missing = await run(dir, 'no-such-command-nm arg');
    assert.deepEqual(missing.failure, {reason: 'exit-non-zero', code: 127});
    assert.match(missing.log, /no-such-command-nm: not found/);
    const copied = await run(dir, 'cp logs/job.log copy.txt');
    assert.equal(copied.failure, undefined);
    assert.match(readFileSync(join(dir, 'copy.txt'), 'utf8'), /^\$ cp /);
  });

  void test('environment, working directory and log', async (t) => {
    const dir = scratch(t);
    const {failure, log} = await run(
      dir,
      'echo "$NEUROMAKE_JOB $NEUROMAKE_RUN_TOKEN $EXTRA"; pwd; echo oops >&2',
      {
        jobEnv: {
          NEUROMAKE_JOB: 'a[x=1]',
          EXTRA: 'it is "quoted"\nand two lines',
        },
      },
    );
    assert.equal(failure, undefined);
    assert.equal(
      log,
      '$ echo "$NEUROMAKE_JOB $NEUROMAKE_RUN_TOKEN $EXTRA"; pwd; echo oops >&2\n' +
        'a[x=1] launcher-test it is "quoted"\nand two lines\n' +
        `${dir}\noops\nafter\n`,
    );
  });

  void test('a missing working directory is a spawn error', async (t) => {
    const dir = scratch(t);
    const log = new JobLog(join(dir, 'job.log'), true);
    log.write('$ true\n');
    const failure = await runShell({
      command: 'true',
      cwd: join(dir, 'nowhere'),
      baseEnv: BASE,
      jobEnv: {},
      log,
      signal: new AbortController().signal,
    });
    await new Promise((r) => log.end(r));
    assert.equal(failure?.reason, 'spawn-error', JSON.stringify(failure));
  });

  void test('abort terminates the whole process group', async (t) => {
    const dir = scratch(t);
    const controller = new AbortController();
    const running = run(dir, 'sleep 30 & echo $! > child.pid; wait', {
      signal: controller.signal,
    });
    const pidFile = join(dir, 'child.pid');
    await waitFor('the child', () => {
      try {
        return readFileSync(pidFile, 'utf8').endsWith('\n');
      } catch {
        return false;
      }
    });
    const child = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(child));
    controller.abort();
    assert.deepEqual((await running).failure, {reason: 'interrupted'});
    await waitFor('the child to die', () => !alive(child));
  });

  void test('a launcher dying mid-job is a failure, and its job is stopped', async (t) => {
    const dir = scratch(t);
    const pool = new LauncherPool(BASE);
    t.after(() => pool.close());
    const launcher = await pool.acquire();
    assert.ok(launcher?.pid !== undefined);
    const log = join(dir, 'job.log');
    let job = 0;
    const ended = await new Promise<LaunchEnd>((resolvePromise) => {
      launcher.launch(
        {command: 'sleep 30', cwd: dir, logPath: log, env: {}},
        {
          started: (pid) => {
            job = pid;
            assert.ok(alive(pid));
            process.kill(launcher.pid!, 'SIGKILL');
          },
          ended: resolvePromise,
        },
      );
    });
    assert.equal(ended.kind, 'lost');
    // The pool's user (runShell) stops a lost job's group; do it here.
    process.kill(-job, 'SIGKILL');
    assert.equal(launcher.alive, false);
  });

  void test('without perl, jobs are spawned directly', async (t) => {
    const dir = scratch(t);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const env = {...BASE, PATH: bin};
    const pool = new LauncherPool(env);
    assert.equal(await pool.acquire(), undefined);
    assert.equal(pool.unavailable, true);
    const {failure, log} = await run(dir, 'echo "$NEUROMAKE_JOB"; exit 4', {
      baseEnv: env,
    });
    assert.deepEqual(failure, {reason: 'exit-non-zero', code: 4});
    assert.equal(log, '$ echo "$NEUROMAKE_JOB"; exit 4\nj\nafter\n');
  });

  void test('a quiet task leaves no log; the first write creates it', async (t) => {
    const dir = scratch(t);
    const path = join(dir, 'logs', 'quiet.log');
    const quiet = new JobLog(path, true);
    await new Promise((r) => quiet.end(r));
    assert.throws(() => readFileSync(path));
    const noisy = new JobLog(path, true);
    noisy.write('hello\n');
    await new Promise((r) => noisy.end(r));
    assert.equal(readFileSync(path, 'utf8'), 'hello\n');
    // A first attempt removes the previous run's log.
    await new Promise((r) => new JobLog(path, true).end(r));
    assert.throws(() => readFileSync(path));
  });
});
