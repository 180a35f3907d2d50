import assert from 'node:assert/strict';
import {test} from 'node:test';

import {AdamW} from '../../src/finetune/adamw.js';
import {
  auroc,
  evaluateEthics,
  evaluateFmri,
} from '../../src/finetune/head-metrics.js';
import {
  ethicsBatchGradient,
  fmriBatchGradient,
  zeroGradient,
} from '../../src/finetune/heads-gradient.js';
import {
  headsTensors,
  initHeads,
  TENSOR_NAMES,
  type HeadsModel,
} from '../../src/finetune/heads-model.js';
import {
  scheduledLr,
  trainHeads,
  type TrainOptions,
} from '../../src/finetune/train-heads.js';
import {linearFmri, normals, separableEthics} from './synthetic.js';

const BASE: Omit<TrainOptions, 'stages'> = {
  seed: 's',
  batchSize: 16,
  accumulate: 1,
  adamw: {lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0},
  lrGamma: 1,
  lrStepFraction: 0.02,
  fmriWeight: 1,
};

/** A model whose adapter is not the identity, so every path is exercised. */
function scrambled(hidden: number, parcels: number): HeadsModel {
  const m = initHeads(hidden, parcels, 'g');
  const t = headsTensors(m);
  for (const name of TENSOR_NAMES) {
    const r = normals(1, t[name].length, `scramble/${name}`);
    for (let i = 0; i < t[name].length; i++) t[name][i]! += 0.3 * r[i]!;
  }
  return m;
}

void test('AdamW takes the PyTorch step (decoupled decay, bias correction)', () => {
  const p = Float64Array.of(1, -2);
  const opt = new AdamW([p], {
    lr: 0.1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0.01,
  });
  opt.step([Float64Array.of(0.5, -4)]);
  // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε) after decay.
  const expect = (w: number, g: number) =>
    w * (1 - 0.1 * 0.01) - (0.1 * g) / (Math.abs(g) + 1e-8);
  assert.ok(Math.abs(p[0]! - expect(1, 0.5)) < 1e-12);
  assert.ok(Math.abs(p[1]! - expect(-2, -4)) < 1e-12);
  opt.step([Float64Array.of(0.5, -4)]);
  // Same gradient again: m̂ = g, v̂ = g² still, so the same size of step.
  assert.ok(Math.abs(p[0]! - expect(expect(1, 0.5), 0.5)) < 1e-12);
});

void test('gradients match central finite differences', () => {
  const h = 4;
  const k = 3;
  const m = scrambled(h, k);
  const e = separableEthics(7, h, 'fd');
  // Ratings on rows 1 and 4 (classes 2 and 0), none on row 0.
  const f = {
    ...linearFmri(5, h, k, 'fd'),
    ratings: Int8Array.of(-1, 2, 1, 3, 0),
  };
  const rowsE = [0, 2, 3, 6];
  const rowsF = [1, 4, 0];
  const g = zeroGradient(m);
  ethicsBatchGradient(m, e, rowsE, g, 1);
  fmriBatchGradient(m, f, rowsF, g, 0.7, 1.5);
  const loss = () => {
    const scratch = zeroGradient(m);
    const fmri = fmriBatchGradient(m, f, rowsF, scratch, 0.7, 1.5);
    return (
      ethicsBatchGradient(m, e, rowsE, scratch, 1) +
      0.7 * (fmri.mse + 1.5 * (fmri.rating ?? NaN))
    );
  };
  const t = headsTensors(m);
  const gt = headsTensors(g);
  let checked = 0;
  for (const name of TENSOR_NAMES) {
    for (let i = 0; i < t[name].length; i++) {
      const w = t[name][i]!;
      t[name][i] = w + 1e-6;
      const up = loss();
      t[name][i] = w - 1e-6;
      const down = loss();
      t[name][i] = w;
      const numeric = (up - down) / 2e-6;
      assert.ok(
        Math.abs(numeric - gt[name][i]!) <
          1e-6 * Math.max(1, Math.abs(numeric)),
        `${name}[${i}]: analytic ${gt[name][i]}, numeric ${numeric}`,
      );
      checked++;
    }
  }
  assert.equal(checked, 4 * 4 + 4 + 4 + 1 + 3 * 4 + 3 + 4 * 4 + 4);
});

void test('AUROC is the Mann–Whitney statistic, ties counted half', () => {
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auroc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  assert.equal(auroc([3, 2, 1], [1, 1, 0]), 1);
  assert.equal(auroc([1, 2], [1, 1]), null);
});

void test('the ETHICS head separates separable data (accuracy ≈ 1, AUROC ≈ 1)', () => {
  const h = 8;
  const train = separableEthics(400, h, 'train');
  const held = separableEthics(200, h, 'held');
  const m = initHeads(h, 2, 's');
  const before = evaluateEthics(m, held);
  trainHeads(
    m,
    {ethics: train},
    {...BASE, stages: [{task: 'ethics', epochs: 40}]},
  );
  const after = evaluateEthics(m, held);
  assert.ok(before.accuracy < 0.9, `untrained accuracy ${before.accuracy}`);
  assert.ok(after.accuracy >= 0.98, `accuracy ${after.accuracy}`);
  assert.ok(after.auroc! >= 0.995, `AUROC ${after.auroc}`);
  assert.ok(evaluateEthics(m, train).loss < 0.1);
});

