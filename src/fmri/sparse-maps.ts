/**
 * K spatial maps restricted to V voxels, stored sparsely by voxel (CSR):
 * voxel v's non-zero weights are val[rowPtr[v] .. rowPtr[v+1]) for the maps
 * col[...]. A probabilistic atlas at fMRI resolution is mostly zeros, so
 * products with it cost nnz, not V·K.
 */
export interface SparseMaps {
  readonly voxels: number;
  readonly maps: number;
  readonly rowPtr: Int32Array;
  readonly col: Int32Array;
  readonly val: Float32Array;
}

/** Collects maps one at a time (each a dense vector over the V voxels). */
export class SparseMapsBuilder {
  private readonly voxelOf: number[] = [];
  private readonly mapOf: number[] = [];
  private readonly values: number[] = [];
  private count = 0;

  constructor(readonly voxels: number) {}

  /** Adds the next map; values with |w| <= `zero` are dropped. */
  addMap(values: ArrayLike<number>, zero = 0): void {
    const k = this.count++;
    for (let v = 0; v < this.voxels; v++) {
      const w = values[v]!;
      if (Math.abs(w) > zero) {
        this.voxelOf.push(v);
        this.mapOf.push(k);
        this.values.push(w);
      }
    }
  }

  /** The CSR form (a counting sort of the triplets by voxel). */
  build(): SparseMaps {
    const nnz = this.values.length;
    const rowPtr = new Int32Array(this.voxels + 1);
    for (const v of this.voxelOf) rowPtr[v + 1]!++;
    for (let v = 0; v < this.voxels; v++) rowPtr[v + 1]! += rowPtr[v]!;
    const fill = rowPtr.slice(0, this.voxels);
    const col = new Int32Array(nnz);
    const val = new Float32Array(nnz);
    // Triplets arrive map by map, so each voxel's maps end up sorted.
    for (let e = 0; e < nnz; e++) {
      const at = fill[this.voxelOf[e]!]!++;
      col[at] = this.mapOf[e]!;
      val[at] = this.values[e]!;
    }
    return {voxels: this.voxels, maps: this.count, rowPtr, col, val};
  }
}

/**
 * The maps restricted to the voxels that hold a weight: `rows` are those
 * voxels' positions in `m`. Dropping empty rows leaves `col` and `val`
 * as they are, so both are shared, not copied.
 */
export function dropEmptyRows(m: SparseMaps): {
  rows: Int32Array;
  maps: SparseMaps;
} {
  const rows: number[] = [];
  for (let v = 0; v < m.voxels; v++) {
    if (m.rowPtr[v + 1]! > m.rowPtr[v]!) rows.push(v);
  }
  const rowPtr = new Int32Array(rows.length + 1);
  for (const [i, v] of rows.entries()) rowPtr[i + 1] = m.rowPtr[v + 1]!;
  return {
    rows: Int32Array.from(rows),
    maps: {...m, voxels: rows.length, rowPtr},
  };
}

/** The K×K normal matrix M·Mᵀ (Float64, full symmetric). */
export function gramMatrix(m: SparseMaps): Float64Array {
  const k = m.maps;
  const g = new Float64Array(k * k);
  for (let v = 0; v < m.voxels; v++) {
    const start = m.rowPtr[v]!;
    const end = m.rowPtr[v + 1]!;
    for (let a = start; a < end; a++) {
      const ca = m.col[a]! * k;
      const wa = m.val[a]!;
      for (let b = start; b < end; b++) g[ca + m.col[b]!]! += wa * m.val[b]!;
    }
  }
  return g;
}
