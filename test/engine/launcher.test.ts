import assert from 'node:assert/strict';
import {getEventListeners} from 'node:events';
import {
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  mkdirSync,
  writeFileSync,
} from 'node:fs';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {describe, test, type TestContext} from 'node:test';

import {JobLog} from '../../src/execution/job-log.js';
import {
  type LaunchEnd,
  type Launcher,
  LauncherPool,
  type LaunchSpec,
} from '../../src/execution/launcher.js';
import {nativeLauncher} from '../../src/execution/launcher-native.js';
import {pythonLauncher} from '../../src/execution/launcher-python.js';
import {runShell} from '../../src/execution/shell-runner.js';
import {scratchDir} from '../rig/fixtures.js';

const scratch = (t: TestContext) => scratchDir(t, 'launcher');

/** The environment shell jobs start from in these tests. */
const BASE = {...process.env, NEUROMAKE_RUN_TOKEN: 'launcher-test'};

/** Where this machine has no Python launcher, its tests are skipped. */
const NO_PYTHON =
  (await pythonLauncher(BASE)) === undefined && 'no Python 3.8 here';

/** Where the build compiled no native launcher, its tests are skipped. */
const NO_NATIVE =
  nativeLauncher() === undefined &&
  'no native launcher built here (no C compiler?)';

/** Every kind of launcher, each picked by the environment. */
const KINDS = [
  {
    kind: 'native',
    skip: NO_NATIVE,
    base: {...BASE, NEUROMAKE_LAUNCHER: 'native'},
  },
  {kind: 'perl', skip: false, base: {...BASE, NEUROMAKE_LAUNCHER: 'perl'}},
  {
    kind: 'python',
    skip: NO_PYTHON,
    base: {...BASE, NEUROMAKE_LAUNCHER: 'python'},
  },
] as const;

/** Runs one command the way LocalRunner does; returns failure and log. */
async function run(
  baseEnv: NodeJS.ProcessEnv,
  dir: string,
  command: string,
  options: {
    signal?: AbortSignal;
    jobEnv?: Record<string, string>;
    /** Which attempt: the first replaces an earlier log. */
    attempt?: number;
  } = {},
) {
  const log = new JobLog(join(dir, 'logs', 'job.log'), options.attempt !== 2);
  const failure = await runShell({
    command,
    header: `$ ${command}\n`,
    cwd: dir,
    baseEnv,
    jobEnv: options.jobEnv ?? {NEUROMAKE_JOB: 'j'},
    log,
    signal: options.signal ?? new AbortController().signal,
  });
  log.write('after\n');
  await new Promise((r) => log.end(r));
  return {failure, log: readFileSync(log.path, 'utf8')};
}

/**
 * Launches one job straight on `launcher` and waits for its end; the log
 * defaults to `job.log` in its cwd, appended to, with no header.
 */
