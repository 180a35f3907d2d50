import type {ParcelSeries} from './projection.js';

// TODO(#4): high-pass filtering (the published series used 0.008 Hz) and
// confound regression are not implemented.

/** How to standardise each parcel's series after projection. */
export type Standardize = 'none' | 'zscore' | 'zscore_sample';

/**
 * Removes each column's mean and least-squares linear trend, as nilearn's
 * signal.clean(detrend=True) does. In place.
 */
export function detrend(s: ParcelSeries): void {
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
export function standardize(s: ParcelSeries, mode: Standardize): void {
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
