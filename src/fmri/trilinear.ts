import {invertAffine, multiplyAffine} from '../io/nifti-affine.js';
import type {Grid} from './grid.js';

/**
 * For each target voxel, the 8 source voxels and weights of trilinear
 * interpolation through both affines (scipy.ndimage order=1 with mode
 * 'constant': points outside the source grid get 0). Computed once per
 * pair of grids and reused for every map.
 */
export interface Stencil {
  /** 8 source voxel indices per target voxel (-1 = outside). */
  readonly index: Int32Array;
  readonly weight: Float32Array;
  readonly points: number;
}

/** Source voxel coordinates of the target voxels `voxels`. */
function sourceCoords(
  source: Grid,
  target: Grid,
  voxels: Int32Array,
): Float64Array {
  const m = multiplyAffine(invertAffine(source.affine), target.affine);
  const [nx, ny] = target.dims;
  const out = new Float64Array(voxels.length * 3);
  for (let p = 0; p < voxels.length; p++) {
    const v = voxels[p]!;
    const i = v % nx;
    const j = Math.floor(v / nx) % ny;
    const k = Math.floor(v / (nx * ny));
    for (let r = 0; r < 3; r++) {
      out[3 * p + r] =
        m[4 * r]! * i + m[4 * r + 1]! * j + m[4 * r + 2]! * k + m[4 * r + 3]!;
    }
  }
  return out;
}

/** Trilinear stencil of `voxels` (target grid indices) into `source`. */
export function trilinearStencil(
  source: Grid,
  target: Grid,
  voxels: Int32Array,
): Stencil {
  const coords = sourceCoords(source, target, voxels);
  const [sx, sy, sz] = source.dims;
  const index = new Int32Array(voxels.length * 8).fill(-1);
  const weight = new Float32Array(voxels.length * 8);
  const eps = 1e-6;
  for (let p = 0; p < voxels.length; p++) {
    const x = coords[3 * p]!;
    const y = coords[3 * p + 1]!;
    const z = coords[3 * p + 2]!;
    if (x < -eps || y < -eps || z < -eps) continue;
    if (x > sx - 1 + eps || y > sy - 1 + eps || z > sz - 1 + eps) continue;
    const x0 = Math.min(Math.max(Math.floor(x), 0), sx - 1);
    const y0 = Math.min(Math.max(Math.floor(y), 0), sy - 1);
    const z0 = Math.min(Math.max(Math.floor(z), 0), sz - 1);
    const fx = Math.min(Math.max(x - x0, 0), 1);
    const fy = Math.min(Math.max(y - y0, 0), 1);
    const fz = Math.min(Math.max(z - z0, 0), 1);
    let c = 0;
    for (let dz = 0; dz < 2; dz++) {
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++, c++) {
          const w =
            (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz);
          const xi = Math.min(x0 + dx, sx - 1);
          const yi = Math.min(y0 + dy, sy - 1);
          const zi = Math.min(z0 + dz, sz - 1);
          if (w === 0) continue;
          index[8 * p + c] = xi + sx * (yi + sy * zi);
          weight[8 * p + c] = w;
        }
      }
    }
  }
  return {index, weight, points: voxels.length};
}

/** Nearest-neighbour lookup (for label atlases): one index per voxel. */
export function nearestIndex(
  source: Grid,
  target: Grid,
  voxels: Int32Array,
): Int32Array {
  const coords = sourceCoords(source, target, voxels);
  const [sx, sy, sz] = source.dims;
  const out = new Int32Array(voxels.length).fill(-1);
  for (let p = 0; p < voxels.length; p++) {
    const x = Math.round(coords[3 * p]!);
    const y = Math.round(coords[3 * p + 1]!);
    const z = Math.round(coords[3 * p + 2]!);
    if (x < 0 || y < 0 || z < 0 || x >= sx || y >= sy || z >= sz) continue;
    out[p] = x + sx * (y + sy * z);
  }
  return out;
}

/** Applies a stencil to one source map; returns values at the targets. */
export function applyStencil(
  stencil: Stencil,
  map: ArrayLike<number>,
  out: Float64Array,
): void {
  const {index, weight} = stencil;
  for (let p = 0; p < stencil.points; p++) {
    let s = 0;
    for (let c = 8 * p; c < 8 * p + 8; c++) {
      const i = index[c]!;
      if (i >= 0) s += weight[c]! * map[i]!;
    }
    out[p] = s;
  }
}

/** Each target point's total stencil weight: 1 inside the source, else 0. */
export function stencilWeights(stencil: Stencil): Float64Array {
  const sums = new Float64Array(stencil.points);
  const {index, weight} = stencil;
  for (let p = 0; p < stencil.points; p++) {
    let s = 0;
    for (let c = 8 * p; c < 8 * p + 8; c++) if (index[c]! >= 0) s += weight[c]!;
    sums[p] = s;
  }
  return sums;
}
