/**
 * One training split's ridge fits for any number of targets at once. Per
 * alpha the LOO residuals are E_α·y_c (E_α = diag(G⁻¹)⁻¹G⁻¹) and the test
 * predictions ȳ + K×·G⁻¹_α·y_c (K× the test × train centred Gram), so all
 * of it is one product of a stacked [(A·n + A·m)×n] operator with the
 * centred training targets — one onnxruntime MatMul per subject and split
 * instead of sklearn's per-fit coefficient matrix (features × targets).
 */
import {multiply} from './dense-product.js';
import type {Split} from './folds.js';
import {chooseAlphas, looFromGram, looResidualOperator} from './ridge-gcv.js';
import type {SplitGram} from './split-gram.js';

/** The stacked operator of one split. */
export interface SplitPredictor {
  readonly split: Split;
  readonly alphas: readonly number[];
  /** Rows: E_α for each α (n each), then K×G⁻¹_α for each α (m each). */
  readonly stacked: Float64Array;
}

/** Builds the predictor of `split` from its centred Gram blocks. */
export function splitPredictor(
  split: Split,
  gram: SplitGram,
  alphas: readonly number[],
): SplitPredictor {
  const n = split.train.length;
  const m = split.test.length;
  const a = alphas.length;
  const {inverse} = looFromGram(gram.train, n, alphas);
  const stacked = new Float64Array((a * n + a * m) * n);
  for (const [i, g] of inverse.entries()) {
    stacked.set(looResidualOperator(g, n), i * n * n);
    const p = new Float64Array(m * n);
    for (let s = 0; s < m; s++) {
      for (let q = 0; q < n; q++) {
        const c = gram.cross[s * n + q]!;
        for (let j = 0; j < n; j++) p[s * n + j]! += c * g[q * n + j]!;
      }
    }
    stacked.set(p, a * n * n + i * m * n);
  }
  return {split, alphas, stacked};
}

/** Predictions of one split for one subject's targets. */
export interface SplitPrediction {
  /** Row-major [m×k], test samples in the split's order. */
  readonly predictions: Float64Array;
  /** Chosen alpha index per target. */
  readonly alphaIndex: Int32Array;
}

/**
 * Fits every target column of y [samples×k] on the split's training rows
 * (alpha per target, as RidgeCV(alpha_per_target=True)) and predicts its
 * test rows. `order` maps sample i to the row of y it reads (a permutation
 * for the null distribution; identity otherwise).
 */
export async function predictSplit(
  predictor: SplitPredictor,
  y: Float64Array,
  k: number,
  order?: Int32Array,
): Promise<SplitPrediction> {
  const {train, test} = predictor.split;
  const n = train.length;
  const m = test.length;
  const a = predictor.alphas.length;
  const yc = new Float64Array(n * k);
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = (order?.[train[i]!] ?? train[i]!) * k;
    for (let j = 0; j < k; j++) {
      yc[i * k + j] = y[row + j]!;
      mean[j] = mean[j]! + y[row + j]!;
    }
  }
  for (let j = 0; j < k; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) yc[i * k + j] = yc[i * k + j]! - mean[j]!;
  }
  const z = await multiply(predictor.stacked, yc, a * n + a * m, n, k);
  const mse: Float64Array[] = [];
  for (let al = 0; al < a; al++) {
    const out = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const row = (al * n + i) * k;
      for (let j = 0; j < k; j++) {
        const e = z[row + j]!;
        out[j] = out[j]! + e * e;
      }
    }
    for (let j = 0; j < k; j++) out[j] = out[j]! / n;
    mse.push(out);
  }
  const {index} = chooseAlphas(mse, true);
  const predictions = new Float64Array(m * k);
  for (let s = 0; s < m; s++) {
    for (let j = 0; j < k; j++) {
      const row = a * n + index[j]! * m + s;
      predictions[s * k + j] = z[row * k + j]! + mean[j]!;
    }
  }
  return {predictions, alphaIndex: index};
}
