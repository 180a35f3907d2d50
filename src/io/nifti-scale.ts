import type {VoxelArray} from './nifti-data.js';
import type {NiftiHeader} from './nifti-header.js';

/** Summary statistics over the finite voxels of the scaled data. */
export interface VoxelStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly finiteCount: number;
}

/** Stored values scaled by scl_slope/scl_inter, as Float32 (or a copy). */
export function scaledFloat32(
  header: NiftiHeader,
  data: VoxelArray,
): Float32Array {
  return scaleInto(header, data, new Float32Array(data.length));
}

/**
 * Stored values scaled by scl_slope/scl_inter, as Float64: what nibabel's
 * get_fdata() returns.
 */
export function scaledFloat64(
  header: NiftiHeader,
  data: VoxelArray,
): Float64Array {
  return scaleInto(header, data, new Float64Array(data.length));
}

function scaleInto<T extends Float32Array | Float64Array>(
  header: NiftiHeader,
  data: VoxelArray,
  out: T,
): T {
  const {sclSlope: m, sclInter: b} = header;
  if (m === 1 && b === 0) {
    out.set(data);
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * m + b;
  return out;
}

/** Running min/max/mean of scaled values, fed frame by frame. */
export class StatsAccumulator {
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;
  private count = 0;

  constructor(
    private readonly slope: number,
    private readonly inter: number,
  ) {}

  /** Adds the stored values of one array (or frame). */
  add(data: VoxelArray): void {
    let min = this.min;
    let max = this.max;
    let sum = 0;
    let count = 0;
    const {slope, inter} = this;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]! * slope + inter;
      // Non-finite values (NaN outside the brain in SPM output) are skipped.
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      count++;
    }
    this.min = min;
    this.max = max;
    this.sum += sum;
    this.count += count;
  }

  /** The statistics so far; NaN when no finite voxel was seen. */
  result(): VoxelStats {
    const none = this.count === 0;
    return {
      min: none ? NaN : this.min,
      max: none ? NaN : this.max,
      mean: none ? NaN : this.sum / this.count,
      finiteCount: this.count,
    };
  }
}
