import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';

import Database from 'better-sqlite3';

import {INLINE_BLOB_MAX} from '../../src/cache/blob-table.js';
import {ContentStore} from '../../src/cache/content-store.js';
import {StateStore} from '../../src/cache/state-store.js';
import {sha256, type Sha256Hex} from '../../src/util/hash.js';
import {scratchDir} from '../rig/fixtures.js';

/** A content store beside a state store, both in a fresh directory. */
function open(t: TestContext): {
  dir: string;
  state: StateStore;
  store: ContentStore;
} {
  const dir = scratchDir(t, 'content-store');
  const state = StateStore.open(join(dir, 'state'));
  t.after(() => state.close());
  return {dir, state, store: new ContentStore(join(dir, 'store'), state.blobs)};
}

/** Stores `count` distinct blobs of 60 kB (rows) and returns their hashes. */
function fill(store: ContentStore, count: number): Sha256Hex[] {
  const hashes: Sha256Hex[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Buffer.alloc(60_000, `blob ${i}\n`);
    hashes.push(sha256(bytes));
    store.putBytes(bytes, hashes[i]!);
  }
  return hashes;
}

/** The state database's size in pages. */
function pages(state: StateStore): number {
  return state.db.pragma('page_count', {simple: true}) as number;
}

/** Bytes one over the inline limit, so they are kept as a file. */
function large(text: string): Buffer {
  return Buffer.alloc(INLINE_BLOB_MAX + 1, text);
}

