/**
 * The built-in fine-tuning model on frozen encoder features: a shared
 * linear adapter (H → H) followed by linear heads: one ETHICS logit, one
 * fMRI vector of K parcels and, trained with the fMRI head as the study
 * did, 4 logits of the participant's rating (the 1–4 key).
 *
 *   z = A x + a          (adapter, shared)
 *   logit = wₑ · z + bₑ  (ETHICS head: P(wrong) = σ(logit))
 *   ŷ = W_f z + b_f      (fMRI head)
 *   r = W_r z + b_r      (rating head: P(key) = softmax(r))
 *
 * Without the adapter the two heads would share nothing and the training
 * orders could not differ; with it, what one stage writes into A is where
 * the next stage starts. (The composition is still linear: it is the
 * smallest model in which the orders interact, not a substitute for
 * fine-tuning the encoder itself.)
 */
import {Random} from '../tasks/synth/random.js';

/** Every parameter, as flat row-major Float64 arrays. */
export interface HeadsModel {
  readonly hidden: number;
  readonly parcels: number;
  /** [H, H], row = output unit. */
  readonly adapterW: Float64Array;
  readonly adapterB: Float64Array;
  /** [H]. */
  readonly ethicsW: Float64Array;
  /** [1]. */
  readonly ethicsB: Float64Array;
  /** [K, H]. */
  readonly fmriW: Float64Array;
  readonly fmriB: Float64Array;
  /** [RATINGS, H]. */
  readonly ratingW: Float64Array;
  readonly ratingB: Float64Array;
}

/** The rating head's classes: the keys 1 … 4 of ds000212's judgements. */
export const RATINGS = 4;

/** The parameter names, in a fixed order (weights files, checksums). */
export const TENSOR_NAMES = [
  'adapter_weight',
  'adapter_bias',
  'ethics_weight',
  'ethics_bias',
  'fmri_weight',
  'fmri_bias',
  'rating_weight',
  'rating_bias',
] as const;
export type TensorName = (typeof TENSOR_NAMES)[number];

/**
 * A fresh model: the adapter starts as the identity (so an untrained
 * adapter passes the encoder's features through unchanged), the heads as
 * Hugging Face initialises a classifier (normal(0, 0.02), zero bias).
 */
export function initHeads(
  hidden: number,
  parcels: number,
  seed: string,
): HeadsModel {
  const rng = new Random(`${seed}/heads-init`);
  const normal = (n: number) => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = 0.02 * rng.normal();
    return a;
  };
  const adapterW = new Float64Array(hidden * hidden);
  for (let i = 0; i < hidden; i++) adapterW[i * hidden + i] = 1;
  return {
    hidden,
    parcels,
    adapterW,
    adapterB: new Float64Array(hidden),
    ethicsW: normal(hidden),
    ethicsB: new Float64Array(1),
    fmriW: normal(parcels * hidden),
    fmriB: new Float64Array(parcels),
    ratingW: normal(RATINGS * hidden),
    ratingB: new Float64Array(RATINGS),
  };
}

/** The tensors by name, sharing memory with the model. */
export function headsTensors(
  m: HeadsModel,
): Readonly<Record<TensorName, Float64Array>> {
  return {
    adapter_weight: m.adapterW,
    adapter_bias: m.adapterB,
    ethics_weight: m.ethicsW,
    ethics_bias: m.ethicsB,
    fmri_weight: m.fmriW,
    fmri_bias: m.fmriB,
    rating_weight: m.ratingW,
    rating_bias: m.ratingB,
  };
}

/** The shape of each tensor. */
export function tensorShapes(
  m: HeadsModel,
): Readonly<Record<TensorName, readonly number[]>> {
  return {
    adapter_weight: [m.hidden, m.hidden],
    adapter_bias: [m.hidden],
    ethics_weight: [1, m.hidden],
    ethics_bias: [1],
    fmri_weight: [m.parcels, m.hidden],
    fmri_bias: [m.parcels],
    rating_weight: [RATINGS, m.hidden],
    rating_bias: [RATINGS],
  };
}

/** A deep copy. */
export function cloneHeads(m: HeadsModel): HeadsModel {
  return {
    hidden: m.hidden,
    parcels: m.parcels,
    adapterW: m.adapterW.slice(),
    adapterB: m.adapterB.slice(),
    ethicsW: m.ethicsW.slice(),
    ethicsB: m.ethicsB.slice(),
    fmriW: m.fmriW.slice(),
    fmriB: m.fmriB.slice(),
    ratingW: m.ratingW.slice(),
    ratingB: m.ratingB.slice(),
  };
}

/** Largest |a − b| over every parameter (Infinity when shapes differ). */
export function maxWeightDifference(a: HeadsModel, b: HeadsModel): number {
  if (a.hidden !== b.hidden || a.parcels !== b.parcels) return Infinity;
  const ta = headsTensors(a);
  const tb = headsTensors(b);
  let max = 0;
  for (const name of TENSOR_NAMES) {
    const x = ta[name];
    const y = tb[name];
    for (let i = 0; i < x.length; i++) {
      max = Math.max(max, Math.abs(x[i]! - y[i]!));
    }
  }
  return max;
}

/**
 * A short hex digest of every parameter's bits (FNV-1a over the float64
 * bytes), so a metrics file can show that stage k + 1 started exactly
 * where stage k ended.
 */
export function weightsDigest(m: HeadsModel): string {
  let h = 0x811c9dc5;
  const tensors = headsTensors(m);
  for (const name of TENSOR_NAMES) {
    const t = tensors[name];
    const bytes = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** z = A x + a for row `row` of `x` ([N, H]), written into `z`. */
export function adaptRow(
  m: HeadsModel,
  x: Float64Array,
  row: number,
  z: Float64Array,
): void {
  const h = m.hidden;
  const off = row * h;
  for (let o = 0; o < h; o++) {
    let s = m.adapterB[o]!;
    const w = o * h;
    for (let i = 0; i < h; i++) s += m.adapterW[w + i]! * x[off + i]!;
    z[o] = s;
  }
}

/** The ETHICS logit of an adapted vector. */
export function ethicsLogit(m: HeadsModel, z: Float64Array): number {
  let s = m.ethicsB[0]!;
  for (let i = 0; i < m.hidden; i++) s += m.ethicsW[i]! * z[i]!;
  return s;
}

/** The fMRI prediction ŷ = W_f z + b_f of an adapted vector, into `out`. */
export function fmriPredict(
  m: HeadsModel,
  z: Float64Array,
  out: Float64Array,
): void {
  const h = m.hidden;
  for (let k = 0; k < m.parcels; k++) {
    let s = m.fmriB[k]!;
    const w = k * h;
    for (let i = 0; i < h; i++) s += m.fmriW[w + i]! * z[i]!;
    out[k] = s;
  }
}

/** The rating logits r = W_r z + b_r of an adapted vector, into `out`. */
export function ratingLogits(
  m: HeadsModel,
  z: Float64Array,
  out: Float64Array,
): void {
  const h = m.hidden;
  for (let c = 0; c < RATINGS; c++) {
    let s = m.ratingB[c]!;
    const w = c * h;
    for (let i = 0; i < h; i++) s += m.ratingW[w + i]! * z[i]!;
    out[c] = s;
  }
}
