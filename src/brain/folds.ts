/**
 * Train/test splits over scenarios: seeded K-fold (the Brain-Score
 * convention) and the study's single split (the last scenario held out).
 */
import {Random} from '../tasks/synth/random.js';

/** Sample indices of one split; `test` in ascending order. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/**
 * K folds over `keys` (one per sample): the keys are sorted, shuffled with
 * the seed and dealt into K contiguous folds whose sizes differ by at most
 * one (the first n mod K get the extra, as sklearn's KFold). Sorting first
 * makes the folds depend on the set of scenarios, not their presentation
 * order, so subjects who saw the same scenarios share folds.
 */
export function kFold(
  keys: readonly string[],
  folds: number,
  seed: string,
): Split[] {
  const n = keys.length;
  if (!Number.isInteger(folds) || folds < 2) {
    throw new RangeError(`folds must be an integer ≥ 2, got ${folds}`);
  }
  if (n < folds) {
    throw new RangeError(`${n} scenarios cannot fill ${folds} folds`);
  }
  const order = keys
    .map((k, i) => ({k, i}))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((e) => e.i);
  const rng = new Random(`${seed}/kfold`);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: Split[] = [];
  let at = 0;
  for (let f = 0; f < folds; f++) {
    const size = Math.floor(n / folds) + (f < n % folds ? 1 : 0);
    const test = order.slice(at, at + size).sort((a, b) => a - b);
    at += size;
    const held = new Set(test);
    const train: number[] = [];
    for (let i = 0; i < n; i++) if (!held.has(i)) train.push(i);
    out.push({train: Int32Array.from(train), test: Int32Array.from(test)});
  }
  return out;
}

/**
 * The study's split: test on one sample — the last presented, `held`
 * (default n − 1) — and train on all the others.
 */
export function lastOut(n: number, held = n - 1): Split {
  if (n < 3) throw new RangeError(`needs 3 scenarios, got ${n}`);
  return {
    train: Int32Array.from({length: n - 1}, (_, i) => (i < held ? i : i + 1)),
    test: Int32Array.of(held),
  };
}

/** A seeded permutation of 0…n−1 (Fisher–Yates). */
export function permutation(n: number, seed: string): Int32Array {
  const p = Int32Array.from({length: n}, (_, i) => i);
  const rng = new Random(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
