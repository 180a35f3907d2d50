import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';

import {headerAffine} from '../../src/io/nifti-affine.js';
import {NIFTI_UNITS_MSEC} from '../../src/io/nifti-constants.js';
import {
  readNifti,
  readNiftiFrames,
  readNiftiHeader,
} from '../../src/io/nifti-read.js';
import {scaledFloat32} from '../../src/io/nifti-scale.js';
import {headerTrSeconds} from '../../src/io/nifti-time.js';
import {fixture} from './helpers.js';

interface Expected {
  file: string;
  shape: number[];
  affine: number[][];
  scaled: number[];
  zooms: number[];
}

const expected = JSON.parse(
  await readFile(fixture('expected.json'), 'utf8'),
) as Record<string, Expected>;

function close(
  a: readonly number[],
  b: readonly number[],
  tol: number,
  what: string,
): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
}

for (const [name, e] of Object.entries(expected)) {
  void test(`reads the nibabel-written fixture ${e.file} like nibabel (${name})`, async () => {
    const image = await readNifti(fixture(e.file));
    assert.deepEqual(image.header.shape, e.shape);
    close(headerAffine(image.header).affine, e.affine.flat(), 1e-5, 'affine');
    close(
      Array.from(scaledFloat32(image.header, image.data)),
      e.scaled,
      1e-6,
      'data',
    );
  });
}

void test('NIfTI-2, big-endian, pair and scaled fixtures report their header facts', async () => {
  assert.equal((await readNifti(fixture('tiny-nifti2.nii'))).header.version, 2);
  const be = await readNifti(fixture('tiny-bigendian-float32.nii'));
  assert.equal(be.header.littleEndian, false);
  assert.equal(be.header.datatypeInfo.name, 'float32');
  const pair = await readNifti(fixture('tiny-pair.hdr'));
  assert.equal(pair.header.singleFile, false);
  const scaled = await readNifti(fixture('tiny-scaled-uint8.nii'));
  assert.equal(scaled.header.sclSlope, 0.5);
  assert.equal(scaled.header.sclInter, 10);
});

void test('qform-only header: affine from the quaternion, TR from milliseconds, extension kept', async () => {
  const image = await readNifti(fixture('tiny-qform-msec-ext.nii'));
  assert.equal(headerAffine(image.header).source, 'qform');
  assert.equal(image.header.xyztUnits & 0x38, NIFTI_UNITS_MSEC);
  assert.equal(headerTrSeconds(image.header), 2);
  assert.equal(image.header.extensions.length, 1);
  assert.equal(image.header.extensions[0]!.code, 6);
  assert.match(
    Buffer.from(image.header.extensions[0]!.data).toString('latin1'),
    /neuromake fixture/,
  );
});

void test('frame-by-frame reading gives the same values as reading whole', async () => {
  const whole = await readNifti(fixture('tiny-int16.nii.gz'));
  const frames: number[] = [];
  await readNiftiFrames(fixture('tiny-int16.nii.gz'), (f) => {
    frames.push(...f);
  });
  assert.deepEqual(frames, Array.from(whole.data));
});

void test('frame-by-frame reading with the header given reads the same frames', async () => {
  const file = fixture('tiny-int16.nii.gz');
  const whole = await readNifti(file);
  const header = await readNiftiHeader(file);
  const frames: number[] = [];
  const returned = await readNiftiFrames(
    file,
    (f) => {
      frames.push(...f);
    },
    {header},
  );
  assert.deepEqual(frames, Array.from(whole.data));
  assert.deepEqual(returned.shape, header.shape);
});
