import {readBundle, writeBundle} from '../io/array-bundle.js';
import {FormatError} from '../io/format-error.js';
import type {Grid} from './grid.js';
import {pseudoInverse} from './pseudo-inverse.js';
import {gramMatrix, type SparseMaps} from './sparse-maps.js';

/**
 * An atlas made ready for one BOLD grid: the maps resampled to it and cut
 * to a set of voxels (sparse), with the pseudo-inverse of their normal
 * matrix, so that projecting a run is a sparse product and a K×K multiply.
 */
export interface PreparedAtlas {
  readonly kind: 'maps' | 'labels';
  readonly grid: Grid;
  /** Target-grid voxel indices (x fastest) the maps are restricted to. */
  readonly voxels: Int32Array;
  readonly maps: SparseMaps;
  /** (M·Mᵀ)⁺, K×K row-major. */
  readonly solver: Float64Array;
  readonly rank: number;
  readonly labels: readonly string[];
  /** Maps with no weight inside the voxels (their signal is 0). */
  readonly emptyMaps: readonly number[];
  readonly sources: Readonly<Record<string, string>>;
}

/**
 * Computes the solver for sparse maps: empty maps are left out of the
 * factorisation (their coefficient is 0, as in lstsq's minimum-norm
 * answer), the rest go through `pseudoInverse`.
 */
export function solverFor(maps: SparseMaps): {
  solver: Float64Array;
  rank: number;
  emptyMaps: number[];
} {
  const k = maps.maps;
  const g = gramMatrix(maps);
  const keep: number[] = [];
  const emptyMaps: number[] = [];
  for (let i = 0; i < k; i++) (g[i * k + i]! > 0 ? keep : emptyMaps).push(i);
  const n = keep.length;
  const sub = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) sub[a * n + b] = g[keep[a]! * k + keep[b]!]!;
  }
  const {matrix, rank} = pseudoInverse(sub, n);
  const solver = new Float64Array(k * k);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++)
      solver[keep[a]! * k + keep[b]!] = matrix[a * n + b]!;
  }
  return {solver, rank, emptyMaps};
}

/** Saves a prepared atlas as a bundle file. */
export async function savePreparedAtlas(
  file: string,
  p: PreparedAtlas,
): Promise<void> {
  await writeBundle(
    file,
    {
      format: 'neuromake-prepared-atlas',
      version: 1,
      kind: p.kind,
      dims: p.grid.dims,
      affine: p.grid.affine,
      voxelCount: p.maps.voxels,
      mapCount: p.maps.maps,
      rank: p.rank,
      labels: p.labels,
      emptyMaps: p.emptyMaps,
      sources: p.sources,
    },
    {
      voxels: p.voxels,
      rowPtr: p.maps.rowPtr,
      col: p.maps.col,
      val: p.maps.val,
      solver: p.solver,
    },
  );
}

/** Loads a prepared atlas saved by `savePreparedAtlas`. */
export async function loadPreparedAtlas(file: string): Promise<PreparedAtlas> {
  const {meta, arrays} = await readBundle(file);
  if (meta['format'] !== 'neuromake-prepared-atlas') {
    throw new FormatError(file, 'format', 'not a prepared atlas');
  }
  const get = <T>(name: string, ctor: new (n: number) => T): T => {
    const a = arrays[name];
    if (!(a instanceof ctor))
      throw new FormatError(file, name, 'missing or of the wrong type');
    return a;
  };
  const voxels = get('voxels', Int32Array);
  const mapCount = Number(meta['mapCount']);
  return {
    kind: meta['kind'] === 'labels' ? 'labels' : 'maps',
    grid: {
      dims: meta['dims'] as [number, number, number],
      affine: meta['affine'] as number[],
    },
    voxels,
    maps: {
      voxels: voxels.length,
      maps: mapCount,
      rowPtr: get('rowPtr', Int32Array),
      col: get('col', Int32Array),
      val: get('val', Float32Array),
    },
    solver: get('solver', Float64Array),
    rank: Number(meta['rank']),
    labels: meta['labels'] as string[],
    emptyMaps: meta['emptyMaps'] as number[],
    sources: meta['sources'] as Record<string, string>,
  };
}
