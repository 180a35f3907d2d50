import {headerAffine} from '../io/nifti-affine.js';
import {readNiftiFrames, readNiftiHeader} from '../io/nifti-read.js';
import {FormatError} from '../io/format-error.js';
import {sameGrid, spatialDims} from './grid.js';
import type {PreparedAtlas} from './prepared-atlas.js';

/** Parcel time series: T rows of K values, row-major. */
export interface ParcelSeries {
  readonly frames: number;
  readonly parcels: number;
  readonly data: Float64Array;
}

/**
 * Projects a BOLD run onto a prepared atlas: for each volume x, the
 * least-squares coefficients a minimising ‖x − Mᵀa‖ over the atlas voxels
 * (NiftiMapsMasker's estimate), as a = (M·Mᵀ)⁺·(M·x). The run is streamed
 * frame by frame; M·x costs one pass over the sparse maps per volume.
 */
export async function projectRun(
  file: string,
  atlas: PreparedAtlas,
  onProgress?: (done: number, total: number) => void,
): Promise<ParcelSeries> {
  const header = await readNiftiHeader(file);
  const grid = {dims: spatialDims(header.shape), affine: headerAffine(header).affine};
  if (!sameGrid(grid, atlas.grid)) {
    throw new FormatError(
      file,
      'dim/affine',
      `grid ${grid.dims.join('x')} does not match the prepared atlas's ${atlas.grid.dims.join('x')} (prepare the atlas for this grid)`,
    );
  }
  const k = atlas.maps.maps;
  const frames = header.shape.slice(3).reduce((a, b) => a * b, 1);
  const mx = new Float64Array(frames * k);
  const {rowPtr, col, val} = atlas.maps;
  const voxels = atlas.voxels;
  const {sclSlope: slope, sclInter: inter} = header;
  await readNiftiFrames(file, (frame, t) => {
    const row = t * k;
    for (let p = 0; p < voxels.length; p++) {
      const x = frame[voxels[p]!]! * slope + inter;
      if (x === 0) continue;
      for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++) mx[row + col[e]!]! += x * val[e]!;
    }
    if (t % 16 === 15) onProgress?.(t + 1, frames);
  });
  return {frames, parcels: k, data: solveRows(mx, frames, atlas.solver, k)};
}

/** Multiplies each K-row of `b` by the symmetric K×K `solver`. */
export function solveRows(
  b: Float64Array,
  rows: number,
  solver: Float64Array,
  k: number,
): Float64Array {
  const out = new Float64Array(rows * k);
  for (let t = 0; t < rows; t++) {
    const o = t * k;
    for (let c = 0; c < k; c++) {
      const v = b[o + c]!;
      if (v === 0) continue;
      const s = c * k;
      for (let j = 0; j < k; j++) out[o + j]! += v * solver[s + j]!;
    }
  }
  return out;
}
