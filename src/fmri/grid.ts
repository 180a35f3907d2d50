import type {Affine} from '../io/nifti-affine.js';

/** A 3D voxel grid: its size and voxel-to-world affine (row-major 4×4). */
export interface Grid {
  readonly dims: readonly [number, number, number];
  readonly affine: Affine;
}

/** Number of voxels in a grid. */
export function voxelCount(grid: Pick<Grid, 'dims'>): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2];
}

/** The first three dims of an image shape (missing ones are 1). */
export function spatialDims(
  shape: readonly number[],
): [number, number, number] {
  return [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
}

/** Volumes in an image shape: the product of the dims after the third. */
export function frameCount(shape: readonly number[]): number {
  return shape.slice(3).reduce((a, b) => a * b, 1);
}

/** Whether two grids have the same dims and (to 1e-4 mm) the same affine. */
export function sameGrid(a: Grid, b: Grid): boolean {
  return (
    a.dims.every((d, i) => d === b.dims[i]) &&
    a.affine.every((v, i) => Math.abs(v - b.affine[i]!) < 1e-4)
  );
}
