import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {test} from 'node:test';

import {readNpy} from '../../src/io/npy.js';
import heads from '../../src/tasks/model/heads.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {withTempDir} from '../io/helpers.js';
import {readWeights, referenceRatingAccuracy} from './heads-reference.js';
import {syntheticRating, writeHeadsFiles} from './synthetic.js';

const SMALL = {epochs_ethics: 6, epochs_fmri: 20, epochs_joint: 4, lr: 0.01};

interface Metrics {
  model: string;
  untrained: boolean;
  order: string;
  seed: string;
  sampling: string;
  layer: string;
  layer_index: number;
  ethics: {
    train_rows: number;
    test: {n: number; accuracy: number; auroc: number};
    hard_test: {n: number; accuracy: number; auroc: number};
  };
  fmri: {
    validation: {
      n: number;
      mse: number;
      cosine: number;
      rating_accuracy: number;
    };
    validation_mean_predictor: {mse: number; rating_accuracy: null};
    validation_rating_majority: number;
  };
  params: {rating_weight: number};
  stages: {start_digest: string; end_digest: string}[];
}

const read = async <T>(file: string) =>
  JSON.parse(await readFile(file, 'utf8')) as T;

void test('model.heads trains, evaluates and labels its outputs', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const r = await runStandalone(heads, files.inputs, files.outputs, {
      ...SMALL,
      order: 'ethics_fmri',
      seed: '7',
    });
    const m = await read<Metrics>(files.outputs['metrics']!);
    assert.equal(m.order, 'ethics_fmri');
    assert.equal(m.seed, '7');
    assert.equal(m.sampling, 'LAST', 'taken from the rows’ method');
    assert.equal(m.model, 'tiny <model> & "co"');
    assert.equal(m.untrained, true);
    assert.equal(m.layer, 'hidden_states.1');
    assert.equal(m.layer_index, 1);
    // No ethics_train: 80% of the 200 test rows train, 40 are tested.
    assert.equal(m.ethics.train_rows, 160);
    assert.equal(m.ethics.test.n, 40);
    assert.equal(m.ethics.hard_test.n, 100);
    assert.ok(r.warnings.some((w) => w.includes('no ethics_train')));
    // The fMRI stage moves the shared adapter under the ETHICS head, so
    // accuracy drops from where the ETHICS stage left it (but stays high).
    assert.ok(m.ethics.test.accuracy >= 0.75, `${m.ethics.test.accuracy}`);
    assert.ok(
      m.ethics.hard_test.auroc >= 0.8,
      `AUROC ${m.ethics.hard_test.auroc}`,
    );
    assert.ok(
      m.fmri.validation.mse < 0.5 * m.fmri.validation_mean_predictor.mse,
      `MSE ${m.fmri.validation.mse} vs mean predictor ${m.fmri.validation_mean_predictor.mse}`,
    );
    assert.ok(m.fmri.validation.cosine > 0.5);
    assert.equal(m.stages[1]!.start_digest, m.stages[0]!.end_digest);

    // The rating head: trained with the fMRI head on the rated rows, and
    // compared with always answering the commonest training rating.
    const keys = (n: number) =>
      Array.from({length: n}, (_, r) => syntheticRating(r))
        .filter((k) => !k.no_response)
        .map((k) => k.rating);
    const counts = [1, 2, 3, 4].map(
      (k) => keys(40).filter((x) => x === k).length,
    );
    const top = counts.indexOf(Math.max(...counts)) + 1;
    // The validation rows' ratings (the first 20 rows), rated rows only.
    const val = keys(20);
    assert.equal(
      m.fmri.validation_rating_majority,
      val.filter((k) => k === top).length / val.length,
    );
    assert.equal(top, 4, 'the synthetic ratings are unbalanced');
    assert.equal(typeof m.fmri.validation.rating_accuracy, 'number');
    assert.ok(
      m.fmri.validation.rating_accuracy >= 0 &&
        m.fmri.validation.rating_accuracy <= 1,
    );
    // And it is the accuracy of the rating head the weights file holds.
    assert.equal(
      m.fmri.validation.rating_accuracy,
      await referenceRatingAccuracy(
        await readWeights(files.outputs['weights']!),
        files.inputs['fmri_validation']!,
        1,
        // Each validation row's rating, null where it has no response.
        Array.from({length: 20}, (_, r) => {
          const k = syntheticRating(r);
          return k.no_response ? null : k.rating;
        }),
      ),
    );
    assert.equal(m.fmri.validation_mean_predictor.rating_accuracy, null);
    assert.equal(m.params.rating_weight, 1);

    const curves = await read<{
      epochs: {eval_ethics_accuracy: number}[];
    }>(files.outputs['curves']!);
    assert.equal(curves.epochs.length, 6 + 20);
    const afterEthics = curves.epochs[5]!.eval_ethics_accuracy;
    assert.ok(afterEthics >= 0.95, `after the ETHICS stage: ${afterEthics}`);
    assert.equal(
      curves.epochs.at(-1)!.eval_ethics_accuracy,
      m.ethics.test.accuracy,
    );
    const svg = await readFile(files.outputs['plot']!, 'utf8');
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes('tiny &lt;model&gt; &amp; &quot;co&quot;'));
    assert.ok(!svg.includes('<model>'));
    assert.equal(
      (svg.match(/stroke-dasharray/g) ?? []).length,
      4,
      'one stage boundary per panel',
    );

    const adapted = await readNpy(files.outputs['adapted']!);
    assert.deepEqual(adapted.shape, [8, 1, 6]);
    const side = await read<Record<string, unknown>>(
      files.outputs['adapted_sidecar']!,
    );
    assert.deepEqual(side['layers'], ['hidden_states.1']);
    assert.equal(side['finetune_order'], 'ethics_fmri');
    assert.equal(side['finetune_seed'], '7');
    assert.equal(side['finetuned'], true);
    assert.deepEqual(side['finetune_subjects'], ['sub-01', 'sub-02']);
  });
});

