import {headerAffine} from '../io/nifti-affine.js';
import {readNiftiFrames, readNiftiHeader} from '../io/nifti-read.js';
import {FormatError} from '../io/format-error.js';
import {sameGrid, spatialDims} from './grid.js';
import {ortMatmul} from './ort-matmul.js';
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
  const grid = {
    dims: spatialDims(header.shape),
    affine: headerAffine(header).affine,
  };
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
      for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++)
        mx[row + col[e]!]! += x * val[e]!;
    }
    if (t % 16 === 15) onProgress?.(t + 1, frames);
  });
  // The K×K multiply pays for onnxruntime (~0.4 s in JS for K = 1024).
  const fast =
    k >= 128 ? await ortMatmul(mx, frames, atlas.solver, k, k) : undefined;
  return {
    frames,
    parcels: k,
    data: fast ?? solveRows(mx, frames, atlas.solver, k),
  };
}

/** Multiplies each K-row of `b` by the symmetric K×K `solver`. */
export function solveRows(
  b: Float64Array,
  rows: number,
  solver: Float64Array,
  k: number,
): Float64Array {
  const out = new Float64Array(rows * k);
  // Four rows at a time: each solver row is streamed from memory once per
  // block instead of once per row (the solver is 8 MB for K = 1024).
  let t = 0;
  for (; t + 4 <= rows; t += 4) {
    const o0 = t * k;
    const o1 = o0 + k;
    const o2 = o1 + k;
    const o3 = o2 + k;
    for (let c = 0; c < k; c++) {
      const v0 = b[o0 + c]!;
      const v1 = b[o1 + c]!;
      const v2 = b[o2 + c]!;
      const v3 = b[o3 + c]!;
      const s = c * k;
      for (let j = 0; j < k; j++) {
        const p = solver[s + j]!;
        out[o0 + j]! += v0 * p;
        out[o1 + j]! += v1 * p;
        out[o2 + j]! += v2 * p;
        out[o3 + j]! += v3 * p;
      }
    }
  }
  for (; t < rows; t++) {
    const o = t * k;
    for (let c = 0; c < k; c++) {
      const v = b[o + c]!;
      const s = c * k;
      for (let j = 0; j < k; j++) out[o + j]! += v * solver[s + j]!;
    }
  }
  return out;
}
