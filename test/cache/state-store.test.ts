import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import Database from 'better-sqlite3';

import {StateStore} from '../../src/cache/state-store.js';
import type {Sha256Hex} from '../../src/util/hash.js';

// Rows are read by column position: a store written through plain SQL (as
// any earlier version wrote it) must come back field for field.
void test('a store written before loads every field of its rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neuromake-store-'));
  try {
    const db = new Database(join(dir, 'state.db'));
    db.exec(`
      CREATE TABLE files (
        path TEXT PRIMARY KEY, size INTEGER, mtime REAL, ino INTEGER,
        hash TEXT);
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY, key TEXT, record TEXT, outputs TEXT,
        run INTEGER, ms REAL);`);
    db.prepare('INSERT INTO files VALUES (?, ?, ?, ?, ?)').run(
      'out/a.txt',
      12,
      1700000000123.5,
      4242,
      'ab'.repeat(32),
    );
    const outputs = {out: {path: 'out/a.txt', hash: 'ab'.repeat(32), size: 12}};
    db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)').run(
      'copy[i=1]',
      'cd'.repeat(32),
      '{"action":{}}',
      JSON.stringify(outputs),
      7,
      3.25,
    );
    db.close();

    const store = StateStore.open(dir);
    try {
      // Rows from before change times were kept have none: not compared.
      assert.deepEqual(store.file('out/a.txt'), {
        ctimeMs: undefined,
        size: 12,
        mtimeMs: 1700000000123.5,
        ino: 4242,
        hash: 'ab'.repeat(32),
      });
      const job = store.job('copy[i=1]');
      assert.ok(job !== undefined);
      assert.equal(job.key, 'cd'.repeat(32));
      assert.equal(job.keyRecord, '{"action":{}}');
      assert.deepEqual(job.outputs, outputs);
      assert.equal(job.run, 7);
      assert.equal(job.ms, 3.25);
      assert.deepEqual([...store.jobs().keys()], ['copy[i=1]']);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

void test('removed cache entries are gone, also those recorded in this process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neuromake-store-'));
  const store = StateStore.open(dir);
  try {
    const record = (key: string, run: number) => ({
      key: key as Sha256Hex,
      keyRecord: '{}',
      outputs: {out: {path: 'out/a.txt', hash: key as Sha256Hex, size: 1}},
      run,
      ms: 1,
    });
    const [old, recent] = ['ab'.repeat(32), 'cd'.repeat(32)] as Sha256Hex[];
    store.beginRun('run');
    store.putJob('copy[i=1]', record(old!, 1));
    store.beginRun('run');
    store.putJob('copy[i=1]', record(recent!, 2));
    assert.equal(store.lastRun(), 2);
    assert.deepEqual(
      store.cacheEntries().map((e) => [e.key, e.run]),
      [
        [recent, 2],
        [old, 1],
      ],
    );

    store.removeCacheEntries([old!]);
    assert.equal(store.cacheEntry(old!), undefined);
    assert.equal(store.cacheEntry(recent!)?.run, 2);
    assert.deepEqual(
      store.cacheEntries().map((e) => e.key),
      [recent],
    );
  } finally {
    store.close();
    rmSync(dir, {recursive: true, force: true});
  }
});
