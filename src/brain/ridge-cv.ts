/**
 * A RidgeCV estimator on in-memory Float64 arrays: the reference API for
 * one design matrix (tests, small fits). The brain-score engine uses the
 * same operators (ridge-gcv.ts) but batched over subjects and folds.
 */
import {gramJs, multiplyJs} from './dense-product.js';
import {
  centreColumns,
  chooseAlphas,
  gcvMode,
  looFromDesign,
  looFromGram,
  looResidualOperator,
  type GcvMode,
} from './ridge-gcv.js';

/** Options of {@link ridgeCv}, named as in scikit-learn. */
export interface RidgeCvOptions {
  readonly alphas: readonly number[];
  /** One alpha per target column (sklearn's alpha_per_target). */
  readonly alphaPerTarget?: boolean;
  readonly gcvMode?: GcvMode;
}

/** A fitted ridge: coefficients, intercepts and the chosen alphas. */
export interface RidgeCvFit {
  readonly features: number;
  readonly targets: number;
  readonly mode: 'eigen' | 'svd';
  /** Chosen alpha per target (all equal without alphaPerTarget). */
  readonly alpha: Float64Array;
  /** Minus the mean squared LOO residual at the chosen alpha, per target. */
  readonly bestScore: Float64Array;
  /** Row-major [targets×features], as sklearn's coef_. */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
}

/**
 * Fits RidgeCV(alphas, fit_intercept=True, alpha_per_target) on X [n×p]
 * and Y [n×t] (row-major), with sklearn's default scoring.
 */
export function ridgeCv(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  p: number,
  t: number,
  options: RidgeCvOptions,
): RidgeCvFit {
  if (x.length !== n * p || y.length !== n * t) {
    throw new RangeError(
      `ridgeCv: X has ${x.length} values for [${n}×${p}], Y ${y.length} for [${n}×${t}]`,
    );
  }
  if (n < 2) throw new RangeError(`ridgeCv: needs 2 samples, got ${n}`);
  const xs = centreColumns(x, n, p);
  const ys = centreColumns(y, n, t);
  const mode = gcvMode(options.gcvMode ?? 'auto', n, p);
  const ops =
    mode === 'eigen'
      ? looFromGram(gramJs(xs.centred, n, p), n, options.alphas)
      : looFromDesign(xs.centred, n, p, options.alphas);
  const duals = ops.inverse.map((g) => multiplyJs(g, ys.centred, n, n, t));
  const mse = ops.inverse.map((g) => {
    const e = multiplyJs(looResidualOperator(g, n), ys.centred, n, n, t);
    const m = new Float64Array(t);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < t; j++) m[j] = m[j]! + e[i * t + j]! ** 2 / n;
    }
    return m;
  });
  const choice = chooseAlphas(mse, options.alphaPerTarget ?? false);
  // coef_ = cᵀ X_c; intercept = ȳ − x̄·coef (sklearn's _set_intercept).
  const coef = new Float64Array(t * p);
  for (let j = 0; j < t; j++) {
    const dual = duals[choice.index[j]!]!;
    for (let i = 0; i < n; i++) {
      const c = dual[i * t + j]!;
      for (let q = 0; q < p; q++) {
        coef[j * p + q] = coef[j * p + q]! + c * xs.centred[i * p + q]!;
      }
    }
  }
  const intercept = new Float64Array(t);
  for (let j = 0; j < t; j++) {
    let s = ys.mean[j]!;
    for (let q = 0; q < p; q++) s -= xs.mean[q]! * coef[j * p + q]!;
    intercept[j] = s;
  }
  return {
    features: p,
    targets: t,
    mode,
    alpha: Float64Array.from(choice.index, (i) => options.alphas[i]!),
    bestScore: choice.score,
    coef,
    intercept,
  };
}

/** Predictions [m×targets] of a fit for X [m×features]. */
export function ridgePredict(
  fit: RidgeCvFit,
  x: ArrayLike<number>,
  m: number,
): Float64Array {
  const {features: p, targets: t} = fit;
  const out = new Float64Array(m * t);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < t; j++) {
      let s = fit.intercept[j]!;
      for (let q = 0; q < p; q++) s += x[i * p + q]! * fit.coef[j * p + q]!;
      out[i * t + j] = s;
    }
  }
  return out;
}
