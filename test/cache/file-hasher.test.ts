import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import {FileHasher} from '../../src/cache/file-hasher.js';
import {StateStore} from '../../src/cache/state-store.js';

void test('small files hash at once, large ones off the main thread; both as sha256sum would, and memoized', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neuromake-hasher-'));
  const store = StateStore.open(join(dir, '.neuromake'));
  t.after(() => {
    store.close();
    rmSync(dir, {recursive: true, force: true});
  });
  const small = Buffer.from('a small input\n');
  const large = Buffer.alloc(300 * 1024, 7);
  writeFileSync(join(dir, 'small.txt'), small);
  writeFileSync(join(dir, 'large.bin'), large);
  const reference = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  const hasher = new FileHasher(dir, store);
  const now = hasher.hash('small.txt');
  assert.ok(!(now instanceof Promise), 'a small file is answered at once');
  assert.deepEqual(now, {ok: true, hash: reference(small), size: small.length});
  const later = hasher.hash('large.bin');
  assert.ok(later instanceof Promise, 'a large file goes to the thread pool');
  assert.deepEqual(await later, {
    ok: true,
    hash: reference(large),
    size: large.length,
  });

  // Both were remembered: the next lookups are stat-only memo hits.
  assert.equal(store.file('small.txt')?.hash, reference(small));
  assert.equal(store.file('large.bin')?.hash, reference(large));
  assert.deepEqual(hasher.hash('missing.txt'), {ok: false, reason: 'missing'});
  assert.deepEqual(hasher.hash('.neuromake'), {
    ok: false,
    reason: 'not-a-file',
  });
});
