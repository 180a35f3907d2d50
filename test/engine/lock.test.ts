import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {hostname} from 'node:os';
import {describe, test} from 'node:test';

import {
  outcomes,
  show,
  waitFor,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/** One job that waits for the gate `go`. */
function gatedPipeline(rig: WorkspaceRig): void {
  rig.pipeline(
    'steps:',
    '  held:',
    '    outputs: {out: held.txt}',
    '    shell: "sh tools/gate.sh held {outputs.out} go"',
  );
}

/** Starts a run and waits until its job holds the workspace. */
async function holdWorkspace(rig: WorkspaceRig) {
  gatedPipeline(rig);
  const first = rig.start('run');
  await waitFor(
    'the first run to start its job',
    () => rig.count('held') === 1,
  );
  return first;
}

void describe('the workspace lock', {concurrency: FILE_CONCURRENCY}, () => {
  void test('a second concurrent run fails fast, naming the other pid', async (t) => {
    const rig = WorkspaceRig.create(t);
    const first = await holdWorkspace(rig);

    const started = Date.now();
    const second = await rig.run('run');
    assert.ok(Date.now() - started < 5000, 'the second run did not fail fast');
    assert.equal(second.code, 2, show(second));
    assert.match(
      second.stderr,
      new RegExp(
        `another neuromake \\(pid ${first.pid} on ${hostname()}, since [^)]+\\) is running in this workspace`,
      ),
    );
    assert.match(second.stderr, /--wait/);

    const gc = await rig.run('gc');
    assert.equal(gc.code, 2, show(gc));
    assert.match(
      gc.stderr,
      new RegExp(
        `a run \\(pid ${first.pid} on ${hostname()}\\) is using this workspace`,
      ),
    );

    // status reads on, and says why a job being run is not fresh yet.
    const status = await rig.run('status');
    assert.equal(status.code, 0, show(status));
    assert.match(
      status.stdout,
      new RegExp(
        `^a run \\(pid ${first.pid} on ${hostname()}, since [^)]+\\) is going on: the jobs it is running show as not fresh until it records them$`,
        'm',
      ),
    );

    rig.openGate('go');
    const done = await first.done;
    assert.equal(done.code, 0, show(done));
    assert.equal(rig.count('held'), 1);
    const after = await rig.run('status');
    assert.doesNotMatch(after.stdout, /is going on/);
  });

  void test('--wait queues behind the running run, then succeeds', async (t) => {
    const rig = WorkspaceRig.create(t);
    const first = await holdWorkspace(rig);

    const waiting = rig.start('run', '--wait', '--json');
    // The plan event comes just before the lock is tried.
    await waitFor('the waiting run to plan', () =>
      waiting.stdout().includes('"type":"plan"'),
    );
    assert.equal(waiting.child.exitCode, null, 'the queued run gave up');
    rig.openGate('go');
    const [a, b] = await Promise.all([first.done, waiting.done]);
    assert.equal(a.code, 0, show(a));
    assert.equal(b.code, 0, show(b));
    assert.ok(b.endedAt >= a.endedAt, 'the queued run ended first');
    // The first run did the work; the queued one found it fresh.
    assert.deepEqual(outcomes(b), {held: 'fresh'});
    assert.equal(rig.count('held'), 1);
    assert.equal(rig.exists('.neuromake/lock'), false);
  });

  void test('a lock left by a dead process is taken over', async (t) => {
    const rig = WorkspaceRig.create(t);
    gatedPipeline(rig);
    rig.openGate('go');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    rig.write(
      '.neuromake/lock',
      JSON.stringify({
        pid: dead,
        host: hostname(),
        since: new Date().toISOString(),
      }),
    );
    const result = await rig.run('run');
    assert.equal(result.code, 0, show(result));
    assert.equal(rig.count('held'), 1);
    assert.equal(rig.exists('.neuromake/lock'), false);
  });

  void test('a lock from another host is respected, naming that host', async (t) => {
    const rig = WorkspaceRig.create(t);
    gatedPipeline(rig);
    rig.write(
      '.neuromake/lock',
      JSON.stringify({pid: 4242, host: 'elsewhere.example', since: 'noon'}),
    );
    const result = await rig.run('run');
    assert.equal(result.code, 2, show(result));
    assert.match(result.stderr, /pid 4242 on elsewhere\.example, since noon/);
    assert.equal(rig.count('held'), 0);
  });

  void test('read-only commands do not need the lock', async (t) => {
    const rig = WorkspaceRig.create(t);
    const first = await holdWorkspace(rig);
    for (const args of [['status'], ['why', 'held'], ['dag'], ['run', '-n']]) {
      const result = await rig.run(...args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${show(result)}`);
    }
    rig.openGate('go');
    assert.equal((await first.done).code, 0);
  });
});
