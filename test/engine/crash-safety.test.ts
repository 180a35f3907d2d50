import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {StateStore} from '../../src/cache/state-store.js';

import {
  outcomes,
  parseEvents,
  runEnd,
  show,
  waitFor,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * fast[a], fast[b] → slow (a gather), plus an independent `side`. `slow`
 * writes a partial output first, then sleeps for SLOW_SECS.
 */
function crashPipeline(rig: WorkspaceRig): void {
  rig.pipeline(
    'steps:',
    '  fast:',
    '    for_each: {matrix: {s: [a, b]}}',
    '    outputs: {out: "fast/{s}.txt"}',
    '    shell: "sh tools/fake.sh fast {outputs.out}"',
    '  side:',
    '    outputs: {out: side.txt}',
    '    shell: "sh tools/fake.sh side {outputs.out}"',
    '  slow:',
    '    inputs: {parts: {from: fast, output: out}}',
    '    outputs: {out: out/slow.txt}',
    '    shell: "sh tools/slow.sh slow {outputs.out} 30 {inputs.parts}"',
  );
}

const SLOW_COMPLETE = '+fast\n+fast\n+slow complete\n';

/** Starts a run and waits until `slow` has written its partial output. */
async function startUntilSlowRuns(rig: WorkspaceRig, seconds = '30') {
  rig.env['SLOW_SECS'] = seconds;
  const running = rig.start('run', '-j', '2', '--json');
  await waitFor('slow to start', () => rig.count('slow') === 1);
  return running;
}

/** Polls `status --json` until the given jobs are recorded fresh. */
async function waitUntilFresh(rig: WorkspaceRig, jobs: string[]) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await rig.run('status', '--json', ...jobs);
    const states = parseEvents(status.stdout).filter((s) =>
      jobs.includes(String(s['job'])),
    );
    if (states.length > 0 && states.every((s) => s['state'] === 'fresh')) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`jobs never became fresh:\n${status.stdout}`);
    }
  }
}

