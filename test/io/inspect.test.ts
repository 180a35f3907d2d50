import assert from 'node:assert/strict';
import {copyFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {inspectCommand} from '../../src/cli/inspect.js';
import {fixture, withTempDir} from './helpers.js';

function capture(): {write(s: string): void; text: () => string} {
  let buf = '';
  return {write: (s) => void (buf += s), text: () => buf};
}

void test('inspect --json gives the documented keys and values', async () => {
  const out = capture();
  assert.equal(
    await inspectCommand([fixture('tiny-scaled-uint8.nii'), '--json'], out),
    0,
  );
  const r = JSON.parse(out.text()) as Record<string, unknown>;
  for (const key of [
    'shape',
    'datatype',
    'voxel_size',
    'tr_seconds',
    'affine',
    'scl_slope',
    'scl_inter',
    'nifti_version',
    'min',
    'max',
    'mean',
  ]) {
    assert.ok(key in r, `key ${key}`);
  }
  assert.deepEqual(r['shape'], [4, 3, 2]);
  assert.equal(r['datatype'], 'uint8');
  assert.deepEqual(r['voxel_size'], [3, 3, 3]);
  assert.equal(r['tr_seconds'], null);
  assert.equal(r['scl_slope'], 0.5);
  assert.equal(r['nifti_version'], 1);
  assert.deepEqual((r['affine'] as number[][])[3], [0, 0, 0, 1]);
  assert.ok(
    (r['min'] as number) >= 10 && (r['max'] as number) <= 10 + 0.5 * 255,
  );
});

void test('inspect takes the TR from a BIDS sidecar over the header', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'sub-01_task-dis_run-1_bold.nii.gz');
    await copyFile(fixture('tiny-int16.nii.gz'), file);
    await writeFile(
      join(dir, 'sub-01_task-dis_run-1_bold.json'),
      '{"RepetitionTime": 2.5}',
    );
    const out = capture();
    assert.equal(await inspectCommand([file, '--json'], out), 0);
    const r = JSON.parse(out.text()) as Record<string, unknown>;
    assert.equal(r['tr_seconds'], 2.5);
    assert.equal(r['tr_source'], 'sidecar');
    assert.equal(r['header_tr_seconds'], 2);
    const text = capture();
    await inspectCommand([file], text);
    assert.match(text.text(), /TR +2\.5 s \(sidecar\); header says 2 s/);
    assert.match(text.text(), /orientation +LAS/);
  });
});

void test('inspect reports unreadable files with exit code 1 and usage errors with 2', async () => {
  await withTempDir(async (dir) => {
    const bad = join(dir, 'bad.nii');
    await writeFile(bad, Buffer.alloc(400));
    const out = capture();
    assert.equal(await inspectCommand([bad], out), 1);
    assert.match(out.text(), /bad\.nii: sizeof_hdr/);
    assert.equal(await inspectCommand([], capture()), 2);
  });
});
