import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {headerAffine} from '../../src/io/nifti-affine.js';
import {readNifti} from '../../src/io/nifti-read.js';
import {writeNifti1} from '../../src/io/nifti-write.js';
import {python, pythonSkipReason, withTempDir} from './helpers.js';

// An oblique, left-handed (x flipped) affine, as scanner data have.
// prettier-ignore
const AFFINE = [
  -3.125, 0, 0, 99.5,
  0, 3.0076, -1.086, -95.8,
  0, 0.8485, 3.8497, -71.9,
  0, 0, 0, 1,
];
const SHAPE = [5, 4, 3, 2];

function ramp(): Int16Array {
  return Int16Array.from({length: 5 * 4 * 3 * 2}, (_, i) => i * 7 - 50);
}

void test('our writer and reader round-trip data and affine (.nii and .nii.gz, frames)', async () => {
  await withTempDir(async (dir) => {
    for (const name of ['a.nii', 'a.nii.gz']) {
      const file = join(dir, name);
      const data = ramp();
      const frames = [data.slice(0, 60), data.slice(60)];
      await writeNifti1(file, {
        shape: SHAPE,
        affine: AFFINE,
        data: frames,
        gzip: name.endsWith('.gz'),
        timeStep: 2,
      });
      const back = await readNifti(file);
      assert.deepEqual(Array.from(back.data), Array.from(data));
      const {affine, source} = headerAffine(back.header);
      assert.equal(source, 'sform');
      affine.forEach((v, i) => assert.ok(Math.abs(v - AFFINE[i]!) < 1e-4));
    }
  });
});

void test('nibabel reads what we write with the same data, affine and qform', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  await withTempDir(async (dir) => {
    const file = join(dir, 'w.nii.gz');
    await writeNifti1(file, {
      shape: SHAPE,
      affine: AFFINE,
      data: ramp(),
      gzip: true,
      timeStep: 2,
      descrip: 'round trip',
    });
    const out = await python(
      `import sys, json, nibabel as nib, numpy as np
img = nib.load(sys.argv[1])
print(json.dumps({'data': np.asanyarray(img.dataobj).ravel(order='F').tolist(), 'affine': img.affine.tolist(),
  'qform': img.get_qform().tolist(), 'dtype': str(img.get_data_dtype()), 'zooms': [float(z) for z in img.header.get_zooms()],
  'descrip': img.header['descrip'].item().decode()}))`,
      [file],
    );
    const r = JSON.parse(out) as {
      data: number[];
      affine: number[][];
      qform: number[][];
      dtype: string;
      zooms: number[];
      descrip: string;
    };
    assert.deepEqual(r.data, Array.from(ramp()));
    assert.equal(r.dtype, 'int16');
    assert.equal(r.descrip, 'round trip');
    assert.equal(r.zooms[3], 2);
    r.affine
      .flat()
      .forEach((v, i) =>
        assert.ok(Math.abs(v - AFFINE[i]!) < 1e-4, `affine ${i}`),
      );
    // The qform is a rotation, so it matches only up to the shear in AFFINE.
    r.qform
      .flat()
      .forEach((v, i) =>
        assert.ok(Math.abs(v - AFFINE[i]!) < 0.05, `qform ${i}: ${v}`),
      );
  });
});

void test('the writer refuses data that do not match the shape', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeNifti1(join(dir, 'bad.nii'), {
        shape: [2, 2, 2],
        affine: AFFINE,
        data: new Uint8Array(7),
        gzip: false,
      }),
      /needs 8 values, got 7/,
    );
  });
});
