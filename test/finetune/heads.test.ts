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
import {trainHeads, type TrainOptions} from '../../src/finetune/train-heads.js';
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
  const f = linearFmri(5, h, k, 'fd');
  const rowsE = [0, 2, 3, 6];
  const rowsF = [1, 4, 0];
  const g = zeroGradient(m);
  ethicsBatchGradient(m, e, rowsE, g, 1);
  fmriBatchGradient(m, f, rowsF, g, 0.7);
  const loss = () => {
    const scratch = zeroGradient(m);
    return (
      ethicsBatchGradient(m, e, rowsE, scratch, 1) +
      0.7 * fmriBatchGradient(m, f, rowsF, scratch, 0.7)
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
  assert.equal(checked, 4 * 4 + 4 + 4 + 1 + 3 * 4 + 3);
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
