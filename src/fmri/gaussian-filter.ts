/**
 * One-dimensional Gaussian smoothing along one axis of a 3D volume (x
 * fastest), with the kernel and boundary handling of
 * scipy.ndimage.gaussian_filter1d: radius int(truncate·σ + 0.5), weights
 * exp(-x²/2σ²) normalised to sum 1, 'reflect' edges (d c b a | a b c d).
 */
export function gaussianFilter1d(
  data: Float64Array,
  dims: readonly [number, number, number],
  axis: 0 | 1 | 2,
  sigma: number,
  truncate = 4,
): void {
  if (!(sigma > 0)) return;
  const radius = Math.floor(truncate * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let x = -radius; x <= radius; x++) {
    const w = Math.exp((-0.5 * x * x) / (sigma * sigma));
    weights[x + radius] = w;
    total += w;
  }
  for (let i = 0; i < weights.length; i++) weights[i]! /= total;
  const [nx, ny] = dims;
  const n = dims[axis];
  if (axis === 0) {
    alongRows(data, n, radius, weights);
    return;
  }
  // Across rows or planes: each output row (of `run` contiguous voxels) is
  // a weighted sum of whole input rows, which streams through memory.
  const run = axis === 1 ? nx : nx * ny;
  const src = data.slice();
  const w0 = weights[radius]!;
  const at = new Int32Array(2 * radius + 1);
  for (let block = 0; block < data.length; block += n * run) {
    for (let p = 0; p < n; p++) {
      for (let q = -radius; q <= radius; q++) {
        at[q + radius] = block + reflect(p + q, n) * run;
      }
      const out = block + p * run;
      const c = at[radius]!;
      for (let i = 0; i < run; i++) {
        // Folded as scipy's correlate1d folds a symmetric kernel.
        let s = src[c + i]! * w0;
        for (let q = 1; q <= radius; q++) {
          s +=
            (src[at[radius - q]! + i]! + src[at[radius + q]! + i]!) *
            weights[radius + q]!;
        }
        data[out + i] = s;
      }
    }
  }
}

/** Smoothing along x: each row is padded (reflected) and filtered. */
function alongRows(
  data: Float64Array,
  n: number,
  radius: number,
  weights: Float64Array,
): void {
  const line = new Float64Array(n + 2 * radius);
  const from = new Int32Array(n + 2 * radius);
  for (let p = -radius; p < n + radius; p++) from[p + radius] = reflect(p, n);
  const w0 = weights[radius]!;
  for (let start = 0; start < data.length; start += n) {
    for (let p = 0; p < line.length; p++) line[p] = data[start + from[p]!]!;
    for (let p = 0; p < n; p++) {
      const c = p + radius;
      let s = line[c]! * w0;
      for (let q = 1; q <= radius; q++) {
        s += (line[c - q]! + line[c + q]!) * weights[radius + q]!;
      }
      data[start + p] = s;
    }
  }
}

/** scipy's 'reflect' index mapping, repeated for radii beyond the length. */
function reflect(p: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let q = ((p % period) + period) % period;
  if (q >= n) q = period - q - 1;
  return q;
}