void describe('content store', () => {
  void test('a large blob is a file under its hash, with no temporary left', (t) => {
    const {dir, store} = open(t);
    const bytes = large('subject 01\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);
    store.putBytes(bytes, hash);
    assert.deepEqual(readFileSync(store.pathOf(hash)), bytes);
    const shard = readdirSync(join(dir, 'store', hash.slice(0, 2)));
    assert.deepEqual(shard, [hash.slice(2)]);
  });

  void test('a small blob is a row, committed with the records', async (t) => {
    const {dir, state, store} = open(t);
    const bytes = Buffer.alloc(INLINE_BLOB_MAX, 'run 1\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);
    assert.equal(existsSync(join(dir, 'store')), false);

    // Restorable at once, from memory; another connection sees nothing
    // until the commit (a runner killed now leaves no half a record).
    assert.equal(await store.has(hash), true);
    await store.copyOut(hash, join(dir, 'early.txt'));
    assert.deepEqual(readFileSync(join(dir, 'early.txt')), bytes);
    const other = StateStore.open(join(dir, 'state'));
    t.after(() => other.close());
    assert.equal(other.blobs.has(hash), false);

    state.flush();
    assert.deepEqual(other.blobs.get(hash), bytes);
    const again = new ContentStore(join(dir, 'store'), other.blobs);
    await again.copyOut(hash, join(dir, 'late.txt'));
    assert.deepEqual(readFileSync(join(dir, 'late.txt')), bytes);
    assert.deepEqual(other.blobs.sizes(), [{hash, size: INLINE_BLOB_MAX}]);
  });

  void test('compact gives the pages of removed rows back', (t) => {
    const {state, store} = open(t);
    assert.equal(state.db.pragma('auto_vacuum', {simple: true}), 2);
    const hashes = fill(store, 20);
    state.flush();
    const before = pages(state);
    state.blobs.remove(hashes.slice(1));
    assert.deepEqual(
      state.blobs.sizes().map((b) => b.hash),
      hashes.slice(0, 1),
    );
    state.compact();
    assert.ok(pages(state) < before / 5, `${pages(state)} of ${before}`);

    // A removed blob stored again is queued again, not taken as there.
    store.putBytes(Buffer.alloc(60_000, 'blob 1\n'), hashes[1]!);
    state.flush();
    assert.equal(state.blobs.sizes().length, 2);
  });

  void test('a failed commit drops its blobs: storing them again commits them', (t) => {
    const {state, store} = open(t);
    state.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON jobs
      WHEN NEW.id = 'refused' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const bytes = Buffer.from('ok\n');
    const hash = sha256(bytes);
    const record = {
      key: sha256('key'),
      keyRecord: '{}',
      outputs: {out: {path: 'out/a.txt', hash, size: bytes.length}},
      run: 1,
      ms: 1,
    };
    store.putBytes(bytes, hash);
    state.putJob('refused', record);
    assert.throws(() => state.flush(), /disk full/);
    assert.equal(state.blobs.has(hash), false);

    // The same bytes from the next job must reach the table with its record.
    store.putBytes(bytes, hash);
    state.putJob('accepted', record);
    state.flush();
    assert.deepEqual(state.blobs.get(hash), bytes);
  });

  void test('compact converts a database made before incremental vacuum', (t) => {
    const dir = scratchDir(t, 'content-store');
    const old = new Database(join(dir, 'state.db'));
    old.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY)');
    old.close();
    const state = StateStore.open(dir);
    t.after(() => state.close());
    const mode = () => state.db.pragma('auto_vacuum', {simple: true});
    assert.equal(mode(), 0, 'an older file keeps its mode when opened');

    const store = new ContentStore(join(dir, 'store'), state.blobs);
    const hashes = fill(store, 20);
    state.flush();
    const before = pages(state);
    state.blobs.remove(hashes.slice(1));
    state.compact();
    assert.ok(pages(state) < before / 5, `${pages(state)} of ${before}`);
    assert.equal(mode(), 2, 'converted to incremental');
  });

  void test('a blob found missing by has() is stored again', async (t) => {
    const {store} = open(t);
    const bytes = large('run 3\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);
    rmSync(store.pathOf(hash));
    assert.equal(await store.has(hash), false);
    store.putBytes(bytes, hash);
    assert.equal(await store.has(hash), true);
    assert.deepEqual(readFileSync(store.pathOf(hash)), bytes);
  });

  void test('a blob found missing when restoring is stored again', async (t) => {
    const {dir, store} = open(t);
    const bytes = large('run 2\n');
    const hash = sha256(bytes);
    store.putBytes(bytes, hash);

    // Deleted by hand behind the store's back: the restore fails (the job
    // then reruns), and the rerun's output must reach the store again.
    rmSync(store.pathOf(hash));
    await assert.rejects(store.copyOut(hash, join(dir, 'restored.txt')));
    store.putBytes(bytes, hash);
    await store.copyOut(hash, join(dir, 'restored.txt'));
    assert.deepEqual(readFileSync(join(dir, 'restored.txt')), bytes);
  });

  void test('a copy out gets the mode asked for, whatever the blob is', async (t) => {
    const {dir, store} = open(t);
    // A row, a file written from bytes, and a file copied from an
    // executable output (which keeps the output's mode in the store).
    const row = Buffer.from('#!/bin/sh\necho row\n');
    const written = large('#!/bin/sh\n');
    const copied = Buffer.alloc(300_000, '#!/bin/sh\n');
    store.putBytes(row, sha256(row));
    store.putBytes(written, sha256(written));
    const source = join(dir, 'copied-source');
    writeFileSync(source, copied);
    chmodSync(source, 0o755);
    await store.put(source, sha256(copied));

    const modeOf = (path: string) => statSync(path).mode & 0o7777;
    for (const [i, bytes] of [row, written, copied].entries()) {
      const hash = sha256(bytes);
      await store.copyOut(hash, join(dir, `x${i}`), 0o750);
      assert.equal(modeOf(join(dir, `x${i}`)), 0o750, `blob ${i}`);
      assert.deepEqual(readFileSync(join(dir, `x${i}`)), bytes);
      await store.copyOut(hash, join(dir, `ro${i}`), 0o640);
      assert.equal(modeOf(join(dir, `ro${i}`)), 0o640, `blob ${i}`);
      // Set-id and sticky bits are never restored.
      await store.copyOut(hash, join(dir, `id${i}`), 0o7755);
      assert.equal(modeOf(join(dir, `id${i}`)), 0o755, `blob ${i}`);
    }
    // No mode (a record of an older version): the default, as before.
    await store.copyOut(sha256(row), join(dir, 'old'));
    assert.equal(modeOf(join(dir, 'old')) & 0o111, 0);
  });
});
