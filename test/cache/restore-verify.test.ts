import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import Database from 'better-sqlite3';

import {INLINE_BLOB_MAX} from '../../src/cache/blob-table.js';
import {ContentStore} from '../../src/cache/content-store.js';
import {StateStore} from '../../src/cache/state-store.js';
import {sha256} from '../../src/util/hash.js';
import {scratchDir} from '../rig/fixtures.js';
import {
  eventsOf,
  FILE_CONCURRENCY,
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
} from '../rig/workspace-rig.js';

/** What the tests write over the start of a blob. */
const GARBAGE = 'CORRUPT';

/** Overwrites the start of a file in place, keeping its size. */
function scribble(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, GARBAGE, 0);
  } finally {
    closeSync(fd);
  }
}

/** The same bytes with {@link GARBAGE} over their start. */
function scribbled(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.write(GARBAGE, 0);
  return copy;
}

/**
 * Two independent counted steps: `big` copies a 200 kB input (its output
 * is a blob file), `small` a tiny one (its output is a row).
 */
function bigAndSmall(rig: WorkspaceRig): void {
  rig.write('in/big.txt', 'a line of the big input\n'.repeat(8_500));
  rig.write('in/small.txt', 'a small input\n');
  rig.pipeline(
    'steps:',
    '  big:',
    '    inputs: {src: in/big.txt}',
    '    outputs: {out: out/big.txt}',
    '    shell: "sh tools/fake.sh big {outputs.out} {inputs.src}"',
    '  small:',
    '    inputs: {src: in/small.txt}',
    '    outputs: {out: out/small.txt}',
    '    shell: "sh tools/fake.sh small {outputs.out} {inputs.src}"',
  );
}

/** Opens the rig's state database for `use` (between CLI runs). */
function onStateDb(rig: WorkspaceRig, use: (db: Database.Database) => void) {
  const db = new Database(rig.path('.neuromake/state.db'));
  try {
    use(db);
  } finally {
    db.close();
  }
}

/** Checks a run put a corrupt blob's job back in shape by rerunning it. */
function assertRerun(
  rig: WorkspaceRig,
  result: Awaited<ReturnType<WorkspaceRig['run']>>,
  job: string,
  hash: string,
): void {
  assert.equal(result.code, 0, show(result));
  assert.equal(outcomes(result)[job], 'ran', show(result));
  const warnings = eventsOf(result, 'warning').map((e) => e.message ?? '');
  assert.ok(
    warnings.some((m) => m.includes(hash) && m.includes('corrupt')),
    `a warning names the corrupt blob:\n${show(result)}`,
  );
  assert.deepEqual(rig.tempFiles(), []);
}

void describe(
  'restoring verifies blobs',
  {concurrency: FILE_CONCURRENCY},
  () => {
    void test('a corrupt blob file is caught at restore: the job reruns', async (t) => {
      const rig = WorkspaceRig.create(t);
      bigAndSmall(rig);
      assert.equal((await rig.run('run')).code, 0);
      const original = rig.bytes('out/big.txt');
      assert.ok(original.length > INLINE_BLOB_MAX);
      const hash = rig.sha256('out/big.txt');
      const blob = rig.path(
        `.neuromake/store/${hash.slice(0, 2)}/${hash.slice(2)}`,
      );
      assert.ok(existsSync(blob), 'the big output is a blob file');
      scribble(blob);

      // The reviewer's repro: an edit and back, so the old key restores.
      const input = rig.bytes('in/big.txt');
      rig.write('in/big.txt', 'edited\n');
      assert.equal((await rig.run('run')).code, 0);
      assert.deepEqual(rig.counts(), {big: 2, small: 1});
      rig.write('in/big.txt', input);
      const reverted = await rig.run('run', '--json');
      assertRerun(rig, reverted, 'big', hash);
      assert.deepEqual(rig.counts(), {big: 3, small: 1});
      assert.deepEqual(rig.bytes('out/big.txt'), original);
      // The rerun stored its output again, whole.
      assert.equal(sha256(readFileSync(blob)), hash);

      const status = await rig.run('status');
      assert.match(status.stdout, /^2 fresh, 0 not fresh of 2 jobs$/m);
      const after = await rig.run('run', '--json');
      assert.equal(runEnd(after)['fresh'], 2, show(after));
      rig.remove('out/big.txt');
      const restored = await rig.run('run', '--json');
      assert.equal(outcomes(restored)['big'], 'restored', show(restored));
      assert.deepEqual(rig.counts(), {big: 3, small: 1});
      assert.deepEqual(rig.bytes('out/big.txt'), original);
    });

    void test('a corrupt blob row is caught at restore: the job reruns', async (t) => {
      const rig = WorkspaceRig.create(t);
      bigAndSmall(rig);
      assert.equal((await rig.run('run')).code, 0);
      const original = rig.bytes('out/small.txt');
      const hash = rig.sha256('out/small.txt');
      onStateDb(rig, (db) => {
        const change = db
          .prepare('UPDATE blobs SET bytes = ? WHERE hash = ?')
          .run(scribbled(original), hash);
        assert.equal(change.changes, 1, 'the small output is a row');
      });
      rig.remove('out/small.txt');

      const result = await rig.run('run', '--json');
      assertRerun(rig, result, 'small', hash);
      assert.deepEqual(rig.counts(), {big: 1, small: 2});
      assert.deepEqual(rig.bytes('out/small.txt'), original);
      onStateDb(rig, (db) => {
        const bytes = db
          .prepare('SELECT bytes FROM blobs WHERE hash = ?')
          .pluck()
          .get(hash) as Buffer;
        assert.deepEqual(bytes, original, 'the rerun stored the row again');
      });

      const status = await rig.run('status');
      assert.match(status.stdout, /^2 fresh, 0 not fresh of 2 jobs$/m);
      const after = await rig.run('run', '--json');
      assert.equal(runEnd(after)['fresh'], 2, show(after));
    });

    void test('copyOut removes a corrupt blob, file or row, and says which', async (t) => {
      const dir = scratchDir(t, 'restore-verify');
      const state = StateStore.open(join(dir, 'state'));
      t.after(() => state.close());
      const store = new ContentStore(join(dir, 'store'), state.blobs);
      const file = Buffer.alloc(INLINE_BLOB_MAX * 3, 'file blob\n');
      const row = Buffer.from('row blob\n');
      store.putBytes(file, sha256(file));
      store.putBytes(row, sha256(row));
      state.flush();

      scribble(store.pathOf(sha256(file)));
      state.db
        .prepare('UPDATE blobs SET bytes = ? WHERE hash = ?')
        .run(scribbled(row), sha256(row));
      for (const bytes of [file, row]) {
        const hash = sha256(bytes);
        const destination = join(dir, 'out', hash);
        await assert.rejects(store.copyOut(hash, destination), (err: Error) => {
          assert.match(err.message, new RegExp(`blob ${hash} .* corrupt`));
          return true;
        });
        assert.equal(existsSync(destination), false, 'no corrupt copy left');
        assert.equal(await store.has(hash), false, 'the blob is gone');

        // The job's rerun stores the bytes again, and they restore.
        store.putBytes(bytes, hash);
        state.flush();
        await store.copyOut(hash, destination);
        assert.deepEqual(readFileSync(destination), bytes);
      }
    });
  },
);
