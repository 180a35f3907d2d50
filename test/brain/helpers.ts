import {execFile} from 'node:child_process';
import {promisify} from 'node:util';

import {Random} from '../../src/tasks/synth/random.js';
import {PYTHON} from '../io/helpers.js';

const run = promisify(execFile);

/** A seeded standard-normal matrix, row-major. */
export function normalMatrix(
  rows: number,
  cols: number,
  seed: string,
  scale = 1,
  offset = 0,
): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from(
    {length: rows * cols},
    () => offset + scale * rng.normal(),
  );
}

let sklearn: Promise<string | undefined> | undefined;

/** Why the scikit-learn checks are skipped, or undefined when available. */
export function sklearnSkipReason(): Promise<string | undefined> {
  sklearn ??= run(PYTHON, ['-c', 'import sklearn, numpy'])
    .then(() => undefined)
    .catch(
      () =>
        `${PYTHON} lacks scikit-learn (apt-get install python3-sklearn; .ci/run installs it)`,
    );
  return sklearn;
}

/**
 * Solves the symmetric positive definite system A x = b (A n×n, b n×t)
 * by Gaussian elimination with partial pivoting, in Float64: an
 * independent closed form for the ridge normal equations.
 */
function solve(
  a: Float64Array,
  b: Float64Array,
  n: number,
  t: number,
): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(m[r * n + c]!) > Math.abs(m[piv * n + c]!)) piv = r;
    }
    for (let j = 0; j < n; j++) {
      [m[c * n + j], m[piv * n + j]] = [m[piv * n + j]!, m[c * n + j]!];
    }
    for (let j = 0; j < t; j++) {
      [x[c * t + j], x[piv * t + j]] = [x[piv * t + j]!, x[c * t + j]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / m[c * n + c]!;
      for (let j = c; j < n; j++) m[r * n + j]! -= f * m[c * n + j]!;
      for (let j = 0; j < t; j++) x[r * t + j]! -= f * x[c * t + j]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let j = 0; j < t; j++) {
      let s = x[c * t + j]!;
      for (let k = c + 1; k < n; k++) s -= m[c * n + k]! * x[k * t + j]!;
      x[c * t + j] = s / m[c * n + c]!;
    }
  }
  return x;
}

/**
 * Ridge with intercept by the normal equations: coef [t×p] =
 * ((XcᵀXc + αI)⁻¹ Xcᵀ Yc)ᵀ, intercept = ȳ − x̄·coef.
 */
export function ridgeNormalEquations(
  x: Float64Array,
  y: Float64Array,
  n: number,
  p: number,
  t: number,
  alpha: number,
): {coef: Float64Array; intercept: Float64Array} {
  const xm = new Float64Array(p);
  const ym = new Float64Array(t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) xm[j]! += x[i * p + j]! / n;
    for (let j = 0; j < t; j++) ym[j]! += y[i * t + j]! / n;
  }
  const a = new Float64Array(p * p);
  const b = new Float64Array(p * t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const xj = x[i * p + j]! - xm[j]!;
      for (let k = 0; k < p; k++)
        a[j * p + k]! += xj * (x[i * p + k]! - xm[k]!);
      for (let k = 0; k < t; k++)
        b[j * t + k]! += xj * (y[i * t + k]! - ym[k]!);
    }
  }
  for (let j = 0; j < p; j++) a[j * p + j]! += alpha;
  const w = solve(a, b, p, t);
  const coef = new Float64Array(t * p);
  const intercept = Float64Array.from(ym);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < t; k++) {
      coef[k * p + j] = w[j * t + k]!;
      intercept[k]! -= xm[j]! * w[j * t + k]!;
    }
  }
  return {coef, intercept};
}

/** Largest absolute difference of two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length) throw new Error(`${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
