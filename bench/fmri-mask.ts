import {join} from 'node:path';

import {computeEpiMask} from '../src/fmri/epi-mask.js';
import {spatialDims} from '../src/fmri/grid.js';
import {TemporalMean} from '../src/fmri/temporal-mean.js';
import {readNifti} from '../src/io/nifti-read.js';
import {benchData, best, isMain, peer, peersAvailable} from './fmri-common.js';

/**
 * EPI mask (temporal mean + mask, data in memory) vs nilearn's algorithm
 * in numpy/scipy on the same run, best of 10 each.
 */
export async function main(): Promise<Record<string, number>> {
  const d = await benchData();
  const image = await readNifti(d.bold);
  const dims = spatialDims(image.header.shape);
  const n = dims[0] * dims[1] * dims[2];
  let voxels = 0;
  const ours = await best(10, () => {
    const mean = new TemporalMean(n);
    for (let t = 0; t < image.data.length / n; t++)
      mean.add(image.data.subarray(t * n, (t + 1) * n));
    voxels = computeEpiMask(mean.mean(), dims).voxels;
    return Promise.resolve();
  });
  const out: Record<string, number> = {neuromake_seconds: ours, voxels};
  if (await peersAvailable()) {
    const p = await peer('epi_mask.py', [
      d.bold,
      join(d.dir, 'peer-mask.nii.gz'),
      '--repeat',
      '10',
    ]);
    out['numpy_seconds'] = Number(p['seconds']);
    out['numpy_voxels'] = Number(p['voxels']);
    out['ratio_vs_numpy'] = Number(p['seconds']) / ours;
  }
  console.log(`fmri-mask: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
