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
  const [nx, ny, nz] = dims;
  const n = dims[axis];
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const taps = weights.length;
  const line = new Float64Array(n + 2 * radius);
  // Offsets of the padded line's samples from its start, reflected once.
  const offset = new Int32Array(n + 2 * radius);
  for (let p = -radius; p < n + radius; p++) {
    offset[p + radius] = reflect(p, n) * stride;
  }
  // Each line along `axis` starts at one voxel of the other two axes.
  const [outer, inner, outerStep, innerStep] =
    axis === 0
      ? [nz, ny, nx * ny, nx]
      : axis === 1
        ? [nz, nx, nx * ny, 1]
        : [ny, nx, nx, 1];
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const start = a * outerStep + b * innerStep;
      for (let p = 0; p < line.length; p++) line[p] = data[start + offset[p]!]!;
      for (let p = 0; p < n; p++) {
        let s = 0;
        for (let q = 0; q < taps; q++) s += weights[q]! * line[p + q]!;
        data[start + p * stride] = s;
      }
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
