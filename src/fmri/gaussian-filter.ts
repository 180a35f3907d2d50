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
  const line = new Float64Array(n + 2 * radius);
  // Each line along `axis` starts at one voxel of the other two axes.
  const starts: number[] = [];
  for (let k = 0; k < (axis === 2 ? 1 : nz); k++) {
    for (let j = 0; j < (axis === 1 ? 1 : ny); j++) {
      for (let i = 0; i < (axis === 0 ? 1 : nx); i++) {
        starts.push(i + nx * (j + ny * k));
      }
    }
  }
  for (const start of starts) {
    for (let p = -radius; p < n + radius; p++) {
      line[p + radius] = data[start + reflect(p, n) * stride]!;
    }
    for (let p = 0; p < n; p++) {
      let s = 0;
      for (let q = 0; q < weights.length; q++) s += weights[q]! * line[p + q]!;
      data[start + p * stride] = s;
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
