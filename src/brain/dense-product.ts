/**
 * Dense Float64 matrix products for the brain-score fits: a cache-friendly
 * JS loop for small products, onnxruntime-node's MatMul for large ones
 * (several times faster here; see src/fmri/ort-matmul.ts). Float64 both
 * ways, so that scores agree with scikit-learn's to ~1e-12.
 */
import {ortMatmul} from '../fmri/ort-matmul.js';

/**
 * Products below this many multiply-adds stay in JS: onnxruntime's per-call
 * overhead (tensor wrapping, ~0.1 ms) outweighs its speed on tiny shapes.
 */
const ORT_MIN_MADDS = 1 << 20;

/** C [r×c] = A [r×k] · B [k×c], row-major, in plain JS (i-k-j order). */
export function multiplyJs(
  a: Float64Array,
  b: Float64Array,
  r: number,
  k: number,
  c: number,
): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const row = i * c;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const brow = p * c;
      for (let j = 0; j < c; j++) out[row + j]! += aip * b[brow + j]!;
    }
  }
  return out;
}

/**
 * C = A · B, through onnxruntime when the product is large and the runtime
 * loads (in the main thread or a worker), else in JS.
 */
export async function multiply(
  a: Float64Array,
  b: Float64Array,
  r: number,
  k: number,
  c: number,
): Promise<Float64Array> {
  if (a.length !== r * k || b.length !== k * c) {
    throw new Error(
      `multiply: [${r}×${k}]·[${k}×${c}] given ${a.length} and ${b.length} values`,
    );
  }
  if (r * k * c >= ORT_MIN_MADDS) {
    const viaOrt = await ortMatmul(a, r, b, k, c);
    if (viaOrt !== undefined) return viaOrt;
  }
  return multiplyJs(a, b, r, k, c);
}

/** The Gram matrix X·Xᵀ [n×n] of row-major X [n×p], symmetric by copy. */
export function gramJs(x: Float64Array, n: number, p: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let q = 0; q < p; q++) s += x[i * p + q]! * x[j * p + q]!;
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}
