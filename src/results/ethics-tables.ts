/**
 * The study's Tables 1 and 2: ETHICS accuracy (hard test and test, mean ±
 * sd and max over runs) per model × training order, and per model ×
 * sampling method.
 */
import {meanSd} from '../brain/pearson.js';
import {
  compareOrders,
  ORDER_LABELS,
  orderUsesFmri,
} from '../finetune/training-orders.js';
import type {EthicsRun} from './run-records.js';
import {
  csvNumber,
  percent,
  percentMeanSd,
  type TextTable,
} from './table-format.js';

/** Summary statistics of one accuracy over a cell's runs. */
export interface AccuracyStats {
  readonly mean: number;
  readonly sd: number;
  readonly max: number;
}

/** One row of Table 1 or 2. */
export interface EthicsCell {
  readonly model: string;
  /** The order (Table 1) or sampling method (Table 2). */
  readonly key: string;
  readonly label: string;
  readonly runs: number;
  readonly untrained: boolean;
  /** True when a run of the cell trained on synthetic fMRI. */
  readonly syntheticFmri: boolean;
  readonly hard: AccuracyStats;
  readonly test: AccuracyStats;
  readonly hardAuroc: number;
  readonly testAuroc: number;
}

function stats(values: readonly number[]): AccuracyStats {
  const {mean, sd} = meanSd(values);
  return {mean, sd, max: values.length === 0 ? NaN : Math.max(...values)};
}

const SAMPLING_ORDER = ['AVG', 'LAST', 'MIDDLE', 'SENTENCES'];

/** The study's order of sampling methods, then others by name. */
export function compareSampling(a: string, b: string): number {
  const ia = SAMPLING_ORDER.indexOf(a.toUpperCase());
  const ib = SAMPLING_ORDER.indexOf(b.toUpperCase());
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0 || ib >= 0) return ia >= 0 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function cells(
  runs: readonly EthicsRun[],
  keyOf: (r: EthicsRun) => string,
  labelOf: (key: string) => string,
  compareKeys: (a: string, b: string) => number,
): EthicsCell[] {
  const groups = new Map<string, EthicsRun[]>();
  for (const r of runs) {
    const id = JSON.stringify([r.model, keyOf(r)]);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const out = [...groups.values()].map((g): EthicsCell => {
    const first = g[0]!;
    const key = keyOf(first);
    return {
      model: first.model,
      key,
      label: labelOf(key),
      runs: g.length,
      untrained: g.some((r) => r.untrained),
      syntheticFmri: g.some((r) => r.syntheticFmri && orderUsesFmri(r.order)),
      hard: stats(g.map((r) => r.hard)),
      test: stats(g.map((r) => r.test)),
      hardAuroc: meanSd(g.map((r) => r.hardAuroc ?? NaN)).mean,
      testAuroc: meanSd(g.map((r) => r.testAuroc ?? NaN)).mean,
    };
  });
  return out.sort((a, b) =>
    a.model !== b.model
      ? a.model < b.model
        ? -1
        : 1
      : compareKeys(a.key, b.key),
  );
}

/** Table 1: per model × order. */
export function ethicsByOrder(runs: readonly EthicsRun[]): EthicsCell[] {
  return cells(
    runs,
    (r) => r.order,
    (k) => ORDER_LABELS[k] ?? k,
    compareOrders,
  );
}

/**
 * Table 2: per model × sampling method, over the runs that trained on
 * fMRI (an ETHICS-only run does not depend on how fMRI was sampled).
 */
export function ethicsBySampling(runs: readonly EthicsRun[]): EthicsCell[] {
  return cells(
    runs.filter((r) => orderUsesFmri(r.order)),
    (r) => (r.sampling === '' ? 'unknown' : r.sampling),
    (k) => k,
    compareSampling,
  );
}

/** A model's name as shown, flagged when its weights were random. */
export function modelText(model: string, untrained: boolean): string {
  return untrained ? `${model} (UNTRAINED)` : model;
}

/** A label of something fMRI went into, flagged when that was generated. */
export function fmriText(label: string, synthetic: boolean): string {
  return synthetic ? `${label} (SYNTHETIC fMRI)` : label;
}

/** The Markdown and CSV forms of Table 1 or 2. */
export function ethicsTables(
  rows: readonly EthicsCell[],
  keyColumn: string,
): {markdown: TextTable; csv: TextTable} {
  const markdown: TextTable = {
    columns: [
      'Model',
      keyColumn,
      'Runs',
      'Hard test (mean ± sd)',
      'Hard test (max)',
      'Test (mean ± sd)',
      'Test (max)',
    ],
    rows: rows.map((c) => [
      modelText(c.model, c.untrained),
      fmriText(c.label, c.syntheticFmri),
      String(c.runs),
      percentMeanSd(c.hard.mean, c.hard.sd),
      percent(c.hard.max),
      percentMeanSd(c.test.mean, c.test.sd),
      percent(c.test.max),
    ]),
  };
  const key = keyColumn.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const csv: TextTable = {
    columns: [
      'model',
      'untrained',
      'synthetic_fmri',
      key,
      `${key}_label`,
      'runs',
      'hard_mean',
      'hard_sd',
      'hard_max',
      'test_mean',
      'test_sd',
      'test_max',
      'hard_auroc_mean',
      'test_auroc_mean',
    ],
    rows: rows.map((c) => [
      c.model,
      String(c.untrained),
      String(c.syntheticFmri),
      c.key,
      c.label,
      String(c.runs),
      csvNumber(c.hard.mean),
      csvNumber(c.hard.sd),
      csvNumber(c.hard.max),
      csvNumber(c.test.mean),
      csvNumber(c.test.sd),
      csvNumber(c.test.max),
      csvNumber(c.hardAuroc),
      csvNumber(c.testAuroc),
    ]),
  };
  return {markdown, csv};
}
