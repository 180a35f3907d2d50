import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  initHeads,
  maxWeightDifference,
  type HeadsModel,
} from '../../src/finetune/heads-model.js';
import {trainHeads, type TrainOptions} from '../../src/finetune/train-heads.js';
import {
  stagesOf,
  type Order,
  type StageEpochs,
} from '../../src/finetune/training-orders.js';
import {linearFmri, separableEthics} from './synthetic.js';

const H = 6;
const K = 4;
const DATA = {
  ethics: separableEthics(120, H, 'o-train'),
  fmri: linearFmri(30, H, K, 'o-fmri'),
};
const EPOCHS: StageEpochs = {ethics: 4, fmri: 6, joint: 3};

function run(order: Order, seed = 'o', epochs = EPOCHS) {
  const options: TrainOptions = {
    seed,
    stages: stagesOf(order, epochs),
    batchSize: 8,
    accumulate: 2,
    adamw: {lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01},
    lrGamma: 0.99,
    lrStepFraction: 0.02,
    fmriWeight: 1,
  };
  const model = initHeads(H, K, seed);
  const starts: HeadsModel[] = [];
  const ends: HeadsModel[] = [];
  const result = trainHeads(model, DATA, options, {
    onStageStart: (_, m) => starts.push(m),
    onStageEnd: (_, m) => ends.push(m),
  });
  return {model, starts, ends, ...result};
}

void test('the second stage starts from the first stage’s final weights', () => {
  for (const order of ['ethics_fmri', 'fmri_ethics'] as const) {
    const r = run(order);
    assert.equal(r.starts.length, 2);
    assert.equal(maxWeightDifference(r.starts[1]!, r.ends[0]!), 0, order);
    assert.ok(maxWeightDifference(r.starts[1]!, r.starts[0]!) > 0, order);
    assert.equal(r.stages[1]!.start_digest, r.stages[0]!.end_digest);
    assert.notEqual(r.stages[0]!.start_digest, r.stages[0]!.end_digest);
  }
  // ETHICS → fMRI's first stage is exactly an ETHICS-only run.
  const two = run('ethics_fmri');
  const one = run('ethics');
  assert.equal(maxWeightDifference(two.ends[0]!, one.model), 0);
});

void test('a stage trains the adapter and its own head only', () => {
  const r = run('ethics_fmri');
  const [s0, s1] = [r.ends[0]!, r.ends[1]!];
  // The fMRI stage leaves the ETHICS head as it was …
  assert.deepEqual(s1.ethicsW, s0.ethicsW);
  assert.deepEqual(s1.ethicsB, s0.ethicsB);
  // … but moves the shared adapter under it, so ETHICS predictions change.
  assert.ok(
    maxWeightDifference({...s1, fmriW: s0.fmriW, fmriB: s0.fmriB}, s0) > 1e-3,
  );
  const fresh = initHeads(H, K, 'o');
  assert.deepEqual(
    s0.fmriW,
    fresh.fmriW,
    'the ETHICS stage must not touch the fMRI head',
  );
});

void test('orders really differ', () => {
  const finals = new Map(
    (['ethics', 'fmri', 'joint', 'ethics_fmri', 'fmri_ethics'] as const).map(
      (o) => [o, run(o).model],
    ),
  );
  const names = [...finals.keys()];
  for (const [i, a] of names.entries()) {
    for (const b of names.slice(i + 1)) {
      assert.ok(
        maxWeightDifference(finals.get(a)!, finals.get(b)!) > 1e-3,
        `${a} and ${b} ended with the same weights`,
      );
    }
  }
  // Same stages, other order: the adapter ends elsewhere.
  const ef = finals.get('ethics_fmri')!;
  const fe = finals.get('fmri_ethics')!;
  let adapterDiff = 0;
  for (let i = 0; i < ef.adapterW.length; i++) {
    adapterDiff = Math.max(
      adapterDiff,
      Math.abs(ef.adapterW[i]! - fe.adapterW[i]!),
    );
  }
  assert.ok(adapterDiff > 1e-3, `adapters differ by only ${adapterDiff}`);
});

void test('training is deterministic from the seed', () => {
  const a = run('joint', 'x');
  const b = run('joint', 'x');
  const c = run('joint', 'y');
  assert.equal(maxWeightDifference(a.model, b.model), 0);
  assert.deepEqual(a.curve, b.curve);
  assert.ok(maxWeightDifference(a.model, c.model) > 1e-4);
});

void test('curves have one record per epoch, stage by stage', () => {
  const r = run('fmri_ethics');
  assert.equal(r.curve.length, EPOCHS.fmri + EPOCHS.ethics);
  assert.deepEqual(
    r.curve.map((c) => c.task),
    [
      ...Array<string>(EPOCHS.fmri).fill('fmri'),
      ...Array<string>(EPOCHS.ethics).fill('ethics'),
    ],
  );
  assert.equal(r.curve[0]!.train_ethics_loss, null);
  assert.ok(
    r.curve[0]!.train_fmri_loss! > r.curve[EPOCHS.fmri - 1]!.train_fmri_loss!,
  );
  assert.deepEqual(
    r.curve.map((c) => c.global_epoch),
    r.curve.map((_, i) => i + 1),
  );
});
