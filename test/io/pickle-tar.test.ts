import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {readNpy} from '../../src/io/npy.js';
import {unpickle} from '../../src/io/pickle.js';
import {readTar} from '../../src/io/tar.js';
import importPyd from '../../src/tasks/fmri/import-pyd.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {fixture, withTempDir} from './helpers.js';

const EXPECTED = Array.from({length: 24}, (_, i) => i / 8 - 1);

for (const protocol of [2, 5]) {
  void test(`import-pyd reads a pickle protocol ${protocol} tar into .npy [T, K] with its TR`, async () => {
    await withTempDir(async (dir) => {
      const series = join(dir, 's.npy');
      const sidecar = join(dir, 's.json');
      await runStandalone(
        importPyd,
        {tar: fixture(`pyd-protocol${protocol}.tar`)},
        {series, sidecar},
      );
      const npy = await readNpy(series);
      assert.deepEqual(npy.shape, [6, 4]);
      assert.deepEqual(Array.from(npy.data), EXPECTED);
      const meta = JSON.parse(await readFile(sidecar, 'utf8')) as {
        RepetitionTime: number;
        key: string;
      };
      assert.equal(meta.RepetitionTime, 2);
      assert.equal(meta.key, 'sub-03_task-dis_run-1');
    });
  });
}

void test('tar entries are listed with their names', async () => {
  const entries = await readTar(fixture('pyd-protocol2.tar'));
  assert.deepEqual(
    entries.map((e) => e.name),
    ['sub-03_task-dis_run-1.bold.pyd', 'sub-03_task-dis_run-1.t_r.pyd'],
  );
});

void test('a corrupt tar header fails on its checksum', async () => {
  await withTempDir(async (dir) => {
    const b = Buffer.from(await readFile(fixture('pyd-protocol2.tar')));
    b[10] = 0x41;
    const file = join(dir, 'bad.tar');
    await writeFile(file, b);
    await assert.rejects(readTar(file), /checksum/);
  });
});

void test('unpickling refuses globals other than numpy reconstructors', () => {
  // protocol 2: GLOBAL os.system, then STOP.
  const evil = Buffer.concat([
    Buffer.from([0x80, 2]),
    Buffer.from('cos\nsystem\n', 'latin1'),
    Buffer.from('.'),
  ]);
  assert.throws(() => unpickle(evil, 'evil.pyd'), /os\.system is not allowed/);
});

void test('a truncated pickle is reported, not crashed on', () => {
  assert.throws(
    () => unpickle(Buffer.from([0x80, 2, 0x47, 1, 2]), 't.pyd'),
    /truncated/,
  );
});
