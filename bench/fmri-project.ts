import {join} from 'node:path';

import {loadPreparedAtlas} from '../src/fmri/prepared-atlas.js';
import {projectRun} from '../src/fmri/projection.js';
import {readNpy, writeNpy} from '../src/io/npy.js';
import {readNifti, readNiftiHeader} from '../src/io/nifti-read.js';
import {scaledFloat32} from '../src/io/nifti-scale.js';
import atlasPrepare from '../src/tasks/fmri/atlas-prepare.js';
import mask from '../src/tasks/fmri/mask.js';
import {runStandalone} from '../src/tasks/fmri/standalone.js';
import {benchData, best, isMain, peer, peersAvailable} from './fmri-common.js';

/**
 * Atlas preparation (1024 maps on a 3 mm grid → the BOLD grid) and
 * per-run projection, vs numpy.linalg.lstsq on the same masked arrays.
 */
export async function main(): Promise<Record<string, number>> {
  const d = await benchData();
  const maskFile = join(d.dir, 'mask.nii.gz');
  const prepared = join(d.dir, 'prepared.bin');
  await runStandalone(
    mask,
    {bold: d.bold},
    {mask: maskFile, report: join(d.dir, 'mask.json')},
  );
  const prep = await runStandalone(
    atlasPrepare,
    {atlas: d.atlas, grid: d.bold, mask: maskFile},
    {prepared, report: join(d.dir, 'prepared.json')},
  );
  const atlas = await loadPreparedAtlas(prepared);
  let series = await projectRun(d.bold, await readNiftiHeader(d.bold), atlas);
  const perRun = await best(3, async () => {
    // Timed with its header read, as the fmri.project task does it.
    series = await projectRun(d.bold, await readNiftiHeader(d.bold), atlas);
  });
  const k = atlas.maps.maps;
  const v = atlas.voxels.length;
  const out: Record<string, number> = {
    maps: k,
    voxels: v,
    nonzeros: atlas.maps.val.length,
    prepare_seconds: prep.seconds,
    project_seconds_per_run: perRun,
  };
  if (await peersAvailable()) {
    // The same arrays for numpy: dense maps K×V and masked data T×V.
    const dense = new Float32Array(k * v);
    const {rowPtr, col, val} = atlas.maps;
    for (let p = 0; p < v; p++) {
      for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++)
        dense[col[e]! * v + p] = val[e]!;
    }
    const image = await readNifti(d.bold);
    const data = scaledFloat32(image.header, image.data);
    const n = data.length / series.frames;
    const x = new Float32Array(series.frames * v);
    for (let t = 0; t < series.frames; t++) {
      for (let p = 0; p < v; p++)
        x[t * v + p] = data[t * n + atlas.voxels[p]!]!;
    }
    await writeNpy(join(d.dir, 'maps.npy'), dense, [k, v]);
    await writeNpy(join(d.dir, 'x.npy'), x, [series.frames, v]);
    const result = join(d.dir, 'lstsq.npy');
    const p = await peer('lstsq.py', [
      join(d.dir, 'maps.npy'),
      join(d.dir, 'x.npy'),
      result,
    ]);
    const ref = (await readNpy(result)).data;
    let worst = 0;
    let scale = 0;
    for (const r of ref) scale = Math.max(scale, Math.abs(r));
    for (let i = 0; i < ref.length; i++)
      worst = Math.max(worst, Math.abs(ref[i]! - series.data[i]!) / scale);
    out['numpy_lstsq_seconds'] = Number(p['seconds']);
    out['ratio_vs_numpy_lstsq'] = Number(p['seconds']) / perRun;
    out['max_relative_difference'] = worst;
  }
  console.log(`fmri-project: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
