import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {ridgeCv, ridgePredict} from '../../src/brain/ridge-cv.js';
import {symmetricEigen} from '../../src/brain/symmetric-eigen.js';
import {readNpy, writeNpy} from '../../src/io/npy.js';
import {python, withTempDir} from '../io/helpers.js';
import {
  maxAbsDiff,
  normalMatrix,
  ridgeNormalEquations,
  sklearnSkipReason,
} from './helpers.js';

void test('symmetricEigen: A v = λ v, orthonormal, ascending', () => {
  const n = 9;
  const r = normalMatrix(n, n, 'eig');
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j]! + r[j * n + i]!;
  }
  const {values, vectors: v} = symmetricEigen(a, n);
  for (let j = 0; j < n; j++) {
    if (j > 0) assert.ok(values[j]! >= values[j - 1]!);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k]! * v[k * n + j]!;
      assert.ok(Math.abs(av - values[j]! * v[i * n + j]!) < 1e-12);
    }
    for (let k = 0; k < n; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i * n + j]! * v[i * n + k]!;
      assert.ok(Math.abs(dot - (j === k ? 1 : 0)) < 1e-12);
    }
  }
  // 2×2 closed form: [[2,1],[1,2]] has eigenvalues 1 and 3.
  const two = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(maxAbsDiff(two.values, [1, 3]) < 1e-14);
});

for (const [n, p] of [
  [12, 30],
  [40, 6],
] as const) {
  const mode = n > p ? 'svd' : 'eigen';
  void test(`ridgeCv (${mode}, n=${n}, p=${p}) with one alpha = normal equations`, () => {
    const t = 3;
    const x = normalMatrix(n, p, `x${n}`, 2, 5);
    const y = normalMatrix(n, t, `y${n}`, 1, -3);
    for (const alpha of [0.01, 1, 30]) {
      const fit = ridgeCv(x, y, n, p, t, {alphas: [alpha]});
      assert.equal(fit.mode, mode);
      const ref = ridgeNormalEquations(x, y, n, p, t, alpha);
      assert.ok(maxAbsDiff(fit.coef, ref.coef) < 1e-9, `coef, alpha ${alpha}`);
      assert.ok(maxAbsDiff(fit.intercept, ref.intercept) < 1e-8);
    }
  });

  void test(`ridgeCv (${mode}) LOO score and alpha = brute-force leave-one-out`, () => {
    const t = 4;
    const alphas = [0.1, 1, 10, 100];
    const x = normalMatrix(n, p, `lx${n}`);
    const w = normalMatrix(p, t, `lw${n}`, 0.3);
    const y = normalMatrix(n, t, `ly${n}`, 1.5);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < t; j++) {
        for (let k = 0; k < p; k++)
          y[i * t + j]! += x[i * p + k]! * w[k * t + j]!;
      }
    }
    // LOO by refitting without each sample (normal equations, Float64).
    const loo = alphas.map((alpha) => {
      const mse = new Float64Array(t);
      for (let i = 0; i < n; i++) {
        const keep = [...Array(n).keys()].filter((r) => r !== i);
        const xs = Float64Array.from(
          keep.flatMap((r) => [...x.subarray(r * p, r * p + p)]),
        );
        const ys = Float64Array.from(
          keep.flatMap((r) => [...y.subarray(r * t, r * t + t)]),
        );
        const f = ridgeNormalEquations(xs, ys, n - 1, p, t, alpha);
        for (let j = 0; j < t; j++) {
          let pred = f.intercept[j]!;
          for (let k = 0; k < p; k++)
            pred += x[i * p + k]! * f.coef[j * p + k]!;
          mse[j]! += (y[i * t + j]! - pred) ** 2 / n;
        }
      }
      return mse;
    });
    const fit = ridgeCv(x, y, n, p, t, {alphas, alphaPerTarget: true});
    for (let j = 0; j < t; j++) {
      let best = 0;
      for (let a = 1; a < alphas.length; a++) {
        if (loo[a]![j]! < loo[best]![j]!) best = a;
      }
      assert.equal(fit.alpha[j], alphas[best], `target ${j}`);
      assert.ok(Math.abs(-fit.bestScore[j]! - loo[best]![j]!) < 1e-9);
    }
    const shared = ridgeCv(x, y, n, p, t, {alphas});
    const means = loo.map((m) => m.reduce((s, v) => s + v, 0));
    const bestShared = means.indexOf(Math.min(...means));
    assert.ok(shared.alpha.every((a) => a === alphas[bestShared]));
  });
}

