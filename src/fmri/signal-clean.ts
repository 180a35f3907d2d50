import {filtfilt, highPassSections, padLength} from './butterworth.js';
import {cosineDrift, regressOut} from './confounds.js';
import type {ParcelSeries} from './projection.js';

/** How to standardise each parcel's series after projection. */
export type Standardize = 'none' | 'zscore' | 'zscore_sample';

/**
 * Removes each column's mean and least-squares linear trend, as nilearn's
 * signal.clean(detrend=True) does. In place.
 */
function detrend(s: ParcelSeries): void {
  const {frames: n, parcels: k, data} = s;
  if (n < 2) return;
  const tMean = (n - 1) / 2;
  let tt = 0;
  for (let t = 0; t < n; t++) tt += (t - tMean) ** 2;
  for (let c = 0; c < k; c++) {
    let mean = 0;
    for (let t = 0; t < n; t++) mean += data[t * k + c]!;
    mean /= n;
    let slope = 0;
    for (let t = 0; t < n; t++)
      slope += (t - tMean) * (data[t * k + c]! - mean);
    slope /= tt;
    for (let t = 0; t < n; t++) data[t * k + c]! -= mean + slope * (t - tMean);
  }
}

/**
 * Z-scores each column: mean 0 and standard deviation 1 (ddof 0 for
 * 'zscore', 1 for 'zscore_sample'); constant columns become 0, as nilearn
 * leaves them rather than dividing by ~0. In place.
 */
function standardize(s: ParcelSeries, mode: Standardize): void {
  if (mode === 'none') return;
  const {frames: n, parcels: k, data} = s;
  const ddof = mode === 'zscore_sample' ? 1 : 0;
  if (n - ddof < 1) return;
  for (let c = 0; c < k; c++) {
    let mean = 0;
    for (let t = 0; t < n; t++) mean += data[t * k + c]!;
    mean /= n;
    let ss = 0;
    for (let t = 0; t < n; t++) ss += (data[t * k + c]! - mean) ** 2;
    let sd = Math.sqrt(ss / (n - ddof));
    if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) sd = 1;
    for (let t = 0; t < n; t++)
      data[t * k + c] = (data[t * k + c]! - mean) / sd;
  }
}

/** How high-pass filtering is done (nilearn's signal.clean `filter`). */
export type HighPassFilter = 'butterworth' | 'cosine';

/** What {@link cleanSeries} does, in nilearn's signal.clean terms. */
export interface CleanOptions {
  readonly detrend: boolean;
  /** Cutoff in Hz, with the run's TR and the filter; undefined: none. */
  readonly highPass?: {
    readonly hz: number;
    readonly trSeconds: number;
    readonly filter: HighPassFilter;
  };
  /** Confound regressors, one array per column, one value per frame. */
  readonly confounds?: readonly Float64Array[];
  readonly standardize: Standardize;
}

/** The order of nilearn's Butterworth filter (signal.butterworth). */
const BUTTERWORTH_ORDER = 5;

type HighPass = NonNullable<CleanOptions['highPass']>;

/** The Nyquist frequency of a run sampled every `trSeconds`, in Hz. */
function nyquistHz(highPass: HighPass): number {
  return 0.5 / highPass.trSeconds;
}

/** The Butterworth high-pass for a cutoff (a fraction of Nyquist to it). */
function butterworthSections(highPass: HighPass) {
  return highPassSections(BUTTERWORTH_ORDER, highPass.hz / nyquistHz(highPass));
}

/**
 * What is wrong with high-passing a run of `frames` so, or undefined: the
 * cutoff must lie between 0 and the Nyquist frequency, and a Butterworth
 * filter needs more frames than it pads at each end. Checked before a
 * run is projected, so that a mistake costs no work.
 */
export function highPassProblem(
  frames: number,
  highPass: HighPass,
): string | undefined {
  const nyquist = nyquistHz(highPass);
  if (!(highPass.hz > 0 && highPass.hz < nyquist)) {
    return `the high-pass cutoff ${highPass.hz} Hz must be above 0 and below the Nyquist frequency, ${nyquist} Hz at TR ${highPass.trSeconds} s`;
  }
  if (highPass.filter === 'butterworth') {
    const pad = padLength(butterworthSections(highPass));
    if (frames <= pad) {
      return `the run has ${frames} frames; the Butterworth filter pads ${pad} at each end and needs more: use filter: cosine, or high_pass: 0`;
    }
  }
  return undefined;
}

/**
 * Cleans parcel series in place in the order nilearn's signal.clean uses:
 * cosine drift regressors (filter: cosine) join the confounds; linear
 * detrend of the series and the confounds; a Butterworth high-pass,
 * applied forwards and backwards to the series and the confounds alike (so
 * the two stay orthogonal); the confounds regressed out; then
 * standardisation. Throws a RangeError for a cutoff or run that
 * {@link highPassProblem} refuses.
 */
export function cleanSeries(s: ParcelSeries, options: CleanOptions): void {
  const confounds: Float64Array[] = (options.confounds ?? []).map((c) =>
    Float64Array.from(c),
  );
  const {highPass} = options;
  if (highPass !== undefined) {
    const problem = highPassProblem(s.frames, highPass);
    if (problem !== undefined) throw new RangeError(problem);
  }

  // Note: nilearn adds the cosine terms before it detrends, so they are
  // detrended with the other confounds.
  if (highPass?.filter === 'cosine') {
    confounds.push(...cosineDrift(s.frames, highPass.trSeconds, highPass.hz));
  }

  if (options.detrend) {
    detrend(s);
    for (const c of confounds) {
      detrend({frames: c.length, parcels: 1, data: c});
    }
  }

  if (highPass?.filter === 'butterworth') {
    const sections = butterworthSections(highPass);
    const {frames: n, parcels: k, data} = s;
    const column = new Float64Array(n);
    for (let c = 0; c < k; c++) {
      for (let t = 0; t < n; t++) column[t] = data[t * k + c]!;
      const filtered = filtfilt(sections, column);
      for (let t = 0; t < n; t++) data[t * k + c] = filtered[t]!;
    }
    for (let i = 0; i < confounds.length; i++) {
      confounds[i] = filtfilt(sections, confounds[i]!);
    }
  }

  if (confounds.length > 0) regressOut(s, confounds);
  standardize(s, options.standardize);
}
