/**
 * Sorts finite Float64 values ascending (into a new array), the order
 * Float64Array.prototype.sort gives (−0 and +0 count as equal here), in
 * about linear time for the smooth intensity distributions of images (V8's
 * sort took 9 ms of the EPI mask's 25 ms on a 64×64×30 run; numpy's
 * vectorised sort about 1 ms). Only ranks `from` … `to` (inclusive) are
 * guaranteed in place when a range is given: the EPI threshold looks only
 * between its two cutoffs, and buckets wholly outside are left unsorted.
 *
 * A bucket sort: buckets split [min, max] evenly, one per value on average;
 * the bucket index floor((v − min)·scale) never decreases as v grows
 * (rounded subtraction and multiplication are monotonic), so buckets come
 * out in order and only their insides need sorting: insertion sort for the
 * usual handful, the built-in sort for crowded ones, which keeps the worst
 * case (many nearly equal values) at O(n log n).
 */
export function sortFloat64(
  values: Float64Array,
  from = 0,
  to = values.length - 1,
): Float64Array {
  const n = values.length;
  if (n < 256) return Float64Array.from(values).sort();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = new Float64Array(n);
  if (!(max > min) || !Number.isFinite(max - min)) {
    // All equal, or a range too wide to bucket: the built-in sort.
    out.set(values);
    return out.sort();
  }
  const buckets = n;
  const scale = (buckets - 1) / (max - min);
  if (!Number.isFinite(scale)) {
    out.set(values);
    return out.sort();
  }
  const start = new Int32Array(buckets + 1);
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor((values[i]! - min) * scale));
    index[i] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, buckets);
  for (let i = 0; i < n; i++) out[fill[index[i]!]!++] = values[i]!;
  for (let b = 0; b < buckets; b++) {
    const lo = start[b]!;
    const hi = start[b + 1]!;
    if (hi - lo < 2 || hi <= from || lo > to) continue;
    if (hi - lo > 32) {
      out.subarray(lo, hi).sort();
      continue;
    }
    for (let i = lo + 1; i < hi; i++) {
      const v = out[i]!;
      let j = i - 1;
      while (j >= lo && out[j]! > v) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = v;
    }
  }
  return out;
}
