/**
 * Evaluation of the heads model: ETHICS accuracy and AUROC, fMRI mean
 * squared error and cosine similarity, rating accuracy.
 */
import {bceWithLogit, type EthicsSet, type FmriSet} from './heads-gradient.js';
import {
  adaptRow,
  ethicsLogit,
  fmriPredict,
  RATINGS,
  ratingLogits,
  type HeadsModel,
} from './heads-model.js';

/** ETHICS results on one set. */
export interface EthicsEvaluation {
  readonly n: number;
  readonly loss: number;
  /** Share of rows whose sign of the logit matches the label. */
  readonly accuracy: number;
  /** null when the set holds one class only. */
  readonly auroc: number | null;
}

/** fMRI results on one set. */
export interface FmriEvaluation {
  readonly n: number;
  /** Mean over rows and parcels of (ŷ − y)². */
  readonly mse: number;
  /** Mean over rows of cos(ŷ, y); rows with a zero vector are skipped. */
  readonly cosine: number | null;
  /** Share of the rated rows whose rating the rating head gets right. */
  readonly rating_accuracy: number | null;
}

/** The ETHICS logit of every row. */
function ethicsLogits(m: HeadsModel, set: EthicsSet): Float64Array {
  const z = new Float64Array(m.hidden);
  const out = new Float64Array(set.n);
  for (let r = 0; r < set.n; r++) {
    adaptRow(m, set.x, r, z);
    out[r] = ethicsLogit(m, z);
  }
  return out;
}

/**
 * Area under the ROC curve as the Mann–Whitney U statistic: the chance
 * that a random positive scores above a random negative, ties counting
 * one half (average ranks). null when a class is missing.
 */
export function auroc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): number | null {
  const n = scores.length;
  const order = Array.from({length: n}, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]!,
  );
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (
    (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
  );
}

/** Loss, accuracy (logit > 0 means "wrong") and AUROC on `set`. */
export function evaluateEthics(
  m: HeadsModel,
  set: EthicsSet,
): EthicsEvaluation {
  const logits = ethicsLogits(m, set);
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < set.n; r++) {
    const y = set.labels[r]!;
    loss += bceWithLogit(logits[r]!, y);
    if ((logits[r]! > 0 ? 1 : 0) === y) correct++;
  }
  return {
    n: set.n,
    loss: set.n === 0 ? NaN : loss / set.n,
    accuracy: set.n === 0 ? NaN : correct / set.n,
    auroc: auroc(logits, set.labels),
  };
}

/**
 * MSE and mean cosine of the fMRI head on `set`, and the rating head's
 * accuracy (argmax of its logits) on the rows with a rating.
 */
export function evaluateFmri(m: HeadsModel, set: FmriSet): FmriEvaluation {
  const k = m.parcels;
  const z = new Float64Array(m.hidden);
  const pred = new Float64Array(k);
  let sq = 0;
  let cosSum = 0;
  let cosRows = 0;
  const logits = new Float64Array(RATINGS);
  let rated = 0;
  let ratedRight = 0;
  for (let r = 0; r < set.n; r++) {
    adaptRow(m, set.x, r, z);
    fmriPredict(m, z, pred);
    const rating = set.ratings?.[r] ?? -1;
    if (rating >= 0) {
      ratingLogits(m, z, logits);
      let best = 0;
      for (let c = 1; c < RATINGS; c++) {
        if (logits[c]! > logits[best]!) best = c;
      }
      rated++;
      if (best === rating) ratedRight++;
    }
    let dot = 0;
    let pp = 0;
    let yy = 0;
    for (let p = 0; p < k; p++) {
      const y = set.targets[r * k + p]!;
      const e = pred[p]! - y;
      sq += e * e;
      dot += pred[p]! * y;
      pp += pred[p]! * pred[p]!;
      yy += y * y;
    }
    if (pp > 0 && yy > 0) {
      cosSum += dot / Math.sqrt(pp * yy);
      cosRows++;
    }
  }
  return {
    n: set.n,
    mse: set.n === 0 ? NaN : sq / (set.n * k),
    cosine: cosRows === 0 ? null : cosSum / cosRows,
    rating_accuracy: rated === 0 ? null : ratedRight / rated,
  };
}
