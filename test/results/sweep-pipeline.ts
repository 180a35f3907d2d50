/**
 * A tiny study sweep with the real built-in tasks, for the end-to-end
 * sweep test: tiny UNTRAINED encoders (model.build-encoder, one per
 * `model` value, told apart by their seeds) × two sampling methods × two
 * orders × the given seeds, through encode → heads → brain score →
 * results.tables.
 *
 * Inputs: the real ds000212 events and scenario texts of three subjects
 * (from the repository's data/), SYNTHETIC parcel series [166, 8] with a
 * sidecar that says so, and tiny ETHICS-style CSVs (40 + 20 rows).
 */
import {fileURLToPath} from 'node:url';

import {writeNpy} from '../../src/io/npy.js';
import {Random} from '../../src/tasks/synth/random.js';
import type {WorkspaceRig} from '../rig/workspace-rig.js';

/** The repository's data/ (this file compiles to dist/test/results/). */
const DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

/** The subjects of the tiny sweep (one dis run each). */
export const SWEEP_SUBJECTS = ['03', '04', '05'] as const;
export const SWEEP_SAMPLINGS = ['LAST', 'AVG'] as const;
export const SWEEP_ORDERS = ['ethics_fmri', 'fmri_ethics'] as const;
/** Frames and parcels of the synthetic series. */
const FRAMES = 166;
const PARCELS = 8;

const list = (values: readonly string[]) =>
  `[${values.map((v) => `'${v}'`).join(', ')}]`;

const PEOPLE = ['my friend', 'a child', 'the old man', 'my sister', 'him'];
const GOOD = ['helped', 'thanked', 'fed', 'paid'];
const BAD = ['hit', 'robbed', 'lied to', 'insulted'];

/**
 * A CSV of `n` short moral texts, one row a line, seeded labels: the verb
 * says the label, the rest varies, so that the heads have something to
 * learn and runs differ.
 */
function ethicsCsv(n: number, seed: string): string {
  const rng = new Random(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rng.uniform() * a.length)]!;
  const rows = Array.from({length: n}, (_, i) => {
    const wrong = rng.uniform() < 0.5;
    const verb = pick(wrong ? BAD : GOOD);
    const tail = rng.uniform() < 0.5 ? '' : ` after ${pick(PEOPLE)} asked`;
    return `${wrong ? 1 : 0},I ${verb} ${pick(PEOPLE)} on day ${i}${tail}.,True,False`;
  });
  return ['label,input,is_short,edited', ...rows].join('\n') + '\n';
}

/** Writes the sweep's fixed inputs into the rig's workspace. */
export async function writeSweepInputs(rig: WorkspaceRig): Promise<void> {
  rig.write('data/ethics/cm_test.csv', ethicsCsv(80, 'cm_test'));
  rig.write('data/ethics/cm_test_hard.csv', ethicsCsv(40, 'cm_test_hard'));
  for (const s of SWEEP_SUBJECTS) {
    const rng = new Random(`series/${s}`);
    const data = Float32Array.from({length: FRAMES * PARCELS}, () =>
      rng.normal(),
    );
    rig.write(
      `data/series/sub-${s}.json`,
      JSON.stringify({RepetitionTime: 2, Synthetic: true}),
    );
    await writeNpy(rig.path(`data/series/sub-${s}.npy`), data, [
      FRAMES,
      PARCELS,
    ]);
  }
}

