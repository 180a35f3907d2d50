import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {writeNifti1} from '../../src/io/nifti-write.js';
import atlasPrepare from '../../src/tasks/fmri/atlas-prepare.js';
import mask from '../../src/tasks/fmri/mask.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {withTempDir} from '../io/helpers.js';

/** A 4×4×4 image of ones (`frames` volumes), 2 mm voxels at `offset`. */
async function image(
  file: string,
  frames: number,
  offset = 0,
  affine?: number[],
): Promise<string> {
  await writeNifti1(file, {
    shape: frames === 1 ? [4, 4, 4] : [4, 4, 4, frames],
    affine: affine ?? [2, 0, 0, offset, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1],
    data: new Float32Array(64 * frames).fill(1),
    gzip: false,
  });
  return file;
}

/** Runs fmri.atlas-prepare and returns the message it failed with. */
async function prepareError(
  dir: string,
  inputs: Record<string, string>,
): Promise<string> {
  const o = (n: string) => join(dir, n);
  try {
    await runStandalone(atlasPrepare, inputs, {
      prepared: o('prepared.bin'),
      report: o('prepared.json'),
    });
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('fmri.atlas-prepare accepted it');
}

void test('an atlas with a singular affine is refused, naming the file and field', async () => {
  await withTempDir(async (dir) => {
    const grid = await image(join(dir, 'bold.nii'), 3);
    const zeros = new Array<number>(12).fill(0).concat([0, 0, 0, 1]);
    const atlas = await image(join(dir, 'atlas.nii'), 2, 0, zeros);
    const message = await prepareError(dir, {atlas, grid});
    assert.match(
      message,
      /atlas\.nii: srow_x\/y\/z \(sform_code \d\): the voxel-to-world affine is singular/,
    );
  });
});

void test('an atlas that does not overlap the grid is an error, not series of zeros', async () => {
  await withTempDir(async (dir) => {
    const grid = await image(join(dir, 'bold.nii'), 3);
    const atlas = await image(join(dir, 'atlas.nii'), 2, 1000);
    const message = await prepareError(dir, {atlas, grid});
    assert.match(
      message,
      /atlas\.nii: affine: no atlas map has any weight on the grid of .*bold\.nii/,
    );
    assert.match(
      message,
      /the atlas covers x 1000…1006, y 0…6, z 0…6 mm, the grid x 0…6/,
    );
  });
});

void test('a labels file that is not JSON names the file', async () => {
  await withTempDir(async (dir) => {
    const grid = await image(join(dir, 'bold.nii'), 3);
    const atlas = await image(join(dir, 'atlas.nii'), 2);
    const labels = join(dir, 'labels.json');
    await writeFile(labels, '{"labels": [1, 2,');
    const message = await prepareError(dir, {atlas, grid, labels});
    assert.match(
      message,
      /labels\.json: JSON: .*; write \{"labels": \["name", \.\.\.\]\}/,
    );
  });
});

void test('fmri.mask checks its cutoffs before reading the run', async () => {
  await withTempDir(async (dir) => {
    const bold = await image(join(dir, 'bold.nii'), 3);
    await assert.rejects(
      runStandalone(
        mask,
        {bold},
        {mask: join(dir, 'mask.nii.gz'), report: join(dir, 'mask.json')},
        {lower_cutoff: 0.9, upper_cutoff: 0.5},
      ),
      {
        name: 'TaskInputError',
        message: /lower_cutoff \(0\.9\) must be below upper_cutoff \(0\.5\)/,
      },
    );
  });
});
