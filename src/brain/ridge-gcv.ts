/**
 * Ridge regression with efficient leave-one-out (LOO) choice of alpha,
 * exactly as scikit-learn's RidgeCV (cv=None, i.e. _RidgeGCV) computes it:
 * centre X and y (fit_intercept), decompose once, and for each alpha get
 * the dual coefficients c = G⁻¹y and the LOO residuals c / diag(G⁻¹), with
 * G = XXᵀ + αI and the intercept direction left unpenalised. The default
 * score is minus the mean squared LOO residual, per target when
 * alpha_per_target (what the study's one RidgeCV per parcel amounts to);
 * ties keep the earlier alpha, as sklearn's strict `>` update does.
 */
import {gramJs, multiplyJs} from './dense-product.js';
import {symmetricEigen} from './symmetric-eigen.js';

/** Which decomposition: sklearn's gcv_mode ('auto' picks by shape). */
export type GcvMode = 'auto' | 'eigen' | 'svd';

/** G⁻¹ for every alpha of a grid, on one training set. */
export interface LooOperators {
  readonly n: number;
  readonly alphas: readonly number[];
  readonly mode: 'eigen' | 'svd';
  /** Per alpha, row-major n×n G⁻¹ (intercept direction removed). */
  readonly inverse: readonly Float64Array[];
}

/**
 * sklearn's _check_gcv_mode: more samples than features → SVD of X,
 * else the eigendecomposition of the Gram matrix XXᵀ.
 */
export function gcvMode(mode: GcvMode, n: number, p: number): 'eigen' | 'svd' {
  if (mode !== 'auto') return mode;
  return n > p ? 'svd' : 'eigen';
}

function checkAlphas(alphas: readonly number[]): void {
  if (alphas.length === 0 || !alphas.every((a) => a > 0)) {
    throw new RangeError(
      `alphas must be a non-empty list of positive numbers, got ${JSON.stringify(alphas)}`,
    );
  }
}

/**
 * Eigen mode from the centred Gram matrix Kc [n×n]: like sklearn, add
 * 11ᵀ so that the constant vector (Kc's null vector after centring) gets
 * eigenvalue n, find it as the eigenvector closest to 1/√n, and give it
 * weight 0 — the intercept is not penalised and not counted in G⁻¹.
 */
export function looFromGram(
  kc: Float64Array,
  n: number,
  alphas: readonly number[],
): LooOperators {
  checkAlphas(alphas);
  const k = Float64Array.from(kc);
  for (let i = 0; i < n * n; i++) k[i] = k[i]! + 1;
  const {values, vectors: q} = symmetricEigen(k, n);
  const interceptDim = closestToConstant(q, n, n);
  const inverse = alphas.map((alpha) => {
    const w = values.map((l) => 1 / (l + alpha));
    w[interceptDim] = 0;
    return sandwich(q, w, n, n);
  });
  return {n, alphas, mode: 'eigen', inverse};
}

/**
 * SVD mode from centred X [n×p] (n > p): sklearn takes the thin SVD of
 * [X, 1]; with X = U S Vᵀ, G⁻¹ = U diag(1/(s²+α) − 1/α) Uᵀ + I/α and the
 * constant column weighted −1/α. We get U S = X V from the eigenvectors V
 * of XᵀX and never divide by s: uⱼuⱼᵀ(1/(sⱼ²+α) − 1/α) = −zⱼzⱼᵀ/(α(sⱼ²+α))
 * with zⱼ = X vⱼ, so null directions contribute nothing, as they should.
 */
export function looFromDesign(
  xc: Float64Array,
  n: number,
  p: number,
  alphas: readonly number[],
): LooOperators {
  checkAlphas(alphas);
  const xt = transpose(xc, n, p);
  const cov = gramJs(xt, p, n);
  const {values, vectors: v} = symmetricEigen(cov, p);
  const z = multiplyJs(xc, v, n, p, p);
  const inverse = alphas.map((alpha) => {
    const w = values.map((l) => -1 / (alpha * (Math.max(l, 0) + alpha)));
    const g = sandwich(z, w, n, p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        g[i * n + j] = g[i * n + j]! + ((i === j ? 1 : 0) - 1 / n) / alpha;
      }
    }
    return g;
  });
  return {n, alphas, mode: 'svd', inverse};
}

/** Index of the column of q [rows×cols] most aligned with the constant. */
function closestToConstant(q: Float64Array, rows: number, cols: number) {
  let best = 0;
  let bestDot = -1;
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += q[i * cols + j]!;
    if (Math.abs(s) > bestDot) {
      bestDot = Math.abs(s);
      best = j;
    }
  }
  return best;
}

/** Q diag(w) Qᵀ for Q [rows×cols]: a rows×rows symmetric matrix. */
function sandwich(
  q: Float64Array,
  w: Float64Array,
  rows: number,
  cols: number,
) {
  const out = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < cols; c++) {
        s += q[i * cols + c]! * w[c]! * q[j * cols + c]!;
      }
      out[i * rows + j] = s;
      out[j * rows + i] = s;
    }
  }
  return out;
}

/** Row-major transpose of an r×c matrix. */
export function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  }
  return out;
}

/** Column means of a row-major r×c matrix and the centred copy. */
export function centreColumns(
  a: ArrayLike<number>,
  r: number,
  c: number,
): {mean: Float64Array; centred: Float64Array} {
  const mean = new Float64Array(c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) mean[j] = mean[j]! + a[i * c + j]!;
  }
  for (let j = 0; j < c; j++) mean[j] = mean[j]! / r;
  const centred = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) centred[i * c + j] = a[i * c + j]! - mean[j]!;
  }
  return {mean, centred};
}

/**
 * The LOO operator of each alpha: row i of diag(1/diag(G⁻¹))·G⁻¹, so that
 * (operator · y_c)ᵢ is sample i's LOO residual — sklearn's c / G⁻¹ᵢᵢ.
 */
export function looResidualOperator(inverse: Float64Array, n: number) {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const g = inverse[i * n + i]!;
    for (let j = 0; j < n; j++) out[i * n + j] = inverse[i * n + j]! / g;
  }
  return out;
}

/** The winning alpha of each target and its score. */
export interface AlphaChoice {
  /** Index into the alpha grid, per target. */
  readonly index: Int32Array;
  /** Minus the mean squared LOO residual of the chosen alpha, per target. */
  readonly score: Float64Array;
}

/**
 * Picks alphas from per-alpha mean squared LOO residuals `mse[a][t]`:
 * per target, or one alpha for all (mean over targets) as sklearn does
 * without alpha_per_target. The strict comparison keeps the first of tied
 * alphas, matching sklearn's update rule.
 */
export function chooseAlphas(
  mse: readonly Float64Array[],
  perTarget: boolean,
): AlphaChoice {
  const targets = mse[0]?.length ?? 0;
  const index = new Int32Array(targets);
  const score = new Float64Array(targets).fill(-Infinity);
  if (perTarget) {
    for (const [a, m] of mse.entries()) {
      for (let t = 0; t < targets; t++) {
        if (-m[t]! > score[t]! || a === 0) {
          score[t] = -m[t]!;
          index[t] = a;
        }
      }
    }
    return {index, score};
  }
  let best = 0;
  let bestScore = -Infinity;
  for (const [a, m] of mse.entries()) {
    const s = -m.reduce((x, y) => x + y, 0) / targets;
    if (s > bestScore || a === 0) {
      bestScore = s;
      best = a;
    }
  }
  index.fill(best);
  for (let t = 0; t < targets; t++) score[t] = -mse[best]![t]!;
  return {index, score};
}