/** pipeline.yaml of the sweep over `models` × samplings × orders × `seeds`. */
export function sweepPipeline(
  rig: WorkspaceRig,
  models: readonly string[],
  seeds: readonly string[],
): void {
  const M = list(models);
  rig.pipeline(
    'steps:',
    '  build_encoder:',
    '    task: model.build-encoder',
    `    for_each: {matrix: {model: ${M}}}`,
    `    inputs: {scenarios: ${DATA}ds000212/stimuli/scenarios.csv, ethics: [data/ethics/cm_test.csv, data/ethics/cm_test_hard.csv]}`,
    '    outputs:',
    '      model: out/models/{model}/model.onnx',
    '      tokenizer: out/models/{model}/tokenizer.json',
    '      config: out/models/{model}/config.json',
    "    params: {seed: '{model}', layers: 1, hidden_size: 16, heads: 2, max_length: 48, vocab_size: 300}",
    '  encode:',
    '    task: model.encode',
    '    for_each: {step: build_encoder}',
    '    inputs:',
    '      model: out/models/{model}/model.onnx',
    `      texts: ${DATA}ds000212/stimuli/scenarios.csv`,
    '    outputs:',
    '      activations: out/act/{model}/scenarios.npy',
    '      sidecar: out/act/{model}/scenarios.json',
    '    params: {pooling: mean, scenario_text: both, max_length: 48}',
    '  encode_ethics:',
    '    task: model.encode',
    '    for_each: {step: build_encoder, matrix: {split: [cm_test, cm_test_hard]}}',
    '    inputs: {model: "out/models/{model}/model.onnx", texts: "data/ethics/{split}.csv"}',
    '    outputs:',
    '      activations: out/act/{model}/ethics_{split}.npy',
    '      sidecar: out/act/{model}/ethics_{split}.json',
    '    params: {text_field: input, pooling: mean, layers: [-1]}',
    '  sample:',
    '    task: fmri.sample',
    `    for_each: {matrix: {subject: ${list(SWEEP_SUBJECTS)}, sampling: ${list(SWEEP_SAMPLINGS)}}}`,
    '    inputs:',
    '      series: data/series/sub-{subject}.npy',
    `      events: ${DATA}ds000212/sub-{subject}/func/sub-{subject}_task-dis_run-01_events.tsv`,
    '      sidecar: data/series/sub-{subject}.json',
    `      scenarios: ${DATA}ds000212/stimuli/scenarios.csv`,
    '    outputs:',
    '      samples: out/samples/{sampling}/sub-{subject}.npy',
    '      metadata: out/samples/{sampling}/sub-{subject}.jsonl',
    "    params: {method: '{sampling}', subject: 'sub-{subject}', run: '01'}",
    '  dataset:',
    '    task: fmri.dataset',
    `    for_each: {matrix: {sampling: ${list(SWEEP_SAMPLINGS)}}}`,
    '    inputs:',
    '      samples: {from: sample, output: samples}',
    '      metadata: {from: sample, output: metadata}',
    '    outputs:',
    '      train: out/dataset/{sampling}/train.jsonl',
    '      validation: out/dataset/{sampling}/validation.jsonl',
    '      test: out/dataset/{sampling}/test.jsonl',
    '      summary: out/dataset/{sampling}/summary.json',
    '  encode_trials:',
    '    task: model.encode',
    `    for_each: {step: dataset, matrix: {model: ${M}, split: [train, validation]}}`,
    '    inputs: {model: "out/models/{model}/model.onnx", texts: "out/dataset/{sampling}/{split}.jsonl"}',
    '    outputs:',
    '      activations: out/act/{model}/{sampling}/trials_{split}.npy',
    '      sidecar: out/act/{model}/{sampling}/trials_{split}.json',
    '    params: {pooling: mean, layers: [-1], max_length: 48}',
    '  heads:',
    '    task: model.heads',
    `    for_each: {step: dataset, matrix: {model: ${M}, order: ${list(SWEEP_ORDERS)}, seed: ${list(seeds)}}}`,
    '    inputs:',
    '      ethics_test: out/act/{model}/ethics_cm_test.npy',
    '      ethics_test_labels: data/ethics/cm_test.csv',
    '      ethics_hard: out/act/{model}/ethics_cm_test_hard.npy',
    '      ethics_hard_labels: data/ethics/cm_test_hard.csv',
    '      fmri_train: out/act/{model}/{sampling}/trials_train.npy',
    '      fmri_train_targets: out/dataset/{sampling}/train.jsonl',
    '      fmri_validation: out/act/{model}/{sampling}/trials_validation.npy',
    '      fmri_validation_targets: out/dataset/{sampling}/validation.jsonl',
    '      sidecar: out/act/{model}/ethics_cm_test.json',
    '      adapt: out/act/{model}/scenarios.npy',
    '      adapt_sidecar: out/act/{model}/scenarios.json',
    '    outputs:',
    '      weights: out/ft/{model}/{sampling}/{order}_{seed}_weights.json',
    '      metrics: out/ft/{model}/{sampling}/{order}_{seed}_metrics.json',
    '      curves: out/ft/{model}/{sampling}/{order}_{seed}_curves.json',
    '      plot: out/ft/{model}/{sampling}/{order}_{seed}_curves.svg',
    '      adapted: out/ft/{model}/{sampling}/{order}_{seed}_scenarios.npy',
    '      adapted_sidecar: out/ft/{model}/{sampling}/{order}_{seed}_scenarios.json',
    '    params:',
    "      {model: '{model}', sampling: '{sampling}', order: '{order}', seed: '{seed}', epochs_ethics: 10, epochs_fmri: 3, lr: 0.05}",
    '  brain_score_heads:',
    '    task: brain.score',
    '    for_each: {step: heads}',
    '    inputs:',
    '      activations: out/ft/{model}/{sampling}/{order}_{seed}_scenarios.npy',
    '      sidecar: out/ft/{model}/{sampling}/{order}_{seed}_scenarios.json',
    '      samples: {from: sample, output: samples}',
    '      metadata: {from: sample, output: metadata}',
    '    outputs:',
    '      scores: out/ft/{model}/{sampling}/{order}_{seed}_brain.json',
    '      parcels: out/ft/{model}/{sampling}/{order}_{seed}_brain.npy',
    '      plot: out/ft/{model}/{sampling}/{order}_{seed}_brain.svg',
    '    params: {metric: study}',
    '  brain_score_base:',
    '    task: brain.score',
    `    for_each: {step: dataset, matrix: {model: ${M}}}`,
    '    inputs:',
    '      activations: out/act/{model}/scenarios.npy',
    '      sidecar: out/act/{model}/scenarios.json',
    '      samples: {from: sample, output: samples}',
    '      metadata: {from: sample, output: metadata}',
    '    outputs:',
    '      scores: out/brain/{model}_{sampling}.json',
    '      parcels: out/brain/{model}_{sampling}.npy',
    '      plot: out/brain/{model}_{sampling}.svg',
    "    params: {metric: study, layers: [hidden_states.1], model: '{model}'}",
    '  tables:',
    '    task: results.tables',
    '    inputs:',
    '      metrics: {from: heads, output: metrics}',
    '      brain_scores: {from: brain_score_heads, output: scores}',
    '      baseline_scores: {from: brain_score_base, output: scores}',
    '    outputs:',
    '      markdown: out/results/tables.md',
    '      ethics_by_order: out/results/t1.csv',
    '      ethics_by_sampling: out/results/t2.csv',
    '      brain_by_finetune: out/results/t3.csv',
    '    params: {brain_layer: hidden_states.1}',
  );
}
