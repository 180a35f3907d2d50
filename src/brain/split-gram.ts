/**
 * Gram matrices of activations, computed once per layer over every text
 * and re-centred per split: the ridge fits of all subjects and folds need
 * only inner products of activation rows, so the [N×H] activations are
 * touched once per layer instead of once per fit.
 */
import {multiply} from './dense-product.js';
import {centreColumns, transpose} from './ridge-gcv.js';

/**
 * K = X̃X̃ᵀ [N×N] of X [N×H] after subtracting the mean row. Centring here
 * first keeps the later double centring free of cancellation when the
 * activations have large offsets (which transformer hidden states do).
 */
export async function centredGram(
  x: ArrayLike<number>,
  n: number,
  h: number,
): Promise<Float64Array> {
  const {centred} = centreColumns(x, n, h);
  const g = await multiply(centred, transpose(centred, n, h), n, h, n);
  // Symmetrise: onnxruntime's blocked sums may differ in the last bit.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = (g[i * n + j]! + g[j * n + i]!) / 2;
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** Centred Gram blocks of one split, in the split's sample order. */
export interface SplitGram {
  /** (xᵢ − μ)·(xⱼ − μ) over train × train [n×n], μ the train mean. */
  readonly train: Float64Array;
  /** (xₛ − μ)·(xⱼ − μ) over test × train [m×n]. */
  readonly cross: Float64Array;
}

/**
 * Double-centres K on the training rows: with rᵢ = mean over train j of
 * Kᵢⱼ and g the mean of r over train, (xᵢ−μ)·(xⱼ−μ) = Kᵢⱼ − rᵢ − rⱼ + g.
 * `rows` maps split-local sample indices to rows of K.
 */
export function splitGram(
  k: Float64Array,
  size: number,
  rows: Int32Array,
  train: Int32Array,
  test: Int32Array,
): SplitGram {
  const n = train.length;
  const m = test.length;
  const r = (i: number) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * size + rows[train[j]!]!]!;
    return s / n;
  };
  const rTrain = Float64Array.from(train, (t) => r(rows[t]!));
  const rTest = Float64Array.from(test, (t) => r(rows[t]!));
  const g = rTrain.reduce((a, b) => a + b, 0) / n;
  const kc = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = rows[train[i]!]!;
    for (let j = 0; j < n; j++) {
      kc[i * n + j] =
        k[ri * size + rows[train[j]!]!]! - rTrain[i]! - rTrain[j]! + g;
    }
  }
  const cross = new Float64Array(m * n);
  for (let s = 0; s < m; s++) {
    const rs = rows[test[s]!]!;
    for (let j = 0; j < n; j++) {
      cross[s * n + j] =
        k[rs * size + rows[train[j]!]!]! - rTest[s]! - rTrain[j]! + g;
    }
  }
  return {train: kc, cross};
}
