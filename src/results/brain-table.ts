/**
 * The study's Table 3: brain score mean ± sd across subjects per model ×
 * sampling × fine-tuning, with each fine-tuned cell tested against the
 * same model without fine-tuning (`none`), scored on the same sampling of
 * the fMRI, by a paired sign-flip permutation test across subjects.
 */
import {meanSd} from '../brain/pearson.js';
import {signFlipTest} from '../brain/permutation-test.js';
import {compareOrders, ORDER_LABELS} from '../finetune/training-orders.js';
import {compareSampling, fmriText, modelText} from './ethics-tables.js';
import type {BrainRun} from './run-records.js';
import {csvNumber, meanSdText, pText, type TextTable} from './table-format.js';

/** The test of a fine-tuned cell against its model's `none` cell. */
export interface VersusNone {
  /** Mean over shared subjects of (cell − none). */
  readonly difference: number;
  /** Two-sided sign-flip p. */
  readonly p: number;
  readonly exact: boolean;
  readonly subjects: number;
}

/** One row of Table 3. */
export interface BrainCell {
  readonly model: string;
  /** How the scored fMRI was sampled ('' = unknown). */
  readonly sampling: string;
  /** How the fine-tuning fMRI was sampled, when not `sampling` ('' = the same or none). */
  readonly tunedOn: string;
  readonly finetune: string;
  readonly label: string;
  readonly runs: number;
  readonly untrained: boolean;
  readonly syntheticFmri: boolean;
  readonly subjects: readonly string[];
  /** Per subject, the mean over the cell's runs (seeds). */
  readonly perSubject: readonly number[];
  readonly mean: number;
  readonly sd: number;
  readonly versusNone: VersusNone | null;
  readonly significant: boolean;
}

/** How to test. */
export interface BrainTableOptions {
  readonly permutations: number;
  readonly seed: string;
  readonly alpha: number;
}

function perSubjectMeans(runs: readonly BrainRun[]): Map<string, number> {
  const sums = new Map<string, {s: number; n: number}>();
  for (const r of runs) {
    r.subjects.forEach((subject, i) => {
      const v = r.values[i]!;
      if (!Number.isFinite(v)) return;
      const e = sums.get(subject) ?? {s: 0, n: 0};
      sums.set(subject, {s: e.s + v, n: e.n + 1});
    });
  }
  return new Map([...sums].map(([k, e]) => [k, e.s / e.n]));
}

/** An adapter tuned on one sampling but scored on another says so. */
const tunedOnOf = (r: BrainRun) =>
  r.finetune === 'none' || r.tunedSampling === r.sampling
    ? ''
    : r.tunedSampling;

/** Table 3's rows, sorted by model, sampling, then fine-tuning. */
export function brainByFinetune(
  runs: readonly BrainRun[],
  options: BrainTableOptions,
): BrainCell[] {
  const groups = new Map<string, BrainRun[]>();
  for (const r of runs) {
    const id = JSON.stringify([r.model, r.sampling, r.finetune, tunedOnOf(r)]);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const means = new Map([...groups].map(([id, g]) => [id, perSubjectMeans(g)]));
  const out = [...groups].map(([id, g]): BrainCell => {
    const first = g[0]!;
    const subj = means.get(id)!;
    const subjects = [...subj.keys()].sort();
    const perSubject = subjects.map((s) => subj.get(s)!);
    const {mean, sd} = meanSd(perSubject);
    let versusNone: VersusNone | null = null;
    // The pair is the same model scored on the same fMRI without tuning.
    const none = means.get(
      JSON.stringify([first.model, first.sampling, 'none', '']),
    );
    if (first.finetune !== 'none' && none !== undefined) {
      const shared = subjects.filter((s) => none.has(s));
      const d = shared.map((s) => subj.get(s)! - none.get(s)!);
      const t = signFlipTest(
        d,
        options.permutations,
        `${options.seed}/${first.model}/${first.sampling}/${first.finetune}`,
      );
      versusNone = {
        difference: t.meanDifference,
        p: t.p,
        exact: t.exact,
        subjects: shared.length,
      };
    }
    return {
      model: first.model,
      sampling: first.sampling,
      tunedOn: tunedOnOf(first),
      finetune: first.finetune,
      label: ORDER_LABELS[first.finetune] ?? first.finetune,
      runs: g.length,
      untrained: g.some((r) => r.untrained),
      syntheticFmri: g.some((r) => r.syntheticFmri),
      subjects,
      perSubject,
      mean,
      sd,
      versusNone,
      significant:
        versusNone !== null &&
        Number.isFinite(versusNone.p) &&
        versusNone.p < options.alpha,
    };
  });
  return out.sort((a, b) =>
    a.model !== b.model
      ? a.model < b.model
        ? -1
        : 1
      : a.sampling !== b.sampling
        ? compareSampling(a.sampling, b.sampling)
        : a.finetune !== b.finetune
          ? compareOrders(a.finetune, b.finetune)
          : compareSampling(a.tunedOn, b.tunedOn),
  );
}

/** The Sampling cell: the scored fMRI's method, and the tuned one if not. */
function brainSamplingText(c: BrainCell): string {
  const base = c.sampling === '' ? 'unknown' : c.sampling;
  const tuned = c.tunedOn === '' ? base : `${base}, tuned on ${c.tunedOn}`;
  return fmriText(tuned, c.syntheticFmri);
}

/** A difference with its sign and three decimals ('+0.000', not '-0.000'). */
export function signedText(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const t = Math.abs(v).toFixed(3);
  return (v < 0 && /[1-9]/.test(t) ? '−' : '+') + t;
}

/** The Markdown and CSV forms of Table 3. */
export function brainTables(rows: readonly BrainCell[]): {
  markdown: TextTable;
  csv: TextTable;
} {
  const markdown: TextTable = {
    columns: [
      'Model',
      'Sampling',
      'Fine-tuning',
      'Runs',
      'Subjects',
      'Brain score (mean ± sd)',
      'Δ vs None',
      'p (sign-flip)',
    ],
    rows: rows.map((c) => [
      modelText(c.model, c.untrained),
      brainSamplingText(c),
      c.label,
      String(c.runs),
      String(c.subjects.length),
      meanSdText(c.mean, c.sd) + (c.significant ? ' *' : ''),
      signedText(c.versusNone?.difference ?? NaN),
      pText(c.versusNone?.p ?? null),
    ]),
  };
  const csv: TextTable = {
    columns: [
      'model',
      'untrained',
      'synthetic_fmri',
      'sampling',
      'tuned_on_sampling',
      'finetune',
      'finetune_label',
      'runs',
      'subjects',
      'mean',
      'sd',
      'difference_vs_none',
      'p_sign_flip',
      'p_exact',
      'significant',
    ],
    rows: rows.map((c) => [
      c.model,
      String(c.untrained),
      String(c.syntheticFmri),
      c.sampling,
      c.finetune === 'none' ? '' : c.tunedOn || c.sampling,
      c.finetune,
      c.label,
      String(c.runs),
      String(c.subjects.length),
      csvNumber(c.mean),
      csvNumber(c.sd),
      csvNumber(c.versusNone?.difference),
      csvNumber(c.versusNone?.p),
      c.versusNone === null ? '' : String(c.versusNone.exact),
      String(c.significant),
    ]),
  };
  return {markdown, csv};
}
