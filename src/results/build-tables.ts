/**
 * Reads a sweep's files and builds the three tables as one Markdown
 * document, three CSVs and a JSON of every cell.
 */
import {brainByFinetune, brainTables} from './brain-table.js';
import {
  ethicsByOrder,
  ethicsBySampling,
  ethicsTables,
} from './ethics-tables.js';
import {
  readBrainRun,
  readEthicsRun,
  type BrainChoice,
  type BrainRun,
} from './run-records.js';
import {csvTable, markdownTable, escapeMarkdownCell} from './table-format.js';

/** What to build from. */
export interface BuildTablesInput {
  readonly metrics: readonly string[];
  readonly brainScores: readonly string[];
  /** Reports of models that were not fine-tuned. */
  readonly baselineScores: readonly string[];
  readonly brain: BrainChoice;
  readonly permutations: number;
  readonly seed: string;
  readonly alpha: number;
  readonly title: string;
}

/** The documents, and warnings for the user. */
export interface BuiltTables {
  readonly markdown: string;
  readonly csv: {order: string; sampling: string; brain: string};
  readonly json: Record<string, unknown>;
  readonly warnings: string[];
  readonly brainReports: number;
}

/** Builds every table. */
export async function buildTables(
  input: BuildTablesInput,
): Promise<BuiltTables> {
  const warnings: string[] = [];
  const runs = await Promise.all(input.metrics.map(readEthicsRun));
  const brains = [
    ...(await Promise.all(
      input.brainScores.map((f) => readBrainRun(f, input.brain)),
    )),
    ...(await Promise.all(
      input.baselineScores.map(async (f) => ({
        ...(await readBrainRun(f, input.brain)),
        finetune: 'none',
      })),
    )),
  ];
  // The same labels twice is most likely one run gathered twice, or a
  // sweep whose labels were not passed through: it would halve the sd.
  const seen = new Map<string, string>();
  for (const r of runs) {
    const key = JSON.stringify([r.model, r.order, r.seed, r.sampling]);
    const before = seen.get(key);
    if (before !== undefined) {
      warnings.push(
        `${r.file} and ${before} have the same model, order, seed and sampling (${key}); pass the matrix values through the heads params`,
      );
    }
    seen.set(key, r.file);
  }
  const byOrder = ethicsByOrder(runs);
  const bySampling = ethicsBySampling(runs);
  const brainCells = brainByFinetune(brains, input);
  for (const c of brainCells) {
    if (c.finetune !== 'none' && c.versusNone === null) {
      warnings.push(
        `no brain score of ${c.model} without fine-tuning on ${c.sampling || 'unknown'}-sampled fMRI: ${c.label} is not tested`,
      );
    }
  }
  for (const r of runs) {
    if (r.sampling === '') {
      warnings.push(
        `${r.file} does not say how its fMRI was sampled: it is counted as "unknown" in Table 2`,
      );
    }
  }
  const t1 = ethicsTables(byOrder, 'Fine-tuning');
  const t2 = ethicsTables(bySampling, 'Sampling');
  const t3 = brainTables(brainCells);
  const untrained = [...runs, ...brains].some((r) => r.untrained);
  const synthetic = [...runs, ...brains].some((r) => r.syntheticFmri);
  const heldOut = heldOutNote(brains);
  const minSubjects = Math.min(
    ...brainCells.map((c) => c.versusNone?.subjects ?? Infinity),
  );
  const md = [
    `# ${escapeMarkdownCell(input.title)}`,
    '',
    ...(untrained
      ? [
          '> **UNTRAINED models present**: their numbers test the pipeline, not a language model.',
          '',
        ]
      : []),
    ...(synthetic
      ? [
          '> **SYNTHETIC fMRI**: rows marked so were fine-tuned or scored on generated BOLD, not recordings.',
          '',
        ]
      : []),
    '## Table 1: ETHICS accuracy per model × fine-tuning',
    '',
    'Accuracy on the ETHICS commonsense hard test and test set, mean ± sd (sample sd) and max over runs (seeds, sampling methods). Which rows each run trained and was tested on is in its metrics JSON (`ethics.split`): without a separate training file, "Test" is the rows of cm_test held out from training, "Hard test" all of cm_test_hard; neither was trained on.',
    '',
    markdownTable(t1.markdown),
    '',
    '## Table 2: ETHICS accuracy per model × sampling method',
    '',
    "Runs that trained on fMRI only (every order but ETHICS alone), grouped by the sampling method of the fMRI rows each run trained on (the metrics' `sampling`).",
    '',
    t2.markdown.rows.length === 0
      ? '_No run trained on fMRI._'
      : markdownTable(t2.markdown),
    '',
    '## Table 3: brain score per model × sampling × fine-tuning',
    '',
    `Brain score (${input.brain.metric} metric, ${input.brain.layer === '' ? 'median over layers' : `layer ${escapeMarkdownCell(input.brain.layer)}`}): per subject the mean over a cell's runs, then mean ± sd across subjects. Sampling: how the fMRI the score was computed on was sampled (and the fine-tuning fMRI, when that differs). Δ vs None: mean paired difference from the same model without fine-tuning, scored on the same sampling; p: two-sided sign-flip permutation test across subjects; * = p < ${input.alpha}.`,
    ...(heldOut === undefined ? [] : ['', heldOut]),
    ...(Number.isFinite(minSubjects) && minSubjects <= 8
      ? [
          '',
          `With ${minSubjects} subjects the smallest possible sign-flip p is ${(2 / 2 ** minSubjects).toPrecision(2)}.`,
        ]
      : []),
    '',
    t3.markdown.rows.length === 0
      ? '_No brain score reports._'
      : markdownTable(t3.markdown),
    '',
  ].join('\n');
  return {
    markdown: md,
    csv: {
      order: csvTable(t1.csv),
      sampling: csvTable(t2.csv),
      brain: csvTable(t3.csv),
    },
    json: {
      task: 'results.tables',
      brain: input.brain,
      alpha: input.alpha,
      ethics_by_order: byOrder,
      ethics_by_sampling: bySampling,
      brain_by_finetune: brainCells,
      runs: runs.map((r) => r.file),
      brain_scores: brains.map((b) => b.file),
    },
    warnings,
    brainReports: brains.length,
  };
}

/**
 * What Table 3 says of its fine-tuned rows' subjects: held out when no
 * report scored a subject its adapter was fitted to (model.heads records
 * them as `finetune_subjects`); undefined without fine-tuned rows.
 */
function heldOutNote(brains: readonly BrainRun[]): string | undefined {
  const tuned = brains.filter((b) => b.finetune !== 'none');
  if (tuned.length === 0) return undefined;
  const seen = new Set<string>();
  for (const b of tuned) {
    for (const s of b.subjects) {
      if (b.finetuneSubjects?.includes(s) === true) seen.add(s);
    }
  }
  if (seen.size > 0) {
    return `**Not held out**: fine-tuned rows were scored on subjects their adapters were fitted to (${[...seen].sort().join(', ')}); give brain.score the validation and test splits as \`subjects_from\`.`;
  }
  if (tuned.some((b) => b.finetuneSubjects === undefined)) {
    return 'Whether the fine-tuned rows are scored on held-out subjects is not known for every run: their activation sidecars do not list the subjects the adapters were fitted to (model.heads writes `finetune_subjects`).';
  }
  return 'Fine-tuned rows are scored on held-out subjects only: none of the subjects whose fMRI their adapters were fitted to.';
}