void describe('crash safety', {concurrency: FILE_CONCURRENCY}, () => {
  void test('kill -9 of the runner and its jobs mid-run: a rerun finishes cleanly', async (t) => {
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    const running = await startUntilSlowRuns(rig);
    await waitUntilFresh(rig, ['fast[s=a]', 'fast[s=b]', 'side']);

    // The crash leaves a half-written temporary output and the runner's lock.
    const temps = rig.tempFiles();
    const [temp] = temps;
    assert.ok(temp !== undefined && temps.length === 1, temps.join());
    assert.match(temp, /^out\/\.nm-tmp-[^/]*slow\.txt$/);
    assert.equal(rig.read(temp), 'partial');
    const lock = JSON.parse(rig.read('.neuromake/lock')) as {pid: number};
    assert.equal(lock.pid, running.pid);

    // The machine dies: the runner and the job's process group, at once.
    running.child.kill('SIGKILL');
    rig.killJobGroups('slow');
    const killed = await running.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(rig.exists('out/slow.txt'), false);
    assert.equal(rig.exists('.neuromake/lock'), true, 'the stale lock stays');

    rig.env['SLOW_SECS'] = '0';
    const rerun = await rig.run('run', '-j', '2', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    assert.equal(rig.read('out/slow.txt'), SLOW_COMPLETE);
    assert.deepEqual(rig.tempFiles(), []);
    assert.deepEqual(rig.counts(), {fast: 2, side: 1, slow: 2});
    assert.deepEqual(outcomes(rerun), {
      'fast[s=a]': 'fresh',
      'fast[s=b]': 'fresh',
      side: 'fresh',
      slow: 'ran',
    });
    assert.ok(
      rerun.events.some(
        (e) =>
          e.type === 'info' && /removed 1 half-written/.test(String(e.message)),
      ),
      rerun.stdout,
    );
    assert.equal(rig.exists('.neuromake/lock'), false, 'the lock is released');

    const after = await rig.run('run', '--json');
    assert.equal(runEnd(after)['fresh'], 4, show(after));
  });

  void test('kill -9 of the runner alone: the orphaned job cannot spoil the rerun', async (t) => {
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    const running = await startUntilSlowRuns(rig, '1.5');
    const temp = rig.tempFiles().find((p) => p.endsWith('slow.txt'));
    assert.ok(temp !== undefined, rig.walk().join());

    // Only the runner dies; its job (in its own process group) lives on and
    // finishes its temporary file, which nothing will ever rename.
    running.child.kill('SIGKILL');
    assert.equal((await running.done).signal, 'SIGKILL');
    await waitFor('the orphaned job to finish', () =>
      rig.read(temp).endsWith('complete\n'),
    );
    assert.equal(rig.exists('out/slow.txt'), false);

    rig.env['SLOW_SECS'] = '0';
    const rerun = await rig.run('run', '-j', '2');
    assert.equal(rerun.code, 0, show(rerun));
    assert.equal(rig.read('out/slow.txt'), SLOW_COMPLETE);
    assert.deepEqual(rig.tempFiles(), []);
    // fast[a] and fast[b] were recorded before slow started; `side` may have
    // finished too late to be (see the test on records below).
    assert.equal(rig.count('fast'), 2);
    assert.equal(rig.count('slow'), 2);
  });

  void test('kill -9 of the runner alone, rerun at once: the orphan is stopped', async (t) => {
    // The orphaned job would outlive the rerun's clean-up and then write its
    // old temporary file again; the rerun must stop it first.
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    const running = await startUntilSlowRuns(rig, '1.5');
    running.child.kill('SIGKILL');
    await running.done;
    const orphan = Number(rig.countsFile('slow.pgid').split('\n')[0]);
    assert.ok(groupAlive(orphan), 'the orphan outlives the runner');

    rig.env['SLOW_SECS'] = '0';
    const rerun = await rig.run('run', '-j', '2');
    assert.equal(rerun.code, 0, show(rerun));
    await waitFor('the orphan to be stopped', () => !groupAlive(orphan));
    assert.equal(rig.read('out/slow.txt'), SLOW_COMPLETE);

    // Give a surviving orphan the time it would need to finish (1.5 s).
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(rig.tempFiles(), [], 'a stray temporary file remains');
  });

  void test('a job whose output was in place before kill -9 is not rerun', async (t) => {
    // `quick` finishes while `slow` runs; the runner is killed right after
    // quick's output is renamed into place. Its record must survive.
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  slow:',
      '    outputs: {out: slow.txt}',
      '    shell: "sh tools/slow.sh slow {outputs.out} 30"',
      '  quick:',
      '    outputs: {out: quick.txt}',
      '    shell: "sleep 0.3 && sh tools/fake.sh quick {outputs.out}"',
    );
    const running = rig.start('run', '-j', '2');
    await waitFor('slow to start', () => rig.count('slow') === 1);
    await waitFor('quick.txt', () => rig.exists('quick.txt'), 10_000, 5);
    running.child.kill('SIGKILL');
    rig.killJobGroups('slow');
    await running.done;
    assert.equal(rig.read('quick.txt'), '+quick\n');

    rig.env['SLOW_SECS'] = '0';
    const rerun = await rig.run('run', '-j', '2', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    const why = rerun.events.find(
      (e) => e.type === 'info' && e.job === 'quick',
    )?.message;
    assert.equal(outcomes(rerun)['quick'], 'fresh', `quick ran: ${why}`);
    assert.equal(rig.count('quick'), 1);
  });

  void test('kill -9 while jobs share commits: no output in place is rerun', async (t) => {
    // More jobs than slots, so finished jobs wait for a shared commit while
    // others run; each one's record must still be committed before its
    // output is renamed into place.
    const rig = WorkspaceRig.create(t);
    const ns = Array.from({length: 40}, (_, i) => i);
    rig.pipeline(
      'steps:',
      '  many:',
      `    for_each: {matrix: {n: [${ns.join(', ')}]}}`,
      '    outputs: {out: "out/{n}.txt"}',
      '    shell: "sleep 0.05 && sh tools/fake.sh many {outputs.out}"',
    );
    const running = rig.start('run', '-j', '2');
    const inPlace = () => ns.filter((n) => rig.exists(`out/${n}.txt`));
    await waitFor('a few outputs', () => inPlace().length >= 6, 20_000, 2);
    running.child.kill('SIGKILL');
    await running.done;
    const done = inPlace();
    assert.ok(done.length < ns.length, 'the run was still going');
    assert.ok(done.length >= 6, 'the outputs waited for are still there');

    const rerun = await rig.run('run', '-j', '2', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    const outcome = outcomes(rerun);
    for (const n of done) {
      assert.equal(outcome[`many[n=${n}]`], 'fresh', `many[n=${n}] reran`);
    }
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('SIGINT stops the run with exit 130 and keeps what finished', async (t) => {
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    const running = await startUntilSlowRuns(rig);
    await waitFor('side.txt', () => rig.exists('side.txt'));
    running.child.kill('SIGINT');
    const stopped = await running.done;
    assert.equal(stopped.code, 130, show(stopped));
    const end = runEnd(stopped);
    assert.equal(end['interrupted'], true);
    assert.equal(end['ran'], 3);
    // The interrupted job counts as not done, so every job is counted.
    assert.equal(end['skipped'], 1);
    assert.equal(rig.exists('out/slow.txt'), false);
    assert.deepEqual(rig.tempFiles(), []);
    assert.equal(rig.exists('.neuromake/lock'), false);
    for (const out of ['fast/a.txt', 'fast/b.txt', 'side.txt']) {
      assert.ok(rig.exists(out), out);
    }

    rig.env['SLOW_SECS'] = '0';
    const rerun = await rig.run('run', '-j', '2', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    assert.deepEqual(rig.counts(), {fast: 2, side: 1, slow: 2});
    assert.equal(outcomes(rerun)['slow'], 'ran');
    assert.equal(rig.read('out/slow.txt'), SLOW_COMPLETE);
  });

  // Note: that the logger writes what it holds first is checked in
  // test/cli/interrupts.test.ts; here, that the signal really ends it.
  void test('a second SIGINT ends the run at once, by that signal', async (t) => {
    const rig = WorkspaceRig.create(t);

    // A job that outlives SIGTERM (its trap notes each one), so that the
    // run is still stopping when the second SIGINT comes.
    rig.write(
      'tools/stubborn.sh',
      [
        'trap "echo term >> got-term" TERM',
        'echo started > started',
        'i=0',
        'while [ $i -lt "$LOOPS" ]; do sleep 0.1 & wait; i=$((i+1)); done',
        'echo done > "$1"',
        '',
      ].join('\n'),
    );
    rig.pipeline(
      'steps:',
      '  stubborn:',
      '    outputs: {out: out/stubborn.txt}',
      '    shell: "sh tools/stubborn.sh {outputs.out}"',
    );
    rig.env['LOOPS'] = '50';
    const running = rig.start('run', '--json');
    await waitFor('the job to start', () => rig.exists('started'));
    running.child.kill('SIGINT');
    await waitFor('the job to be sent SIGTERM', () => rig.exists('got-term'));
    running.child.kill('SIGINT');
    const stopped = await running.done;
    assert.equal(stopped.signal, 'SIGINT', show(stopped));
    const started = stopped.events
      .filter((e) => e['type'] === 'job-start')
      .map((e) => e['job']);
    assert.deepEqual(started, ['stubborn'], show(stopped));

    // Stopped hard, the job still running: the next run stops it, cleans
    // up and does the work.
    rig.env['LOOPS'] = '0';
    const rerun = await rig.run('run', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    assert.equal(rig.read('out/stubborn.txt'), 'done\n');
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('SIGINT in plain mode says the run was interrupted', async (t) => {
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    rig.env['SLOW_SECS'] = '30';
    const running = rig.start('run', '-j', '2');
    await waitFor('slow to start', () => rig.count('slow') === 1);
    running.child.kill('SIGINT');
    const stopped = await running.done;
    assert.equal(stopped.code, 130, show(stopped));
    assert.match(stopped.stdout, /interrupted/i);
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('an output whose name is near the file-name limit is written', async (t) => {
    // 245 + 4 bytes is a legal name (NAME_MAX is 255); the temporary name
    // must not outgrow it, and a failure must never wedge later runs.
    const rig = WorkspaceRig.create(t);
    const name = `${'x'.repeat(245)}.txt`;
    rig.pipeline(
      'steps:',
      '  long:',
      `    outputs: {out: "out/${name}"}`,
      '    shell: "sh tools/fake.sh long {outputs.out}"',
    );
    const first = await rig.run('run');
    const second = await rig.run('run');
    assert.deepEqual(
      [first.code, second.code],
      [0, 0],
      `${show(first)}\n${show(second)}`,
    );
    assert.equal(rig.read(`out/${name}`), '+long\n');
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('a run after a dead runner removes its half-copied blobs from the store', async (t) => {
    const rig = WorkspaceRig.create(t);
    crashPipeline(rig);
    rig.env['SLOW_SECS'] = '0';
    assert.equal((await rig.run('run')).code, 0);

    // What a runner killed mid-copy leaves: its registered temporary
    // pattern, and a partial blob under a temporary name in the store.
    const state = StateStore.open(rig.path('.neuromake'));
    state.addPending('out/.nm-tmp-deadbeef-*', 'deadbeef');
    state.flush();
    state.close();
    rig.write('.neuromake/store/ab/cdef.tmp-999999-x1', 'half a blob');

    const rerun = await rig.run('run', '--json');
    assert.equal(rerun.code, 0, show(rerun));
    assert.equal(rig.exists('.neuromake/store/ab/cdef.tmp-999999-x1'), false);
    assert.match(rerun.stdout, /removed 1 half-written file/);
    assert.deepEqual(rig.counts(), {fast: 2, side: 1, slow: 1});
  });

  void test('an input edited while its job runs: the outputs go in place but are not cached, and a revert reruns', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('cfg.txt', 'one\n');
    rig.pipeline(
      'steps:',
      '  a:',
      '    inputs: {cfg: cfg.txt}',
      '    outputs: {o: out/a.txt}',
      '    shell: "sh tools/gate.sh a {outputs.o} go && cat {inputs.cfg} >> {outputs.o}"',
    );
    const running = rig.start('run', '--json');
    await waitFor('a to start', () => rig.count('a') === 1);
    rig.write('cfg.txt', 'two, edited mid-run\n');
    rig.openGate('go');
    const edited = await running.done;
    assert.equal(edited.code, 0, show(edited));
    assert.match(edited.stdout, /input cfg\.txt changed while a ran/);
    assert.equal(rig.read('out/a.txt'), '+a\ntwo, edited mid-run\n');

    // Back to the content the first key was made from: the job reruns,
    // as nothing recorded that key with the edited run's output.
    rig.write('cfg.txt', 'one\n');
    const reverted = await rig.run('run', '--json');
    assert.equal(reverted.code, 0, show(reverted));
    assert.equal(outcomes(reverted)['a'], 'ran');
    assert.equal(rig.read('out/a.txt'), '+a\none\n');
  });
});

/** Whether a process group still has members. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
