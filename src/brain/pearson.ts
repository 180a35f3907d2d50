/**
 * Pearson correlation in Float64 (two-pass: means first, so that large
 * offsets do not cancel), and the median used to summarise parcels.
 */

/**
 * Pearson r of a[i·stride + offset] and b[…] over i < n; NaN when either
 * side is constant (numpy's corrcoef gives nan there too).
 */
export function pearson(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n = a.length,
  stride = 1,
  offset = 0,
): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i * stride + offset]!;
    mb += b[i * stride + offset]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i * stride + offset]! - ma;
    const db = b[i * stride + offset]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** Pearson r of each column of two row-major [n×k] matrices. */
export function pearsonColumns(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
): Float64Array {
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) out[j] = pearson(a, b, n, k, j);
  return out;
}

/** The median of the finite values (NaN when there are none). */
export function median(values: ArrayLike<number>): number {
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  finite.sort((x, y) => x - y);
  const mid = finite.length >> 1;
  return finite.length % 2 === 1
    ? finite[mid]!
    : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Mean and sample standard deviation (n − 1) of the finite values. */
export function meanSd(values: ArrayLike<number>): {mean: number; sd: number} {
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return {mean: NaN, sd: NaN};
  const mean = finite.reduce((s, v) => s + v, 0) / n;
  const ss = finite.reduce((s, v) => s + (v - mean) ** 2, 0);
  return {mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN};
}
