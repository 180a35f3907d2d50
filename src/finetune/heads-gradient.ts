/**
 * Losses and their exact gradients for one mini-batch of the heads model:
 * binary cross-entropy on the ETHICS logit and mean squared error on the
 * fMRI parcels, both back-propagated through the shared adapter.
 */
import {
  adaptRow,
  ethicsLogit,
  fmriPredict,
  headsTensors,
  TENSOR_NAMES,
  type HeadsModel,
} from './heads-model.js';

/** ETHICS examples: features [n, H] and labels (1 = wrong). */
export interface EthicsSet {
  readonly n: number;
  readonly x: Float64Array;
  readonly labels: Uint8Array;
}

/** fMRI examples: features [n, H] and targets [n, K]. */
export interface FmriSet {
  readonly n: number;
  readonly x: Float64Array;
  readonly targets: Float64Array;
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

/**
 * Adds `scale` × ∇(MSE over `rows` × parcels) to `g` (adapter and fMRI
 * head) and returns the batch's mean loss.
 */
export function fmriBatchGradient(
  m: HeadsModel,
  set: FmriSet,
  rows: readonly number[],
  g: HeadsModel,
  scale: number,
): number {
  const h = m.hidden;
  const k = m.parcels;
  const z = new Float64Array(h);
  const dz = new Float64Array(h);
  const pred = new Float64Array(k);
  const dy = new Float64Array(k);
  let loss = 0;
  const norm = (2 * scale) / (rows.length * k);
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
    adapterBackward(g, set.x, r, dz);
  }
  return loss / (rows.length * k);
}
