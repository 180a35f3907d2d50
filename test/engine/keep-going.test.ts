import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {fanOut} from '../rig/fixtures.js';
import {
  eventsOf,
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

const SUBJECTS = ['a', 'b', 'c', 'd'];

/** The standard fan-out over a…d, where up[s=a] fails. */
function failingFanOut(rig: WorkspaceRig): void {
  fanOut(rig, SUBJECTS);
  rig.write('in/a.txt', 'subject a: FAIL\n');
}

function assertNoTrace(rig: WorkspaceRig): void {
  assert.equal(rig.exists('out/a.up'), false, 'failed job left its output');
  assert.equal(rig.exists('out/a.post'), false);
  assert.equal(rig.exists('out/all.txt'), false);
  assert.deepEqual(rig.tempFiles(), []);
}

void describe('failures and -k', {concurrency: FILE_CONCURRENCY}, () => {
  void test('without -k a failure stops scheduling new jobs', async (t) => {
    const rig = WorkspaceRig.create(t);
    failingFanOut(rig);
    const result = await rig.run('run', '-j', '1', '--json');
    assert.equal(result.code, 1, show(result));

    const failed = eventsOf(result, 'job-failed');
    assert.deepEqual(
      failed.map((e) => [e.job, e.reason]),
      [['up[s=a]', 'exit-non-zero']],
    );
    // up[s=a] sorts first; at most the one job already started when it was
    // queued can have run besides it.
    assert.ok(rig.runs('up').includes('up[s=a]'));
    assert.ok(rig.count('up') <= 2, `ups ran: ${rig.runs('up').join(', ')}`);
    assert.equal(rig.count('post'), 0);
    assert.equal(rig.count('all'), 0);
    const end = runEnd(result);
    assert.equal(end['failed'], 1);
    assert.equal(
      Number(end['ran']) + Number(end['skipped']) + 1,
      SUBJECTS.length * 2 + 1,
    );
    assertNoTrace(rig);
  });

  void test('without -k the plain output names the failure and its log', async (t) => {
    const rig = WorkspaceRig.create(t);
    failingFanOut(rig);
    const result = await rig.run('run', '-j', '1');
    assert.equal(result.code, 1, show(result));
    assert.match(
      result.stderr,
      /failed\s+up\[s=a\]: exit-non-zero: command exited with code 1/,
    );
    // What the job wrote last is shown, so the cause needs no log opened.
    assert.match(
      result.stderr,
      /\n +\| fake\.sh: up\[s=a\] was told to fail\n/,
    );
    const log = /log: '(\S+)'/.exec(result.stderr)?.[1];
    assert.ok(log !== undefined, result.stderr);
    assert.match(rig.read(log), /up\[s=a\] was told to fail/);
  });

  void test('with -k every independent job finishes and the failure is contained', async (t) => {
    const rig = WorkspaceRig.create(t);
    failingFanOut(rig);
    const result = await rig.run('run', '-k', '-j', '2', '--json');
    assert.equal(result.code, 1, show(result));
    assert.deepEqual(
      rig.runs('up').sort(),
      SUBJECTS.map((s) => `up[s=${s}]`),
    );
    assert.deepEqual(
      rig.runs('post').sort(),
      ['b', 'c', 'd'].map((s) => `post[s=${s}]`),
    );
    assert.equal(rig.count('all'), 0);
    assert.deepEqual(
      eventsOf(result, 'job-skipped')
        .map((e) => e.job)
        .sort(),
      ['all', 'post[s=a]'],
    );
    const end = runEnd(result);
    assert.deepEqual([end['ran'], end['failed'], end['skipped']], [6, 1, 2]);
    for (const s of ['b', 'c', 'd']) assert.ok(rig.exists(`out/${s}.post`));
    assertNoTrace(rig);

    // The next run reruns exactly the failed job and its downstream.
    rig.write('in/a.txt', 'subject a\n');
    const next = await rig.run('run', '-k', '-j', '2', '--json');
    assert.equal(next.code, 0, show(next));
    assert.deepEqual(rig.runs('up').slice(4), ['up[s=a]']);
    assert.deepEqual(rig.runs('post').slice(3), ['post[s=a]']);
    assert.equal(rig.count('all'), 1);
    const ran = Object.entries(outcomes(next))
      .filter(([, o]) => o === 'ran')
      .map(([j]) => j)
      .sort();
    assert.deepEqual(ran, ['all', 'post[s=a]', 'up[s=a]']);
  });

  void test('a failure that is not fixed reruns only the failed job', async (t) => {
    const rig = WorkspaceRig.create(t);
    failingFanOut(rig);
    assert.equal((await rig.run('run', '-k')).code, 1);
    const before = rig.counts();
    const again = await rig.run('run', '-k', '--json');
    assert.equal(again.code, 1, show(again));
    assert.deepEqual(rig.counts(), {...before, up: before['up']! + 1});
    assert.deepEqual(rig.runs('up').at(-1), 'up[s=a]');
    assertNoTrace(rig);
  });

  void test('a job that exits 0 without writing its output fails', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  lazy:',
      '    outputs: {out: lazy.txt, extra: extra.txt}',
      '    shell: "sh tools/fake.sh lazy {outputs.out}"',
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 1, show(result));
    const [failed] = eventsOf(result, 'job-failed');
    assert.equal(failed?.reason, 'missing-output');
    assert.match(String(failed?.message), /output "extra" \(extra\.txt\)/);
    assert.equal(rig.exists('lazy.txt'), false);
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('retries: a job that fails twice and then succeeds', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  flaky:',
      '    retries: 2',
      '    outputs: {out: flaky.txt}',
      '    shell: "sh tools/fake.sh flaky {outputs.out} && [ $(wc -l < $NM_COUNTS/flaky.log) -ge 3 ]"',
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(rig.count('flaky'), 3);
    const retried = eventsOf(result, 'job-failed');
    assert.deepEqual(
      retried.map((e) => e['willRetry']),
      [true, true],
    );
    assert.deepEqual(
      eventsOf(result, 'job-start').map((e) => e['attempt']),
      [1, 2, 3],
    );
    assert.equal(outcomes(result)['flaky'], 'ran');
    assert.equal(rig.read('flaky.txt'), '+flaky\n');
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('retries: a job that never succeeds says how many attempts failed', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  broken:',
      '    retries: 2',
      '    outputs: {out: broken.txt}',
      '    shell: "sh tools/fake.sh broken {outputs.out} && false"',
    );
    const result = await rig.run('run');
    assert.equal(result.code, 1, show(result));
    assert.equal(rig.count('broken'), 3);
    assert.match(
      result.stderr,
      /^failed +broken \(3 attempts\): exit-non-zero: command exited with code 1$/m,
    );
  });
});
