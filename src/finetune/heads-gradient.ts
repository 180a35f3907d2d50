/**
 * Losses and their exact gradients for one mini-batch of the heads model:
 * binary cross-entropy on the ETHICS logit, mean squared error on the fMRI
 * parcels and cross-entropy on the rating logits, all back-propagated
 * through the shared adapter.
 */
import {
  adaptRow,
  ethicsLogit,
  fmriPredict,
  headsTensors,
  RATINGS,
  ratingLogits,
  TENSOR_NAMES,
  type HeadsModel,
} from './heads-model.js';

/** ETHICS examples: features [n, H] and labels (1 = wrong). */
export interface EthicsSet {
  readonly n: number;
  readonly x: Float64Array;
  readonly labels: Uint8Array;
}

/**
 * fMRI examples: features [n, H] and targets [n, K], with the rating of
 * each trial as a class 0 … 3 (key 1 … 4), −1 where none was given;
 * without `ratings` no row has one.
 */
export interface FmriSet {
  readonly n: number;
  readonly x: Float64Array;
  readonly targets: Float64Array;
  readonly ratings?: Int8Array;
}

/**
 * Whether any row of `set` has a rating: without one the rating head gets
 * no gradient, so training leaves it out and model.heads warns.
 */
export function hasRatings(set: FmriSet | undefined): boolean {
  return set?.ratings?.some((r) => r >= 0) ?? false;
}

/** A gradient buffer shaped like `m`, all zeros. */
export function zeroGradient(m: HeadsModel): HeadsModel {
  return {
    hidden: m.hidden,
    parcels: m.parcels,
    adapterW: new Float64Array(m.adapterW.length),
    adapterB: new Float64Array(m.adapterB.length),
    ethicsW: new Float64Array(m.ethicsW.length),
    ethicsB: new Float64Array(1),
    fmriW: new Float64Array(m.fmriW.length),
    fmriB: new Float64Array(m.fmriB.length),
    ratingW: new Float64Array(m.ratingW.length),
    ratingB: new Float64Array(m.ratingB.length),
  };
}

/** Sets every entry of a gradient buffer to zero. */
export function clearGradient(g: HeadsModel): void {
  const t = headsTensors(g);
  for (const name of TENSOR_NAMES) t[name].fill(0);
}

/** Numerically stable binary cross-entropy of a logit. */
export function bceWithLogit(logit: number, label: number): number {
  return (
    Math.max(logit, 0) - logit * label + Math.log1p(Math.exp(-Math.abs(logit)))
  );
}

/**
 * Softmax of `logits` into `p` (in place allowed); returns the cross-entropy
 * −log p[label], computed stably through the log-sum-exp.
 */
function softmaxCrossEntropy(
  logits: Float64Array,
  label: number,
  p: Float64Array,
): number {
  const picked = logits[label]!;
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    p[c] = Math.exp(logits[c]! - max);
    sum += p[c]!;
  }
  const loss = Math.log(sum) + max - picked;
  for (let c = 0; c < logits.length; c++) p[c]! /= sum;
  return loss;
}

/** σ(t), without overflow. */
function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/** Adds dz xᵀ and dz to the adapter's gradient. */
function adapterBackward(
  g: HeadsModel,
  x: Float64Array,
  row: number,
  dz: Float64Array,
): void {
  const h = g.hidden;
  const off = row * h;
  for (let o = 0; o < h; o++) {
    const d = dz[o]!;
    if (d === 0) continue;
    g.adapterB[o]! += d;
    const w = o * h;
    for (let i = 0; i < h; i++) g.adapterW[w + i]! += d * x[off + i]!;
  }
}

/**
 * Adds `scale` × ∇(mean BCE over `rows`) to `g` (adapter and ETHICS head)
 * and returns the batch's mean loss.
 */
export function ethicsBatchGradient(
  m: HeadsModel,
  set: EthicsSet,
  rows: readonly number[],
  g: HeadsModel,
  scale: number,
): number {
  const h = m.hidden;
  const z = new Float64Array(h);
  const dz = new Float64Array(h);
  let loss = 0;
  for (const r of rows) {
    adaptRow(m, set.x, r, z);
    const logit = ethicsLogit(m, z);
    const y = set.labels[r]!;
    loss += bceWithLogit(logit, y);
    // d BCE / d logit = σ(logit) − y.
    const d = ((sigmoid(logit) - y) * scale) / rows.length;
    g.ethicsB[0]! += d;
    for (let i = 0; i < h; i++) {
      g.ethicsW[i]! += d * z[i]!;
      dz[i] = d * m.ethicsW[i]!;
    }
    adapterBackward(g, set.x, r, dz);
  }
  return loss / rows.length;
}

/** The losses of an fMRI batch; `rating` null when no row was rated. */
export interface FmriBatchLoss {
  readonly mse: number;
  readonly rating: number | null;
}

/**
 * Adds `scale` × ∇(MSE over `rows` × parcels + `ratingWeight` × mean rating
 * cross-entropy over the rows that have a rating) to `g` (adapter, fMRI
 * and rating heads) and returns the batch's losses.
 */
export function fmriBatchGradient(
  m: HeadsModel,
  set: FmriSet,
  rows: readonly number[],
  g: HeadsModel,
  scale: number,
  ratingWeight = 0,
): FmriBatchLoss {
  const h = m.hidden;
  const k = m.parcels;
  const z = new Float64Array(h);
  const dz = new Float64Array(h);
  const pred = new Float64Array(k);
  const dy = new Float64Array(k);
  const logits = new Float64Array(RATINGS);
  const prob = new Float64Array(RATINGS);
  let loss = 0;
  let ratingLoss = 0;
  const norm = (2 * scale) / (rows.length * k);
  const rated = rows.filter((r) => (set.ratings?.[r] ?? -1) >= 0).length;
  const ratingNorm = rated === 0 ? 0 : (scale * ratingWeight) / rated;
  for (const r of rows) {
    adaptRow(m, set.x, r, z);
    fmriPredict(m, z, pred);
    const off = r * k;
    for (let p = 0; p < k; p++) {
      const e = pred[p]! - set.targets[off + p]!;
      loss += e * e;
      dy[p] = norm * e;
    }
    dz.fill(0);
    for (let p = 0; p < k; p++) {
      const d = dy[p]!;
      g.fmriB[p]! += d;
      const w = p * h;
      for (let i = 0; i < h; i++) {
        g.fmriW[w + i]! += d * z[i]!;
        dz[i]! += d * m.fmriW[w + i]!;
      }
    }

    // The rating head, on rated rows: d CE / d logits = p − onehot.
    const label = set.ratings?.[r] ?? -1;
    if (label >= 0) {
      ratingLogits(m, z, logits);
      ratingLoss += softmaxCrossEntropy(logits, label, prob);
      if (ratingNorm !== 0) {
        for (let c = 0; c < RATINGS; c++) {
          const d = ratingNorm * (prob[c]! - (c === label ? 1 : 0));
          g.ratingB[c]! += d;
          const w = c * h;
          for (let i = 0; i < h; i++) {
            g.ratingW[w + i]! += d * z[i]!;
            dz[i]! += d * m.ratingW[w + i]!;
          }
        }
      }
    }
    adapterBackward(g, set.x, r, dz);
  }
  return {
    mse: loss / (rows.length * k),
    rating: rated === 0 ? null : ratingLoss / rated,
  };
}