function launchOne(
  launcher: Launcher,
  spec: Pick<LaunchSpec, 'command' | 'cwd'> & Partial<LaunchSpec>,
  started: (pid: number) => void = () => undefined,
): Promise<LaunchEnd> {
  return new Promise((ended) =>
    launcher.launch(
      {
        logPath: join(spec.cwd, 'job.log'),
        truncate: false,
        header: '',
        env: {},
        ...spec,
      },
      {started, ended},
    ),
  );
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

/**
 * Two directories first on PATH, bin1 then bin2, a way to put a `tool-nm`
 * script that says `says` into either, and a check of which one a job
 * running `tool-nm` found.
 */
function twoBins(dir: string, base: NodeJS.ProcessEnv) {
  const [first, second] = [join(dir, 'bin1'), join(dir, 'bin2')];
  mkdirSync(first);
  mkdirSync(second);
  const tool = (where: string, says: string) =>
    writeFileSync(join(where, 'tool-nm'), `#!/bin/sh\necho ${says}\n`, {
      mode: 0o755,
    });
  const env = {
    ...base,
    PATH: `${first}:${second}:${process.env['PATH'] ?? ''}`,
  };
  const ran = async (says: string) =>
    assert.equal(
      (await run(env, dir, 'tool-nm')).log,
      `$ tool-nm\n${says}\nafter\n`,
    );
  return {first, second, tool, ran};
}

for (const {kind, skip, base} of KINDS) {
  void describe(`job launcher (${kind})`, {skip}, () => {
    void test('exit codes and signals are failures as values', async (t) => {
      const dir = scratch(t);
      assert.equal((await run(base, dir, 'true')).failure, undefined);
      assert.deepEqual((await run(base, dir, 'exit 3')).failure, {
        reason: 'exit-non-zero',
        code: 3,
      });
      // An exit code above 128 is a code, not a signal.
      assert.deepEqual((await run(base, dir, 'exit 137')).failure, {
        reason: 'exit-non-zero',
        code: 137,
      });
      assert.deepEqual((await run(base, dir, 'kill -KILL $$')).failure, {
        reason: 'killed',
        signal: 'SIGKILL',
      });
      assert.deepEqual((await run(base, dir, 'kill -TERM $$')).failure, {
        reason: 'killed',
        signal: 'SIGTERM',
      });
    });

    void test('a simple command runs without a shell, with the same errors', async (t) => {
      const dir = scratch(t);
      const missing = await run(base, dir, 'no-such-command-nm arg');
      assert.deepEqual(missing.failure, {reason: 'exit-non-zero', code: 127});
      assert.match(missing.log, /no-such-command-nm: not found/);
      const copied = await run(base, dir, 'cp logs/job.log copy.txt');
      assert.equal(copied.failure, undefined);
      assert.match(readFileSync(join(dir, 'copy.txt'), 'utf8'), /^\$ cp /);
    });

    void test('environment, working directory and log', async (t) => {
      const dir = scratch(t);
      const {failure, log} = await run(
        base,
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
        baseEnv: base,
        jobEnv: {},
        log,
        signal: new AbortController().signal,
      });
      await new Promise((r) => log.end(r));
      assert.equal(failure?.reason, 'spawn-error', JSON.stringify(failure));
    });

    void test('a very long error message ends its line', async (t) => {
      const dir = scratch(t);

      // Longer than any fixed buffer: the message must still end in a
      // newline, or it would swallow the next job's messages.
      const far = join(dir, 'x'.repeat(250), 'y'.repeat(250)).repeat(10);
      const log = new JobLog(join(dir, 'job.log'), true);
      const failure = await runShell({
        command: 'true',
        cwd: far,
        baseEnv: base,
        jobEnv: {},
        log,
        signal: new AbortController().signal,
      });
      await new Promise((r) => log.end(r));
      assert.equal(failure?.reason, 'spawn-error');
      assert.ok(
        failure?.reason === 'spawn-error' && failure.message.length > 4096,
      );
      assert.equal((await run(base, dir, 'true')).failure, undefined);
    });

    void test('abort terminates the whole process group', async (t) => {
      const dir = scratch(t);
      const controller = new AbortController();
      const running = run(base, dir, 'sleep 30 & echo $! > child.pid; wait', {
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

    void test('jobs sharing a signal add one abort listener; an abort stops them all', async (t) => {
      const dir = scratch(t);
      const controller = new AbortController();
      // Note: should an assertion fail, the abort still stops every job.
      t.after(() => controller.abort());
      const {signal} = controller;
      // Half through launchers (a file log), half spawned (a stream log).
      const start = (command: string, from: number, count: number) =>
        Array.from({length: count}, (_, i) => {
          const job = `j${from + i}`;
          const log =
            i % 2 === 0
              ? new JobLog(join(dir, 'logs', `${job}.log`), true)
              : new PassThrough().resume();
          return runShell({
            command: `touch started-${job}; ${command}`,
            cwd: dir,
            baseEnv: base,
            jobEnv: {NEUROMAKE_JOB: job},
            log,
            signal,
          });
        });
      const started = (count: number) =>
        waitFor(`${count} jobs to start`, () => {
          const files = readdirSync(dir).filter((f) => f.startsWith('started'));
          return files.length === count;
        });
      const listeners = () => getEventListeners(signal, 'abort').length;

      const gated = start('while [ ! -e gate ]; do sleep 0.02; done', 0, 24);
      await started(24);
      assert.equal(listeners(), 1, '24 running jobs, one abort listener');
      writeFileSync(join(dir, 'gate'), '');
      for (const failure of await Promise.all(gated)) {
        assert.equal(failure, undefined);
      }
      assert.ok(listeners() <= 1, 'the jobs ended, their kills are gone');

      const sleeping = start('sleep 30', 24, 12);
      await started(36);
      assert.equal(listeners(), 1);
      controller.abort();
      for (const failure of await Promise.all(sleeping)) {
        assert.deepEqual(failure, {reason: 'interrupted'});
      }
    });

    void test('a launcher dying mid-job is a failure, and its job is stopped', async (t) => {
      const dir = scratch(t);
      const pool = new LauncherPool(base);
      t.after(() => pool.close());
      const launcher = await pool.acquire();
      assert.ok(launcher?.pid !== undefined);
      const log = join(dir, 'job.log');
      let job = 0;
      const ended = await launchOne(
        launcher,
        {command: 'sleep 30', cwd: dir, logPath: log, truncate: true},
        (pid) => {
          job = pid;
          assert.ok(alive(pid));
          process.kill(launcher.pid!, 'SIGKILL');
        },
      );
      assert.equal(ended.kind, 'lost');
      // The pool's user (runShell) stops a lost job's group; do it here.
      process.kill(-job, 'SIGKILL');
      assert.equal(launcher.alive, false);
    });

    void test('the log starts with the header; a first attempt replaces it', async (t) => {
      const dir = scratch(t);
      mkdirSync(join(dir, 'logs'));
      writeFileSync(join(dir, 'logs', 'job.log'), 'an earlier run\n');
      const first = await run(base, dir, 'echo one');
      assert.equal(first.log, '$ echo one\none\nafter\n');
      const retry = await run(base, dir, 'echo two', {attempt: 2});
      assert.equal(
        retry.log,
        '$ echo one\none\nafter\n$ echo two\ntwo\nafter\n',
      );
    });

    void test('launchers racing to create the log directory all succeed', async (t) => {
      const dir = scratch(t);
      const pool = new LauncherPool({...base});
      t.after(() => pool.close());
      const launchers = await Promise.all(
        Array.from({length: 8}, () => pool.acquire()),
      );
      const ends = await Promise.all(
        launchers.map((launcher, i) => {
          assert.ok(launcher !== undefined);
          return launchOne(launcher, {
            command: 'true',
            cwd: dir,
            logPath: join(dir, 'new', 'logs', `${i}.log`),
            truncate: true,
            header: `$ true ${i}\n`,
          });
        }),
      );
      for (const launcher of launchers) pool.release(launcher!);
      assert.deepEqual(
        ends,
        launchers.map(() => ({kind: 'exit', code: 0})),
      );
    });

    void test('a simple command sees PWD and the job variables', async (t) => {
      const dir = scratch(t);
      const direct = await run(base, dir, 'printenv PWD NEUROMAKE_JOB', {
        jobEnv: {NEUROMAKE_JOB: 'k'},
      });
      assert.equal(direct.failure, undefined);
      assert.equal(
        direct.log,
        `$ printenv PWD NEUROMAKE_JOB\n${dir}\nk\nafter\n`,
      );
      // An assignment first is shell syntax: sh runs it.
      const assigned = await run(base, dir, 'A=5 printenv A');
      assert.equal(assigned.log, '$ A=5 printenv A\n5\nafter\n');
    });

    void test('a program that moved is found again', async (t) => {
      const dir = scratch(t);
      const {first, second, tool, ran} = twoBins(dir, base);
      tool(first, 'one');
      await ran('one');

      // The same launcher runs the next job (the pool keeps it).
      rmSync(join(first, 'tool-nm'));
      tool(second, 'two');
      await ran('two');
    });

    void test('a program that appears earlier on PATH is found', async (t) => {
      const dir = scratch(t);
      const {first, second, tool, ran} = twoBins(dir, base);
      tool(second, 'two');
      await ran('two');

      // Made by an earlier job, say (a virtualenv's bin/).
      tool(first, 'one');
      await ran('one');
    });

    void test('a missing log directory is created', async (t) => {
      const dir = scratch(t);
      const {failure, log} = await run(base, dir, 'cp logs/job.log copy.txt');
      assert.equal(failure, undefined);
      assert.equal(log, '$ cp logs/job.log copy.txt\nafter\n');
      assert.equal(
        readFileSync(join(dir, 'copy.txt'), 'utf8'),
        '$ cp logs/job.log copy.txt\n',
      );
    });
  });
}

void describe('job launcher pool', () => {
  void test(
    'a busy pool moves to the Python launcher',
    {skip: NO_PYTHON},
    async (t) => {
      const dir = scratch(t);
      // As where no native launcher was built.
      const pool = new LauncherPool({...BASE}, {native: false});
      t.after(() => pool.close());
      const kinds: string[] = [];
      const deadline = Date.now() + 30_000;
      while (!kinds.includes('python') && Date.now() < deadline) {
        const launcher = await pool.acquire();
        assert.ok(launcher !== undefined);
        if (kinds.at(-1) !== launcher.program.name) {
          kinds.push(launcher.program.name);
        }
        const end = await launchOne(launcher, {command: 'true', cwd: dir});
        assert.deepEqual(end, {kind: 'exit', code: 0});
        pool.release(launcher);
      }
      // Perl first, for a quick start; Python once the run proved big.
      assert.deepEqual(kinds, ['perl', 'python']);
    },
  );

  void test('without perl, jobs are spawned directly', async (t) => {
    const dir = scratch(t);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    // Perl only, as where no native launcher was built.
    const env = {...BASE, PATH: bin, NEUROMAKE_LAUNCHER: 'perl'};
    const pool = new LauncherPool(env);
    assert.equal(await pool.acquire(), undefined);
    assert.equal(pool.unavailable, true);
    const {failure, log} = await run(env, dir, 'echo "$NEUROMAKE_JOB"; exit 4');
    assert.deepEqual(failure, {reason: 'exit-non-zero', code: 4});
    assert.equal(log, '$ echo "$NEUROMAKE_JOB"; exit 4\nj\nafter\n');
  });

  void test(
    'a pool starting many launchers at once keeps the native kind',
    {skip: NO_NATIVE},
    async (t) => {
      const pool = new LauncherPool({...BASE});
      t.after(() => pool.close());

      // More than UPGRADE_AFTER launches counted before any launcher is up:
      // none may take the pool for a Perl one and replace the native kind.
      const launchers = await Promise.all(
        Array.from({length: 60}, () => pool.acquire()),
      );
      assert.ok(launchers.every((l) => l?.program.name === 'native'));
      for (const launcher of launchers) pool.release(launcher!);
      await pool.close(); // Waits for that look to end, too.
      const next = await pool.acquire();
      assert.ok(next !== undefined);
      assert.equal(next.program.name, 'native');
      pool.release(next);
    },
  );

  void test('a native launcher that cannot start is tried once', async (t) => {
    const dir = scratch(t);

    // As on a kernel without pidfds: the program exits before its R line.
    const starts = join(dir, 'starts');
    const broken = join(dir, 'broken-launcher');
    writeFileSync(broken, `#!/bin/sh\necho x >> '${starts}'\nexit 3\n`, {
      mode: 0o755,
    });
    const native = {name: 'native', command: broken, args: []};
    const pool = new LauncherPool({...BASE}, {native});
    t.after(() => pool.close());

    // Launchers asked for while the first one starts wait for its answer
    // and go to Perl together, instead of each trying the broken one.
    const launchers = await Promise.all(
      Array.from({length: 8}, () => pool.acquire()),
    );
    assert.deepEqual(
      launchers.map((l) => l?.program.name),
      Array.from({length: 8}, () => 'perl'),
    );
    const end = await launchOne(launchers[0]!, {command: 'exit 5', cwd: dir});
    assert.deepEqual(end, {kind: 'exit', code: 5});
    for (const launcher of launchers) pool.release(launcher!);
    assert.equal(readFileSync(starts, 'utf8'), 'x\n');
  });

  void test(
    'the native launcher comes first and needs neither perl nor python',
    {skip: NO_NATIVE},
    async (t) => {
      const dir = scratch(t);
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      symlinkSync('/bin/sh', join(bin, 'sh'));
      const env = {...BASE, PATH: bin};
      const pool = new LauncherPool(env);
      t.after(() => pool.close());
      assert.equal((await pool.acquire())?.program.name, 'native');
      const {failure, log} = await run(
        env,
        dir,
        'echo "$NEUROMAKE_JOB"; exit 4',
      );
      assert.deepEqual(failure, {reason: 'exit-non-zero', code: 4});
      assert.equal(log, '$ echo "$NEUROMAKE_JOB"; exit 4\nj\nafter\n');
    },
  );

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