void test('model.heads: same seed, same bytes; zero epochs adapt to the identity', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    const params = {...SMALL, order: 'joint', seed: '3'};
    await runStandalone(heads, files.inputs, files.outputs, params);
    const first = await readFile(files.outputs['weights']!, 'utf8');
    await runStandalone(heads, files.inputs, files.outputs, params);
    assert.equal(await readFile(files.outputs['weights']!, 'utf8'), first);
    await runStandalone(heads, files.inputs, files.outputs, {
      ...params,
      seed: '4',
    });
    assert.notEqual(await readFile(files.outputs['weights']!, 'utf8'), first);

    // Untrained adapter: the adapted activations are the input layer itself.
    await runStandalone(heads, files.inputs, files.outputs, {
      ...params,
      epochs_joint: 0,
    });
    const adapted = await readNpy(files.outputs['adapted']!);
    const input = await readNpy(files.inputs['adapt']!);
    let max = 0;
    for (let r = 0; r < 8; r++) {
      for (let i = 0; i < 6; i++) {
        max = Math.max(
          max,
          Math.abs(adapted.data[r * 6 + i]! - input.data[(r * 2 + 1) * 6 + i]!),
        );
      }
    }
    assert.ok(max < 1e-5, `identity adapter changed the features by ${max}`);
  });
});

void test('model.heads: an ETHICS-only adapter was fitted to no subject; bad ratings are refused', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    await runStandalone(heads, files.inputs, files.outputs, {
      ...SMALL,
      order: 'ethics',
    });
    const side = await read<Record<string, unknown>>(
      files.outputs['adapted_sidecar']!,
    );
    assert.deepEqual(side['finetune_subjects'], []);

    const targets = files.inputs['fmri_train_targets']!;
    const rows = (await readFile(targets, 'utf8')).trim().split('\n');
    const bad = JSON.parse(rows[1]!) as Record<string, unknown>;
    rows[1] = JSON.stringify({...bad, rating: 7});
    await writeFile(targets, `${rows.join('\n')}\n`);
    await assert.rejects(
      runStandalone(heads, files.inputs, files.outputs, {
        ...SMALL,
        order: 'fmri',
      }),
      /train\.jsonl: row 2: "rating" is 7; ratings are the keys 1 to 4/,
    );
  });
});

void test('model.heads rejects mismatched inputs clearly', async () => {
  await withTempDir(async (dir) => {
    const files = await writeHeadsFiles(dir);
    await assert.rejects(
      runStandalone(
        heads,
        {
          ...files.inputs,
          ethics_hard_labels: files.inputs['ethics_test_labels']!,
        },
        files.outputs,
        {...SMALL, order: 'ethics'},
      ),
      /has 100 rows but .*cm_test\.csv has 200 labels/,
    );
    await assert.rejects(
      runStandalone(
        heads,
        {...files.inputs, ethics_train: files.inputs['ethics_test']!},
        files.outputs,
        {...SMALL, order: 'ethics'},
      ),
      /both ethics_train and ethics_train_labels/,
    );
    await assert.rejects(
      runStandalone(heads, files.inputs, files.outputs, {
        ...SMALL,
        order: 'ethics',
        layer: 5,
      }),
      /layer 5 is out of range for 2 layers/,
    );
  });
});
