import assert from 'node:assert/strict';
import {readdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';

import {ContentStore} from '../../src/cache/content-store.js';
import {sha256} from '../../src/util/hash.js';
import {scratchDir} from '../rig/fixtures.js';

const scratch = (t: TestContext) => scratchDir(t, 'content-store');

void describe('content store', () => {
  void test('a blob is stored under its hash, with no temporary left', (t) => {
    const root = join(scratch(t), 'store');
    const store = new ContentStore(root);
    const bytes = Buffer.from('subject 01\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);
    store.putBytes(bytes, hash);
    assert.equal(readFileSync(store.pathOf(hash), 'utf8'), 'subject 01\n');
    const shard = readdirSync(join(root, hash.slice(0, 2)));
    assert.deepEqual(shard, [hash.slice(2)]);
  });

  void test('a blob found missing by has() is stored again', async (t) => {
    const store = new ContentStore(join(scratch(t), 'store'));
    const bytes = Buffer.from('run 3\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);
    rmSync(store.pathOf(hash));
    assert.equal(await store.has(hash), false);
    store.putBytes(bytes, hash);
    assert.equal(await store.has(hash), true);
    assert.equal(readFileSync(store.pathOf(hash), 'utf8'), 'run 3\n');
  });

  void test('a blob found missing when restoring is stored again', async (t) => {
    const dir = scratch(t);
    const store = new ContentStore(join(dir, 'store'));
    const bytes = Buffer.from('run 2\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);

    // Deleted by hand behind the store's back: the restore fails (the job
    // then reruns), and the rerun's output must reach the store again.
    rmSync(store.pathOf(hash));
    await assert.rejects(store.copyOut(hash, join(dir, 'restored.txt')));
    store.putBytes(bytes, hash);
    await store.copyOut(hash, join(dir, 'restored.txt'));
    assert.equal(readFileSync(join(dir, 'restored.txt'), 'utf8'), 'run 2\n');
  });
});