void test('ridgeCv matches scikit-learn RidgeCV (alphas, coef_, predictions)', async (t) => {
  const skip = await sklearnSkipReason();
  if (skip !== undefined) return t.skip(skip);
  await withTempDir(async (dir) => {
    for (const [n, p, perTarget] of [
      [30, 80, true],
      [30, 80, false],
      [70, 12, true],
      [25, 25, true],
    ] as const) {
      const k = 9;
      const alphas = [1e-3, 1e-2, 1e-1, 1, 10];
      const x = normalMatrix(n, p, `sk${n}${p}`, 1, 0.5);
      const w = normalMatrix(p, k, `skw${n}${p}`, 0.2);
      const y = normalMatrix(n, k, `sky${n}${p}`, 0.5);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          for (let q = 0; q < p; q++)
            y[i * k + j]! += x[i * p + q]! * w[q * k + j]!;
        }
      }
      const xNew = normalMatrix(5, p, `skn${n}${p}`);
      await writeNpy(join(dir, 'x.npy'), x, [n, p]);
      await writeNpy(join(dir, 'y.npy'), y, [n, k]);
      await writeNpy(join(dir, 'xn.npy'), xNew, [5, p]);
      await python(
        `import sys, numpy as np
from sklearn.linear_model import RidgeCV
d = sys.argv[1]
m = RidgeCV(alphas=${JSON.stringify(alphas)}, alpha_per_target=${perTarget ? 'True' : 'False'})
m.fit(np.load(d + '/x.npy'), np.load(d + '/y.npy'))
np.save(d + '/alpha.npy', np.broadcast_to(np.asarray(m.alpha_, float), (${k},)).copy())
np.save(d + '/coef.npy', m.coef_)
np.save(d + '/icpt.npy', m.intercept_)
np.save(d + '/pred.npy', m.predict(np.load(d + '/xn.npy')))`,
        [dir],
      );
      const fit = ridgeCv(x, y, n, p, k, {alphas, alphaPerTarget: perTarget});
      const at = `n=${n} p=${p} perTarget=${perTarget}`;
      assert.deepEqual(
        Array.from(fit.alpha),
        Array.from((await readNpy(join(dir, 'alpha.npy'))).data),
        at,
      );
      assert.ok(
        maxAbsDiff(fit.coef, (await readNpy(join(dir, 'coef.npy'))).data) <
          1e-6,
        at,
      );
      assert.ok(
        maxAbsDiff(fit.intercept, (await readNpy(join(dir, 'icpt.npy'))).data) <
          1e-6,
        at,
      );
      const pred = ridgePredict(fit, xNew, 5);
      assert.ok(
        maxAbsDiff(pred, (await readNpy(join(dir, 'pred.npy'))).data) < 1e-6,
        at,
      );
    }
  });
});

void test('ridgeCv rejects bad alphas and shapes', () => {
  const x = normalMatrix(5, 3, 'bad');
  const y = normalMatrix(5, 1, 'bady');
  assert.throws(() => ridgeCv(x, y, 5, 3, 1, {alphas: []}), /alphas/);
  assert.throws(() => ridgeCv(x, y, 5, 3, 1, {alphas: [0]}), /positive/);
  assert.throws(() => ridgeCv(x, y, 4, 3, 1, {alphas: [1]}), /values/);
});