/** Least squares with an intercept by the normal equations (Gauss–Jordan). */
function leastSquaresMse(
  x: Float64Array,
  y: Float64Array,
  n: number,
  h: number,
  k: number,
): number {
  const p = h + 1;
  const a = Array.from({length: p}, () => new Float64Array(p + k));
  const row = (r: number, i: number) => (i === h ? 1 : x[r * h + i]!);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) a[i]![j]! += row(r, i) * row(r, j);
      for (let c = 0; c < k; c++) a[i]![p + c]! += row(r, i) * y[r * k + c]!;
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++)
      if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const d = a[c]![c]!;
    for (let j = 0; j < p + k; j++) a[c]![j]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < p + k; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  let sq = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let pred = 0;
      for (let i = 0; i < p; i++) pred += row(r, i) * a[i]![p + c]!;
      sq += (pred - y[r * k + c]!) ** 2;
    }
  }
  return sq / (n * k);
}

void test('the fMRI head reaches the least-squares optimum', () => {
  const h = 5;
  const k = 4;
  const train = linearFmri(60, h, k, 'ls', 0.5);
  const optimum = leastSquaresMse(train.x, train.targets, train.n, h, k);
  const m = initHeads(h, k, 's');
  const start = evaluateFmri(m, train).mse;
  trainHeads(
    m,
    {fmri: train},
    {
      ...BASE,
      batchSize: train.n,
      adamw: {...BASE.adamw, lr: 0.05},
      lrGamma: 0.85,
      stages: [{task: 'fmri', epochs: 3000}],
    },
  );
  const reached = evaluateFmri(m, train).mse;
  assert.ok(
    optimum > 0.1 && start > 10 * optimum,
    `optimum ${optimum}, start ${start}`,
  );
  assert.ok(
    reached >= optimum - 1e-9,
    `below the optimum: ${reached} < ${optimum}`,
  );
  assert.ok(
    (reached - optimum) / optimum < 1e-3,
    `MSE ${reached} vs optimum ${optimum}`,
  );
});

/** An fMRI set whose ratings are the argmax of 4 linear scores of x. */
function ratedFmri(n: number, h: number, seed: string) {
  const set = linearFmri(n, h, 2, seed);
  const w = normals(4, h, 'rating-true-w');
  const ratings = new Int8Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let top = -Infinity;
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let i = 0; i < h; i++) s += w[c * h + i]! * set.x[r * h + i]!;
      if (s > top) [best, top] = [c, s];
    }
    // Every seventh trial had no response.
    ratings[r] = r % 7 === 3 ? -1 : best;
  }
  return {...set, ratings};
}

void test('the rating head learns separable ratings alongside the fMRI head, and rating_weight 0 leaves it untrained', () => {
  const h = 6;
  const train = ratedFmri(600, h, 'rate-train');
  const held = ratedFmri(300, h, 'rate-held');
  const options = {
    ...BASE,
    adamw: {...BASE.adamw, lr: 0.02},
    stages: [{task: 'fmri' as const, epochs: 60}],
  };
  const m = initHeads(h, 2, 's');
  const before = evaluateFmri(m, held).rating_accuracy!;
  const {curve} = trainHeads(
    m,
    {fmri: train, fmriEval: held},
    {...options, ratingWeight: 1},
  );
  const after = evaluateFmri(m, held).rating_accuracy!;
  assert.ok(before < 0.6, `untrained rating accuracy ${before}`);
  assert.ok(after > 0.9, `rating accuracy ${after}`);
  assert.ok(curve[0]!.train_rating_loss! > curve.at(-1)!.train_rating_loss!);
  assert.equal(curve.at(-1)!.eval_rating_accuracy, after);

  // Not even weight decay touches it then.
  const off = initHeads(h, 2, 's');
  trainHeads(
    off,
    {fmri: train},
    {
      ...options,
      adamw: {...options.adamw, weightDecay: 0.01},
      ratingWeight: 0,
    },
  );
  assert.deepEqual(off.ratingW, initHeads(h, 2, 's').ratingW);
  assert.deepEqual(off.ratingB, initHeads(h, 2, 's').ratingB);
});

void test('the lr warms up linearly over its steps, then StepLR counts from there', () => {
  const lrs = Array.from({length: 8}, (_, step) =>
    scheduledLr(0.1, step, 4, 0.5, 2),
  );
  const expected = [0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.05, 0.05];
  lrs.forEach((lr, i) =>
    assert.ok(Math.abs(lr - expected[i]!) < 1e-15, `step ${i}: ${lr}`),
  );
  assert.equal(scheduledLr(0.1, 3, 0, 0.5, 2), 0.05, 'no warm-up');
});
