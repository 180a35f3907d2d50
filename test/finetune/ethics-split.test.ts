import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {test} from 'node:test';

import heads from '../../src/tasks/model/heads.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {withTempDir} from '../io/helpers.js';
import {csvLabels, readWeights, referenceAccuracy} from './heads-reference.js';
import {type HeadsFiles, writeHeadsFiles} from './synthetic.js';

const SMALL = {epochs_ethics: 4, epochs_fmri: 4, lr: 0.01, order: 'joint'};

interface Rows {
  file: string;
  n: number;
  rows: number[] | 'all';
}

interface Metrics {
  sampling: string;
  sampling_source: string;
  fmri_synthetic: boolean;
  ethics: {
    train_rows: number;
    split: {
      statement: string;
      train: Rows;
      test: Rows;
      hard_test: Rows;
      split_seed: string | null;
    };
    train: {n: number; accuracy: number};
    test: {n: number; accuracy: number};
    hard_test: {n: number; accuracy: number};
  };
}

/** Runs model.heads with SMALL and `params`, and reads its metrics. */
async function runHeads(
  files: HeadsFiles,
  params: Record<string, unknown> = {},
  inputs = files.inputs,
): Promise<Metrics> {
  await runStandalone(heads, inputs, files.outputs, {...SMALL, ...params});
  return JSON.parse(
    await readFile(files.outputs['metrics']!, 'utf8'),
  ) as Metrics;
}

void test('ETHICS: train and test rows of cm_test never overlap, and are the rows evaluated', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const m = await runHeads(files, {seed: '1'});
    const {train, test: held, hard_test: hard} = m.ethics.split;
    assert.ok(Array.isArray(train.rows) && Array.isArray(held.rows));
    const trainRows = train.rows;
    const heldRows = held.rows;
    assert.equal(train.file, 'cm_test.csv');
    assert.equal(held.file, 'cm_test.csv');
    assert.deepEqual(
      trainRows.filter((r) => heldRows.includes(r)),
      [],
      'no row both trained and tested',
    );
    assert.deepEqual(
      [...trainRows, ...heldRows].sort((a, b) => a - b),
      Array.from({length: 200}, (_, i) => i),
      'together they are every row of cm_test',
    );
    assert.equal(trainRows.length, 160);
    assert.equal(m.ethics.train_rows, 160);
    assert.equal(m.ethics.test.n, 40);
    assert.deepEqual(hard, {file: 'cm_test_hard.csv', n: 100, rows: 'all'});
    assert.match(m.ethics.split.statement, /never trained on/);

    // The accuracies the task reports are those of exactly these rows,
    // recomputed from the weights file without src/finetune.
    const weights = await readWeights(files.outputs['weights']!);
    const labels = await csvLabels(files.inputs['ethics_test_labels']!);
    const acts = files.inputs['ethics_test']!;
    const onHeld = await referenceAccuracy(weights, acts, 1, labels, heldRows);
    const onTrain = await referenceAccuracy(
      weights,
      acts,
      1,
      labels,
      trainRows,
    );
    assert.ok(Math.abs(onHeld - m.ethics.test.accuracy) < 1e-12);
    assert.ok(Math.abs(onTrain - m.ethics.train.accuracy) < 1e-12);
    const hardLabels = await csvLabels(files.inputs['ethics_hard_labels']!);
    const onHard = await referenceAccuracy(
      weights,
      files.inputs['ethics_hard']!,
      1,
      hardLabels,
      Array.from({length: 100}, (_, i) => i),
    );
    assert.ok(Math.abs(onHard - m.ethics.hard_test.accuracy) < 1e-12);
  });
});

void test('ETHICS: the split is fixed across training seeds unless split_seed changes', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const heldOut = async (params: Record<string, unknown>) =>
      (await runHeads(files, params)).ethics.split.test.rows;
    const a = await heldOut({seed: '1'});
    assert.deepEqual(await heldOut({seed: '2'}), a);
    assert.notDeepEqual(await heldOut({seed: '1', split_seed: '9'}), a);
  });
});

void test('ETHICS: a separate training file is used whole, and said so', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const m = await runHeads(
      files,
      {seed: '1'},
      {
        ...files.inputs,
        ethics_train: files.inputs['ethics_hard']!,
        ethics_train_labels: files.inputs['ethics_hard_labels']!,
      },
    );
    assert.deepEqual(m.ethics.split.train, {
      file: 'cm_test_hard.csv',
      n: 100,
      rows: 'all',
    });
    assert.deepEqual(m.ethics.split.test, {
      file: 'cm_test.csv',
      n: 200,
      rows: 'all',
    });
    assert.equal(m.ethics.split.split_seed, null);
  });
});

void test('sampling comes from the fMRI rows; a contradicting label or mixed rows are errors', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const m = await runHeads(files, {sampling: 'LAST'});
    assert.equal(m.sampling, 'LAST');
    assert.equal(m.sampling_source, 'rows');
    assert.equal(m.fmri_synthetic, false);
    await assert.rejects(
      runHeads(files, {sampling: 'AVG'}),
      /param "sampling" is "AVG" but the fMRI rows were sampled by LAST/,
    );
    // Validation rows of another method: a dataset gathered across methods.
    const val = files.inputs['fmri_validation_targets']!;
    const text = await readFile(val, 'utf8');
    await writeFile(
      val,
      text.replace('"method":"LAST"', '"method":"AVG","synthetic":true'),
    );
    await assert.rejects(
      runHeads(files),
      /the fMRI rows mix sampling methods \(train\.jsonl: LAST; validation\.jsonl: AVG, LAST\)/,
    );
    await writeFile(
      val,
      text.replaceAll('"method":"LAST"', '"synthetic":true'),
    );
    await writeFile(
      files.inputs['fmri_train_targets']!,
      (await readFile(files.inputs['fmri_train_targets']!, 'utf8')).replaceAll(
        '"method":"LAST",',
        '',
      ),
    );
    const labelled = await runHeads(files, {sampling: 'MIDDLE'});
    assert.equal(labelled.sampling, 'MIDDLE');
    assert.equal(labelled.sampling_source, 'param');
    assert.equal(labelled.fmri_synthetic, true);
  });
});
