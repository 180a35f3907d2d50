/**
 * Reading the files a sweep produces into flat records: one per
 * `model.heads` metrics JSON (ETHICS accuracy of one run) and one per
 * `brain.score` report (per-subject brain scores of one model). The job's
 * wildcards are not visible to tasks, so each file carries its own labels
 * (model, order, seed, sampling) and the tables group by those.
 */
import {readFile} from 'node:fs/promises';

import {FormatError} from '../io/format-error.js';

/** One fine-tuning run's ETHICS results. */
export interface EthicsRun {
  readonly file: string;
  readonly model: string;
  readonly order: string;
  readonly seed: string;
  /** How the run's fMRI was sampled (AVG, LAST, …; '' if unknown). */
  readonly sampling: string;
  readonly untrained: boolean;
  /** True when the run trained on synthetic fMRI. */
  readonly syntheticFmri: boolean;
  readonly test: number;
  readonly hard: number;
  readonly testAuroc: number | null;
  readonly hardAuroc: number | null;
}

/** One brain.score report, reduced to per-subject values. */
export interface BrainRun {
  readonly file: string;
  readonly model: string;
  /** The fine-tuning order, `none` for a model that was not fine-tuned. */
  readonly finetune: string;
  readonly seed: string;
  /** How the fMRI the score was computed on was sampled. */
  readonly sampling: string;
  /** How the fMRI the adapter was fine-tuned on was sampled ('' = none). */
  readonly tunedSampling: string;
  readonly untrained: boolean;
  /** True when the scored fMRI is synthetic. */
  readonly syntheticFmri: boolean;
  readonly subjects: readonly string[];
  /**
   * The subjects whose fMRI the scored adapter was fitted to (the report's
   * `finetune_subjects`, from model.heads); undefined when not recorded.
   */
  readonly finetuneSubjects: readonly string[] | undefined;
  readonly values: readonly number[];
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FormatError(file, 'json', (e as Error).message);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FormatError(file, 'json', 'is not a JSON object');
  }
  return v as Record<string, unknown>;
}

const str = (v: unknown, fallback = ''): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;

function accuracyOf(
  file: string,
  ethics: unknown,
  split: 'test' | 'hard_test',
): {accuracy: number; auroc: number | null} {
  const s = (ethics as Record<string, unknown> | undefined)?.[split] as
    Record<string, unknown> | undefined;
  const accuracy = s?.['accuracy'];
  if (typeof accuracy !== 'number') {
    throw new FormatError(file, `ethics.${split}.accuracy`, 'missing');
  }
  const auroc = s?.['auroc'];
  return {accuracy, auroc: typeof auroc === 'number' ? auroc : null};
}

/** Reads a model.heads metrics JSON. */
export async function readEthicsRun(file: string): Promise<EthicsRun> {
  const m = await readJson(file);
  if (typeof m['order'] !== 'string') {
    throw new FormatError(
      file,
      'order',
      'missing: not a model.heads metrics file',
    );
  }
  const test = accuracyOf(file, m['ethics'], 'test');
  const hard = accuracyOf(file, m['ethics'], 'hard_test');
  return {
    file,
    model: str(m['model'], 'unknown'),
    order: m['order'],
    seed: str(m['seed']),
    sampling: str(m['sampling']),
    untrained: m['untrained'] === true,
    syntheticFmri: m['fmri_synthetic'] === true,
    test: test.accuracy,
    hard: hard.accuracy,
    testAuroc: test.auroc,
    hardAuroc: hard.auroc,
  };
}

/** Which brain score of a report the table uses. */
export interface BrainChoice {
  /** `study` or `brainscore`. */
  readonly metric: string;
  /** A layer name, or '' for the summary (median over layers). */
  readonly layer: string;
}

/** Reads a brain.score report, taking one value per subject. */
export async function readBrainRun(
  file: string,
  choice: BrainChoice,
): Promise<BrainRun> {
  const r = await readJson(file);
  const subjects = r['subjects'];
  const layers = r['layers'];
  const section = r[choice.metric] as Record<string, unknown> | undefined;
  if (!Array.isArray(subjects) || !Array.isArray(layers)) {
    throw new FormatError(
      file,
      'subjects/layers',
      'missing: not a brain.score report',
    );
  }
  if (section === undefined) {
    throw new FormatError(
      file,
      choice.metric,
      `missing: score with metric ${choice.metric} or both`,
    );
  }
  let values: unknown[];
  if (choice.layer === '') {
    const summary = section['summary'] as {per_subject?: unknown} | undefined;
    if (!Array.isArray(summary?.per_subject)) {
      throw new FormatError(
        file,
        `${choice.metric}.summary.per_subject`,
        'missing',
      );
    }
    values = summary.per_subject;
  } else {
    const l = layers.map(String).indexOf(choice.layer);
    if (l < 0) {
      throw new FormatError(
        file,
        'layers',
        `has no layer "${choice.layer}" (layers: ${layers.map(String).join(', ')})`,
      );
    }
    const scores = section['scores'];
    if (!Array.isArray(scores)) {
      throw new FormatError(file, `${choice.metric}.scores`, 'missing');
    }
    values = scores.map((row: unknown): unknown =>
      Array.isArray(row) ? (row as unknown[])[l] : null,
    );
  }
  const info = (r['model'] ?? {}) as Record<string, unknown>;
  const tuned = str(info['sampling']);
  return {
    file,
    model: str(info['model'], 'unknown'),
    finetune: str(info['finetune_order'], 'none'),
    seed: str(info['finetune_seed']),
    finetuneSubjects: Array.isArray(r['finetune_subjects'])
      ? r['finetune_subjects'].map(String)
      : undefined,
    // Reports before brain.score recorded its samples' method: assume the
    // adapter was scored on what it was tuned on.
    sampling: str(r['sampling'], tuned),
    tunedSampling: tuned,
    untrained: info['untrained'] === true,
    syntheticFmri: r['fmri_synthetic'] === true,
    subjects: subjects.map(String),
    values: values.map((v) => (typeof v === 'number' ? v : NaN)),
  };
}
