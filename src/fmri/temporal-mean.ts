import type {VoxelArray} from '../io/nifti-data.js';
import {createFrameSummer, type FrameSummer} from './simd-sum.js';

/** Frames of 16-bit values an Int32 sum takes without overflow (2^31 / 2^15). */
const INT_FRAMES = 65536;

/**
 * Running voxel-wise mean over time, fed one 3D frame at a time (so a run
 * is never held whole). Stored values are summed and scaled by
 * `slope`/`inter` at the end (the mean commutes with the affine scaling).
 *
 * Why two accumulators: 8- and 16-bit frames (every ds000212 run) are
 * summed exactly in Int32 (16-bit ones with WebAssembly SIMD, ~6× faster
 * than a Float64 loop); the result equals numpy's float64 mean of the
 * stored values bit for bit, since every partial sum is an integer below
 * 2^53.
 */
export class TemporalMean {
  private readonly sum: Float64Array;
  private readonly intSum: Int32Array;
  private simd: FrameSummer | null | undefined;
  private intFrames = 0;
  /** Of the intFrames, how many were summed in JS (into intSum). */
  private jsFrames = 0;
  private frames = 0;

  constructor(
    readonly voxels: number,
    private readonly slope = 1,
    private readonly inter = 0,
  ) {
    this.sum = new Float64Array(voxels);
    this.intSum = new Int32Array(voxels);
  }

  /** Adds one frame of stored values. */
  add(frame: VoxelArray): void {
    const wide = frame instanceof Int16Array || frame instanceof Uint16Array;
    if (wide || frame instanceof Int8Array || frame instanceof Uint8Array) {
      if (this.intFrames === INT_FRAMES - 1) this.flushInt();
      this.simd ??= createFrameSummer(this.voxels) ?? null;
      if (wide && this.simd !== null && frame.length === this.voxels) {
        this.simd.add(frame);
      } else {
        addInt(this.intSum, frame);
        this.jsFrames++;
      }
      this.intFrames++;
    } else {
      const {sum} = this;
      for (let i = 0; i < sum.length; i++) sum[i]! += frame[i]!;
    }
    this.frames++;
  }

  /** The mean image (a new array). */
  mean(): Float64Array {
    this.flushInt();
    const {sum, slope, inter} = this;
    const out = new Float64Array(sum.length);
    const n = Math.max(1, this.frames);
    if (slope === 1 && inter === 0) {
      for (let i = 0; i < out.length; i++) out[i] = sum[i]! / n;
    } else {
      for (let i = 0; i < out.length; i++)
        out[i] = (sum[i]! / n) * slope + inter;
    }
    return out;
  }

  private flushInt(): void {
    if (this.intFrames === 0) return;
    const {sum, intSum} = this;
    const simd = this.simd?.sums();
    if (this.jsFrames > 0) {
      for (let i = 0; i < sum.length; i++) sum[i]! += intSum[i]!;
      intSum.fill(0);
    }
    if (simd !== undefined && this.jsFrames < this.intFrames) {
      for (let i = 0; i < sum.length; i++) sum[i]! += simd[i]!;
      this.simd?.reset();
    }
    this.intFrames = 0;
    this.jsFrames = 0;
  }
}

/** acc += frame (its own function, so V8 optimises the hot loop alone). */
function addInt(
  acc: Int32Array,
  frame: Int16Array | Uint16Array | Int8Array | Uint8Array,
): void {
  const n = acc.length;
  for (let i = 0; i < n; i++) acc[i]! += frame[i]!;
}
