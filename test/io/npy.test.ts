import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {encodeNpyHeader, readNpy, writeNpy} from '../../src/io/npy.js';
import {python, pythonSkipReason, withTempDir} from './helpers.js';

void test('the .npy v1.0 header is padded so data start on a 64-byte boundary', () => {
  const h = encodeNpyHeader('<f4', [166, 1024]);
  assert.equal(h.length % 64, 0);
  assert.equal(h[6], 1);
  assert.equal(h[7], 0);
  assert.match(
    h.toString('latin1'),
    /\{'descr': '<f4', 'fortran_order': False, 'shape': \(166, 1024\), \} *\n$/,
  );
  assert.match(
    encodeNpyHeader('<f4', [3]).toString('latin1'),
    /'shape': \(3,\)/,
  );
});

void test('npy round trip through our reader', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'x.npy');
    const data = Float32Array.from({length: 12}, (_, i) => i / 3);
    await writeNpy(file, data, [3, 4]);
    const back = await readNpy(file);
    assert.deepEqual(back.shape, [3, 4]);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  });
});

void test('numpy.load reads our float32 .npy with the right shape and values', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  await withTempDir(async (dir) => {
    const file = join(dir, 'x.npy');
    const data = Float32Array.from({length: 6}, (_, i) => i - 2.5);
    await writeNpy(file, data, [2, 3]);
    const out = await python(
      `import sys, numpy as np
a = np.load(sys.argv[1]); print(a.dtype, a.shape, a.ravel().tolist())`,
      [file],
    );
    assert.equal(
      out.trim(),
      'float32 (2, 3) [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]',
    );
  });
});

void test('a truncated .npy names the data', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'x.npy');
    await writeNpy(file, new Float32Array(10), [10]);
    const b = await readFile(file);
    await writeFile(file, b.subarray(0, b.length - 4));
    await assert.rejects(readNpy(file), /data: holds 36 bytes/);
  });
});
