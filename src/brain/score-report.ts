/**
 * The brain.score JSON report: scores per subject × layer, mean ± sd
 * across subjects per layer, the study's summary (per subject the median
 * over layers, then mean ± sd across subjects) and, with permutations,
 * the null distributions of those group statistics and their p-values.
 */
import type {MetricScores, ScoreResult} from './brain-score.js';
import {meanSd, median} from './pearson.js';
import {permutationPValue} from './permutation-test.js';

/** JSON cannot hold NaN: write null. */
const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Group statistics of one [subjects×layers] block. */
function groupStats(block: Float64Array, nS: number, nL: number) {
  const byLayer = Array.from({length: nL}, (_, l) =>
    meanSd(Array.from({length: nS}, (_, s) => block[s * nL + l]!)),
  );
  const perSubject = Array.from({length: nS}, (_, s) =>
    median(block.subarray(s * nL, (s + 1) * nL)),
  );
  return {byLayer, perSubject, summary: meanSd(perSubject)};
}

/** The report section of one metric. */
function metricReport(
  m: MetricScores,
  subjects: readonly string[],
  layers: readonly string[],
): Record<string, unknown> {
  const nS = subjects.length;
  const nL = layers.length;
  const obs = groupStats(m.scores, nS, nL);
  const out: Record<string, unknown> = {
    scores: subjects.map((_, s) =>
      Array.from(m.scores.subarray(s * nL, (s + 1) * nL), num),
    ),
    by_layer: layers.map((layer, l) => ({
      layer,
      mean: num(obs.byLayer[l]!.mean),
      sd: num(obs.byLayer[l]!.sd),
    })),
    summary: {
      per_subject: obs.perSubject.map(num),
      mean: num(obs.summary.mean),
      sd: num(obs.summary.sd),
    },
  };
  if (m.null !== undefined) {
    const p = m.null.length / (nS * nL);
    const nulls = Array.from({length: p}, (_, k) =>
      groupStats(m.null!.subarray(k * nS * nL, (k + 1) * nS * nL), nS, nL),
    );
    const layerNull = layers.map((_, l) =>
      nulls.map((g) => g.byLayer[l]!.mean),
    );
    const summaryNull = nulls.map((g) => g.summary.mean);
    out['permutation'] = {
      statistic:
        'mean across subjects (per layer; summary: of per-subject medians over layers)',
      p_by_layer: layers.map((_, l) =>
        num(permutationPValue(obs.byLayer[l]!.mean, layerNull[l]!)),
      ),
      p_summary: num(permutationPValue(obs.summary.mean, summaryNull)),
      null_by_layer: layerNull.map((v) => v.map(num)),
      null_summary: summaryNull.map(num),
    };
  }
  return out;
}

/** The whole report (without the task's provenance fields). */
export function scoreReport(
  r: ScoreResult,
  subjects: readonly string[],
  layers: readonly string[],
  alphas: readonly number[],
): Record<string, unknown> {
  return {
    layers,
    subjects,
    ...(r.study ? {study: metricReport(r.study, subjects, layers)} : {}),
    ...(r.brainscore
      ? {brainscore: metricReport(r.brainscore, subjects, layers)}
      : {}),
    // A list, not an object: JSON objects put integer-like keys first.
    alpha_counts: alphas.map((alpha, i) => ({
      alpha,
      count: r.alphaCounts[i] ?? 0,
    })),
    folds: Object.fromEntries(subjects.map((s, i) => [s, r.folds[i] ?? []])),
  };
}
