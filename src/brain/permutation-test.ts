/**
 * Permutation p-values with the +1 correction (Phipson & Smyth 2010): the
 * observed statistic counts as one of the permutations, so p is never 0
 * and the test is exact (valid) under exchangeability.
 */
import {Random} from '../tasks/synth/random.js';

/**
 * One-sided p = (1 + #{null ≥ observed}) / (1 + #null); NaN values in the
 * null (a degenerate shuffle) are dropped, NaN when nothing is left.
 */
export function permutationPValue(
  observed: number,
  nullValues: ArrayLike<number>,
): number {
  if (!Number.isFinite(observed)) return NaN;
  let count = 0;
  let total = 0;
  for (let i = 0; i < nullValues.length; i++) {
    const v = nullValues[i]!;
    if (!Number.isFinite(v)) continue;
    total++;
    if (v >= observed) count++;
  }
  return total === 0 ? NaN : (1 + count) / (1 + total);
}

/** Result of a paired sign-flip test. */
export interface SignFlipResult {
  readonly meanDifference: number;
  /** Two-sided p for mean(a − b) ≠ 0. */
  readonly p: number;
  /** How many sign patterns were drawn (or enumerated). */
  readonly permutations: number;
  readonly exact: boolean;
}

/**
 * Paired test of two models scored on the same subjects: under H0 the
 * sign of each subject's difference is exchangeable, so flip signs at
 * random (or all 2^S patterns when that is no more than `permutations`)
 * and compare |mean| with the observed |mean|.
 */
export function signFlipTest(
  differences: readonly number[],
  permutations: number,
  seed: string,
): SignFlipResult {
  const d = differences.filter((v) => Number.isFinite(v));
  const s = d.length;
  const mean = (signs: (i: number) => number) =>
    d.reduce((acc, v, i) => acc + signs(i) * v, 0) / s;
  if (s === 0) {
    return {meanDifference: NaN, p: NaN, permutations: 0, exact: false};
  }
  const observed = mean(() => 1);
  // A tolerance so that patterns equal to the observed one count as ≥.
  const tol = 1e-12 * Math.max(1, Math.abs(observed));
  const nullAbs: number[] = [];
  if (s <= 20 && 2 ** s <= permutations) {
    for (let mask = 1; mask < 2 ** s; mask++) {
      nullAbs.push(Math.abs(mean((i) => ((mask >> i) & 1 ? -1 : 1))));
    }
    const count = nullAbs.filter((v) => v >= Math.abs(observed) - tol).length;
    return {
      meanDifference: observed,
      p: (1 + count) / 2 ** s,
      permutations: 2 ** s,
      exact: true,
    };
  }
  const rng = new Random(`${seed}/sign-flip`);
  for (let k = 0; k < permutations; k++) {
    const signs = d.map(() => (rng.uniform() < 0.5 ? -1 : 1));
    nullAbs.push(Math.abs(mean((i) => signs[i]!)));
  }
  const count = nullAbs.filter((v) => v >= Math.abs(observed) - tol).length;
  return {
    meanDifference: observed,
    p: (1 + count) / (1 + permutations),
    permutations,
    exact: false,
  };
}
