import {fileAffine} from '../io/nifti-affine.js';
import {readNifti, readNiftiFrames, readNiftiHeader} from '../io/nifti-read.js';
import {frameCount, spatialDims, type Grid} from './grid.js';
import {SparseMapsBuilder, type SparseMaps} from './sparse-maps.js';
import {
  applyStencil,
  nearestIndex,
  stencilWeights,
  trilinearStencil,
} from './trilinear.js';

/** An atlas read and resampled onto target voxels. */
export interface ResampledAtlas {
  readonly kind: 'maps' | 'labels';
  readonly maps: SparseMaps;
  readonly labels: string[];
}

/**
 * Reads a probabilistic atlas (4D, one map per volume) frame by frame and
 * resamples each map trilinearly onto `voxels` of `target`; or a label
 * atlas (3D integers) by nearest neighbour into indicator maps, one per
 * non-zero label (least squares on indicators gives the mean per label).
 */
export async function resampleAtlas(
  file: string,
  target: Grid,
  voxels: Int32Array,
  kind: 'auto' | 'maps' | 'labels' = 'auto',
  onProgress?: (done: number, total: number) => void,
): Promise<ResampledAtlas> {
  const header = await readNiftiHeader(file);
  const source: Grid = {
    dims: spatialDims(header.shape),
    affine: fileAffine(file, header),
  };
  const isLabels =
    kind === 'labels' ||
    (kind === 'auto' &&
      header.shape.length === 3 &&
      !header.datatypeInfo.name.startsWith('float'));
  if (isLabels) return labelMaps(file, source, target, voxels);
  const stencil = trilinearStencil(source, target, voxels);
  const builder = new SparseMapsBuilder(voxels.length);
  const values = new Float64Array(voxels.length);
  const total = frameCount(header.shape);
  const {sclSlope: m, sclInter: b} = header;
  // Interpolation is linear, so scaling after it is exact once the offset
  // is weighted too: Σw·(m·x + b) = m·Σw·x + b·Σw, where Σw is 1 inside
  // the atlas's grid and 0 outside it (which stays 0, as with no offset).
  const weights = b === 0 ? undefined : stencilWeights(stencil);
  await readNiftiFrames(
    file,
    (frame, t) => {
      applyStencil(stencil, frame, values);
      if (m !== 1 || weights !== undefined) {
        for (let i = 0; i < values.length; i++) {
          values[i] =
            values[i]! * m + (weights === undefined ? 0 : b * weights[i]!);
        }
      }
      builder.addMap(values);
      if (t % 32 === 31) onProgress?.(t + 1, total);
    },
    {header},
  );
  const labels = Array.from({length: total}, (_, k) => String(k + 1));
  return {kind: 'maps', maps: builder.build(), labels};
}

async function labelMaps(
  file: string,
  source: Grid,
  target: Grid,
  voxels: Int32Array,
): Promise<ResampledAtlas> {
  const image = await readNifti(file);
  const {sclSlope: m, sclInter: b} = image.header;
  const near = nearestIndex(source, target, voxels);
  const labelOf = new Float64Array(voxels.length);
  const distinct = new Set<number>();
  for (let p = 0; p < voxels.length; p++) {
    const i = near[p]!;
    const v = i < 0 ? 0 : Math.round(image.data[i]! * m + b);
    labelOf[p] = v;
    if (v !== 0) distinct.add(v);
  }
  const sorted = [...distinct].sort((x, y) => x - y);
  const builder = new SparseMapsBuilder(voxels.length);
  const indicator = new Float64Array(voxels.length);
  for (const label of sorted) {
    for (let p = 0; p < voxels.length; p++)
      indicator[p] = labelOf[p] === label ? 1 : 0;
    builder.addMap(indicator);
  }
  return {kind: 'labels', maps: builder.build(), labels: sorted.map(String)};
}
