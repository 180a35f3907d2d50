import type {VoxelArray} from '../io/nifti-data.js';

/**
 * Running voxel-wise mean over time, fed one 3D frame at a time (so a run
 * is never held whole). Values are scaled by `slope`/`inter` first and
 * accumulated in Float64, as numpy's mean of an int16 array is.
 */
export class TemporalMean {
  private readonly sum: Float64Array;
  private frames = 0;

  constructor(
    readonly voxels: number,
    private readonly slope = 1,
    private readonly inter = 0,
  ) {
    this.sum = new Float64Array(voxels);
  }

  /** Adds one frame of stored values. */
  add(frame: VoxelArray): void {
    const {sum, slope, inter} = this;
    for (let i = 0; i < sum.length; i++) sum[i]! += frame[i]! * slope + inter;
    this.frames++;
  }

  /** The mean image (a new array). */
  mean(): Float64Array {
    const out = new Float64Array(this.sum.length);
    const n = Math.max(1, this.frames);
    for (let i = 0; i < out.length; i++) out[i] = this.sum[i]! / n;
    return out;
  }
}
