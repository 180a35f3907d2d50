import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {INLINE_BLOB_MAX} from '../../src/cache/blob-table.js';
import {fanOut, fanOutOutputs} from '../rig/fixtures.js';
import {
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/** Runs the fan-out, then again with in/b.txt edited: 3 blobs go unneeded. */
async function twoGenerations(rig: WorkspaceRig): Promise<Buffer> {
  fanOut(rig);
  assert.equal((await rig.run('run')).code, 0);
  const original = rig.bytes('in/b.txt');
  assert.equal(rig.blobs().length, 7);
  rig.write('in/b.txt', 'subject b, edited\n');
  assert.equal((await rig.run('run')).code, 0);
  assert.equal(rig.blobs().length, 10);
  return original;
}

void describe('gc', {concurrency: FILE_CONCURRENCY}, () => {
  void test('gc removes blobs no record needs and keeps what the records need', async (t) => {
    const rig = WorkspaceRig.create(t);
    const original = await twoGenerations(rig);
    const current = new Map(fanOutOutputs().map((p) => [p, rig.sha256(p)]));

    const gc = await rig.run('gc');
    assert.equal(gc.code, 0, show(gc));
    assert.match(
      gc.stdout,
      /^removed 3 cache entries and 3 blobs \(\d+ B\); \d+ B kept\nnote: those were the results of earlier versions of inputs, params and code: going back to one runs its jobs again \(--keep-runs N keeps what the last N runs used\)\n$/,
    );
    const kept = rig.blobs();
    assert.deepEqual(kept.sort(), [...new Set(current.values())].sort());

    // Every job is still fresh, and a lost output still restores.
    const fresh = await rig.run('run', '--json');
    assert.equal(runEnd(fresh)['fresh'], 7, show(fresh));
    rig.remove('out/a.up');
    const restored = await rig.run('run', '--json');
    assert.equal(outcomes(restored)['up[s=a]'], 'restored', show(restored));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});

    // The old generation is gone: reverting the edit has to run again.
    rig.write('in/b.txt', original);
    const reverted = await rig.run('run', '--json');
    assert.equal(reverted.code, 0, show(reverted));
    assert.equal(outcomes(reverted)['up[s=b]'], 'ran');
    assert.deepEqual(rig.counts(), {all: 3, post: 5, up: 5});

    const again = await rig.run('gc');
    assert.match(again.stdout, /^removed 3 cache entries and 3 blobs/);
    const nothing = await rig.run('gc');
    assert.match(
      nothing.stdout,
      /^removed 0 cache entries and 0 blobs \(0 B\)/,
    );
  });

  void test('gc -n says what gc would remove and removes nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    const original = await twoGenerations(rig);

    const dry = await rig.run('gc', '-n');
    assert.equal(dry.code, 0, show(dry));
    assert.match(
      dry.stdout,
      /^dry run: would remove 3 cache entries and 3 blobs \(\d+ B\); \d+ B would be kept\nnote: these are the results of earlier versions/,
    );
    assert.equal(rig.blobs().length, 10);

    // The older generation is still there to restore.
    rig.write('in/b.txt', original);
    const reverted = await rig.run('run', '--json');
    assert.equal(outcomes(reverted)['up[s=b]'], 'restored', show(reverted));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
  });

  void test('gc --keep-runs N keeps what the last N runs used', async (t) => {
    const rig = WorkspaceRig.create(t);
    const original = await twoGenerations(rig);

    const keep = await rig.run('gc', '--keep-runs', '2');
    assert.equal(keep.code, 0, show(keep));
    assert.match(keep.stdout, /^removed 0 cache entries and 0 blobs/);
    assert.equal(rig.blobs().length, 10);

    // Run 3 restores the first generation (and so uses it again).
    rig.write('in/b.txt', original);
    const reverted = await rig.run('run', '--json');
    assert.equal(reverted.code, 0, show(reverted));
    assert.equal(outcomes(reverted)['up[s=b]'], 'restored');
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});

    // Only run 2 used the edited generation: keeping one run drops it.
    const one = await rig.run('gc', '--keep-runs', '1');
    assert.match(one.stdout, /^removed 3 cache entries and 3 blobs/);
    assert.equal(rig.blobs().length, 7);
    const fresh = await rig.run('run', '--json');
    assert.equal(runEnd(fresh)['fresh'], 7, show(fresh));
  });

  void test('gc --max-size drops optional entries but never needed ones', async (t) => {
    const rig = WorkspaceRig.create(t);
    await twoGenerations(rig);
    const gc = await rig.run('gc', '--keep-runs', '10', '--max-size', '1B');
    assert.equal(gc.code, 0, show(gc));
    assert.match(gc.stdout, /^removed 3 cache entries and 3 blobs/);
    assert.match(
      gc.stdout,
      /\nnote: the store stays over --max-size 1 B: the current outputs of the pipeline's jobs alone take \d+ B, and gc never drops those\n$/,
    );
    assert.equal(rig.blobs().length, 7);
    for (const out of fanOutOutputs()) rig.remove(out);
    const restored = await rig.run('run', '--json');
    assert.equal(runEnd(restored)['restored'], 7, show(restored));
    assert.equal(runEnd(restored)['ran'], 0);
  });

  void test('gc removes blob files and rows, and small files of older versions', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const large = (text: string) => text.repeat(INLINE_BLOB_MAX / 8);
    rig.write('in/b.txt', large('b large\n'));
    assert.equal((await rig.run('run')).code, 0);

    // An older version kept every blob as a file: out/a.up's becomes one.
    const hash = rig.sha256('out/a.up');
    const bytes = rig.bytes('out/a.up');
    rig.removeBlob(hash);
    rig.write(`.neuromake/store/${hash.slice(0, 2)}/${hash.slice(2)}`, bytes);
    rig.remove('out/a.up');
    const restored = await rig.run('run', '--json');
    assert.equal(outcomes(restored)['up[s=a]'], 'restored', show(restored));
    assert.deepEqual(rig.bytes('out/a.up'), bytes);

    rig.write('in/a.txt', 'subject a, edited\n');
    rig.write('in/b.txt', large('b edited\n'));
    assert.equal((await rig.run('run')).code, 0);
    assert.equal(rig.blobs().length, 12);
    const gc = await rig.run('gc');
    assert.equal(gc.code, 0, show(gc));
    assert.match(gc.stdout, /^removed 5 cache entries and 5 blobs/);
    assert.equal(gc.stderr, '');
    const current = fanOutOutputs().map((p) => rig.sha256(p));
    assert.deepEqual(rig.blobs().sort(), [...new Set(current)].sort());
    assert.equal(rig.blobFiles().length, 3, rig.blobFiles().join());

    for (const out of fanOutOutputs()) rig.remove(out);
    const again = await rig.run('run', '--json');
    assert.equal(runEnd(again)['restored'], 7, show(again));
  });

  void test('gc keeps one copy of a small blob that is a file and a row', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const outputs = fanOutOutputs();
    const hashes = new Map(outputs.map((p) => [rig.sha256(p), p]));
    let live = 0;
    for (const path of hashes.values()) live += rig.bytes(path).length;

    // An older version's file of out/a.up's bytes, beside the row a later
    // run stored for them.
    const hash = rig.sha256('out/a.up');
    const bytes = rig.bytes('out/a.up');
    rig.write(`.neuromake/store/${hash.slice(0, 2)}/${hash.slice(2)}`, bytes);

    const gc = await rig.run('gc');
    assert.equal(gc.code, 0, show(gc));
    assert.equal(
      gc.stdout,
      `removed 0 cache entries and 1 blobs (${bytes.length} B); ` +
        `${live} B kept\n`,
    );
    assert.deepEqual(rig.blobFiles(), []);
    assert.deepEqual(rig.blobs().sort(), [...hashes.keys()].sort());
    rig.remove('out/a.up');
    const restored = await rig.run('run', '--json');
    assert.equal(outcomes(restored)['up[s=a]'], 'restored', show(restored));
    assert.deepEqual(rig.bytes('out/a.up'), bytes);
  });

  void test('gc removes leftover partial copies in the store', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const [first] = rig.blobs();
    assert.ok(first !== undefined);
    const shard = first.slice(0, 2);
    rig.write(`.neuromake/store/${shard}/deadbeef.tmp-1234-abc`, 'partial');
    assert.equal(rig.blobs().length, 8);
    const gc = await rig.run('gc');
    assert.equal(gc.code, 0, show(gc));
    assert.match(gc.stdout, /and 1 blobs/);
    assert.equal(rig.blobs().length, 7);
  });
});
