import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {resampleAtlas} from '../../src/fmri/atlas-resample.js';
import type {Grid} from '../../src/fmri/grid.js';
import type {SparseMaps} from '../../src/fmri/sparse-maps.js';
import {writeNifti1} from '../../src/io/nifti-write.js';
import {withTempDir} from '../io/helpers.js';

/** Maps as dense rows: one row per target voxel, one column per map. */
function dense(maps: SparseMaps, voxels: number): number[][] {
  return Array.from({length: voxels}, (_, p) => {
    const row = new Array<number>(maps.maps).fill(0);
    for (let e = maps.rowPtr[p]!; e < maps.rowPtr[p + 1]!; e++) {
      row[maps.col[e]!] = maps.val[e]!;
    }
    return row;
  });
}

void test('an atlas stored scaled (int16 with slope and offset) resamples like the float one, and stays 0 outside its grid', async () => {
  await withTempDir(async (dir) => {
    // 4×4×4 voxels, 2 maps; values 0.5 + 0.01·n, so int16 with slope 0.01
    // and offset 0.5 stores them exactly.
    const [nx, ny, nz, maps] = [4, 4, 4, 2];
    const count = nx * ny * nz * maps;
    const steps = Int16Array.from({length: count}, (_, i) => (i * 37) % 101);
    const values = Float32Array.from(steps, (n) => 0.5 + 0.01 * n);
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const shape = [nx, ny, nz, maps];
    const asFloat = join(dir, 'atlas-f32.nii');
    const asInt = join(dir, 'atlas-i16.nii');
    await writeNifti1(asFloat, {
      shape,
      affine: identity,
      data: values,
      gzip: false,
    });
    await writeNifti1(asInt, {
      shape,
      affine: identity,
      data: steps,
      sclSlope: 0.01,
      sclInter: 0.5,
      gzip: false,
    });

    // A target grid half a voxel off in y and 2 voxels wider in x: its
    // last two columns lie outside the atlas.
    const target: Grid = {
      dims: [6, 4, 4],
      affine: [1, 0, 0, 0, 0, 1, 0, 0.5, 0, 0, 1, 0, 0, 0, 0, 1],
    };
    const voxels = Int32Array.from({length: 6 * 4 * 4}, (_, i) => i);
    const f = await resampleAtlas(asFloat, target, voxels, 'maps');
    const s = await resampleAtlas(asInt, target, voxels, 'maps');
    const a = dense(f.maps, voxels.length);
    const b = dense(s.maps, voxels.length);
    for (let p = 0; p < voxels.length; p++) {
      for (let k = 0; k < maps; k++) {
        assert.ok(
          Math.abs(a[p]![k]! - b[p]![k]!) < 1e-5,
          `voxel ${p} map ${k}`,
        );
      }
      const outside = p % 6 >= 4 || Math.floor(p / 6) % 4 === 3;
      if (outside) assert.deepEqual(b[p], [0, 0], `voxel ${p} is outside`);
      else assert.ok(b[p]![0]! >= 0.5, `voxel ${p} is inside`);
    }
  });
});
