import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {INLINE_BLOB_MAX} from '../../src/cache/blob-table.js';
import {fanOut, fanOutOutputs} from '../rig/fixtures.js';
import {
  eventsOf,
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

function snapshot(rig: WorkspaceRig): Map<string, Buffer> {
  return new Map(fanOutOutputs().map((p) => [p, rig.bytes(p)]));
}

/**
 * Deletes every output of the fan-out, which ran once, and checks that a
 * rerun restores them all, byte for byte, without running anything.
 */
async function restoresDeletedOut(rig: WorkspaceRig): Promise<void> {
  const original = snapshot(rig);
  rig.remove('out');
  const result = await rig.run('run', '--json');
  assert.equal(result.code, 0, show(result));
  assert.equal(runEnd(result)['restored'], 7);
  assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
  assert.deepEqual(snapshot(rig), original);
}

void describe('restore from the store', {concurrency: FILE_CONCURRENCY}, () => {
  void test('reverting an edit restores from the store with zero runs', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run', '-j', '2')).code, 0);
    const original = snapshot(rig);
    const originalInput = rig.bytes('in/b.txt');

    rig.write('in/b.txt', 'subject b, edited\n');
    const edited = await rig.run('run', '-j', '2');
    assert.equal(edited.code, 0, show(edited));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
    assert.notDeepEqual(rig.bytes('out/all.txt'), original.get('out/all.txt'));

    rig.write('in/b.txt', originalInput);
    const reverted = await rig.run('run', '-j', '2', '--json');
    assert.equal(reverted.code, 0, show(reverted));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
    assert.deepEqual(outcomes(reverted), {
      'up[s=a]': 'fresh',
      'up[s=b]': 'restored',
      'up[s=c]': 'fresh',
      'post[s=a]': 'fresh',
      'post[s=b]': 'restored',
      'post[s=c]': 'fresh',
      all: 'restored',
    });
    const end = runEnd(reverted);
    assert.deepEqual([end['ran'], end['restored']], [0, 3]);
    assert.deepEqual(snapshot(rig), original);
    assert.deepEqual(rig.tempFiles(), []);

    const after = await rig.run('run', '--json');
    assert.equal(runEnd(after)['fresh'], 7, show(after));
  });

  void test('a deleted output is restored without running its job', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const original = snapshot(rig);
    rig.remove('out/c.up');
    rig.remove('out/all.txt');

    const status = await rig.run('status');
    assert.match(
      status.stdout,
      /cached\s+up\[s=c\]\s+\(output out\/c\.up is missing\)/,
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
    const done = outcomes(result);
    assert.equal(done['up[s=c]'], 'restored');
    assert.equal(done['post[s=c]'], 'fresh');
    assert.equal(done['all'], 'restored');
    assert.deepEqual(snapshot(rig), original);
  });

  void test('an output edited by hand is put back from the store', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const original = snapshot(rig);
    rig.write('out/a.up', 'scribbled over\n');

    const why = await rig.run('why', 'up[s=a]');
    assert.match(
      why.stdout,
      /output out\/a\.up was modified outside neuromake/,
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(outcomes(result)['up[s=a]'], 'restored');
    assert.equal(outcomes(result)['post[s=a]'], 'fresh');
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
    assert.deepEqual(snapshot(rig), original);
    // The edit is lost, and the run says so.
    assert.deepEqual(
      eventsOf(result, 'warning').map((e) => e.message),
      [
        'out/a.up was changed outside neuromake: its recorded version is put back (to keep an edited output, copy it elsewhere or make it an input)',
      ],
    );
  });

  void test('a deleted output directory is restored in full', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    await restoresDeletedOut(rig);
  });

  void test('large outputs are blob files, small ones rows; both restore', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    rig.write('in/b.txt', 'subject b\n'.repeat(INLINE_BLOB_MAX / 10 + 1));
    assert.equal((await rig.run('run')).code, 0);
    const large = ['out/b.up', 'out/b.post', 'out/all.txt'].map((p) =>
      rig.sha256(p),
    );
    assert.deepEqual(rig.blobFiles().sort(), [...large].sort());
    assert.equal(rig.blobs().length, 7);
    await restoresDeletedOut(rig);
  });

  void test('a missing blob falls back to running the job', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const original = snapshot(rig);
    const hash = rig.sha256('out/b.up');
    rig.removeBlob(hash);
    rig.remove('out/b.up');
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(outcomes(result)['up[s=b]'], 'ran');
    assert.equal(outcomes(result)['post[s=b]'], 'fresh');
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 4});
    assert.deepEqual(snapshot(rig), original);
  });
});
