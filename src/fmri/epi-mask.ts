import {largestComponent} from './connected-components.js';
import {gaussianFilter1d} from './gaussian-filter.js';
import {binaryDilation, binaryErosion} from './morphology.js';
import {sortFloat64} from './sort-float.js';

/** Parameters of the EPI mask, named and defaulted as nilearn names them. */
export interface EpiMaskOptions {
  /** Fraction of the sorted intensities below which no threshold lies. */
  readonly lowerCutoff: number;
  /** Fraction above which no threshold lies. */
  readonly upperCutoff: number;
  /** Keep only the largest connected component. */
  readonly connected: boolean;
  /** Erosion iterations (then 2× dilation and 1× erosion); 0 = none. */
  readonly opening: number;
  /** Leave voxels that are exactly 0 out of the histogram. */
  readonly excludeZeros: boolean;
}

const DEFAULT_EPI_MASK_OPTIONS: EpiMaskOptions = {
  lowerCutoff: 0.2,
  upperCutoff: 0.85,
  connected: true,
  opening: 2,
  excludeZeros: false,
};

/** The mask and the numbers behind it, for the log and the sidecar. */
export interface EpiMaskResult {
  readonly mask: Uint8Array;
  readonly threshold: number;
  readonly voxels: number;
}

/**
 * The brain mask of nilearn's compute_epi_mask from a mean EPI image:
 * smooth the mean (FWHM 1 voxel, when opening is on), find the largest gap
 * between neighbours in the sorted intensities between the two cutoffs and
 * threshold at its midpoint, erode, keep the largest component, then
 * dilate twice as far and erode again. `mean` is modified (smoothed).
 */
export function computeEpiMask(
  mean: Float64Array,
  dims: readonly [number, number, number],
  options: Partial<EpiMaskOptions> = {},
): EpiMaskResult {
  const o = {...DEFAULT_EPI_MASK_OPTIONS, ...options};
  for (let i = 0; i < mean.length; i++) {
    if (!Number.isFinite(mean[i]!)) mean[i] = 0;
  }
  if (o.opening > 0) {
    // nilearn smooths the mean with fwhm=1 against an identity affine, so
    // sigma is 1/sqrt(8 ln 2) voxels whatever the voxel size.
    const sigma = 1 / Math.sqrt(8 * Math.log(2));
    for (const axis of [0, 1, 2] as const) {
      gaussianFilter1d(mean, dims, axis, sigma);
    }
  }
  const threshold = gapThreshold(mean, o);
  let mask: Uint8Array = new Uint8Array(mean.length);
  for (let i = 0; i < mean.length; i++) mask[i] = mean[i]! >= threshold ? 1 : 0;
  const opening = Math.trunc(o.opening);
  if (opening > 0) mask = binaryErosion(mask, dims, opening);
  if (o.connected && mask.includes(1)) mask = largestComponent(mask, dims);
  if (opening > 0) {
    mask = binaryDilation(mask, dims, 2 * opening);
    mask = binaryErosion(mask, dims, opening);
  }
  let voxels = 0;
  for (let i = 0; i < mask.length; i++) voxels += mask[i]!;
  return {mask, threshold, voxels};
}

/** Midpoint of the widest gap in the sorted values between the cutoffs. */
export function gapThreshold(
  values: Float64Array,
  o: Pick<EpiMaskOptions, 'lowerCutoff' | 'upperCutoff' | 'excludeZeros'>,
): number {
  const kept = o.excludeZeros ? values.filter((v) => v !== 0) : values;
  const n = kept.length;
  if (n < 2) throw new Error('EPI mask: fewer than two voxels to threshold');
  const lower = Math.floor(o.lowerCutoff * n);
  const upper = Math.min(Math.floor(o.upperCutoff * n), n - 1);
  if (!(lower < upper)) {
    throw new Error(
      `EPI mask: lower_cutoff ${o.lowerCutoff} must be below upper_cutoff ${o.upperCutoff}`,
    );
  }
  // Only ranks lower … upper are read below.
  const sorted = sortFloat64(kept, lower, upper);
  let best = lower;
  let widest = -Infinity;
  for (let i = lower; i < upper; i++) {
    const gap = sorted[i + 1]! - sorted[i]!;
    if (gap > widest) {
      widest = gap;
      best = i;
    }
  }
  return 0.5 * (sorted[best]! + sorted[best + 1]!);
}
