import assert from 'node:assert/strict';
import {test} from 'node:test';

import {scoreSubjects, type SubjectData} from '../../src/brain/brain-score.js';
import {kFold, lastOut} from '../../src/brain/folds.js';
import {layerPlotSvg} from '../../src/brain/layer-plot.js';
import {median, pearson, pearsonColumns} from '../../src/brain/pearson.js';
import {
  permutationPValue,
  signFlipTest,
} from '../../src/brain/permutation-test.js';
import {centredGram} from '../../src/brain/split-gram.js';
import {Random} from '../../src/tasks/synth/random.js';
import {normalMatrix} from './helpers.js';

void test('pearson equals the sums formula; ±1 for linear pairs', () => {
  const a = normalMatrix(50, 1, 'pa', 3, 100);
  const b = normalMatrix(50, 1, 'pb', 2, -7);
  const n = a.length;
  let sa = 0,
    sb = 0,
    sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
    sab += a[i]! * b[i]!;
    saa += a[i]! ** 2;
    sbb += b[i]! ** 2;
  }
  const closed =
    (n * sab - sa * sb) / Math.sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
  assert.ok(Math.abs(pearson(a, b) - closed) < 1e-9);
  assert.ok(
    Math.abs(
      pearson(
        a,
        a.map((v) => 3 - 2 * v),
      ) + 1,
    ) < 1e-12,
  );
  assert.ok(Number.isNaN(pearson(a, new Float64Array(n).fill(2))));
  const cols = pearsonColumns(
    Float64Array.of(1, 5, 2, 4, 3, 9),
    Float64Array.of(2, 1, 4, 2, 6, 3),
    3,
    2,
  );
  assert.ok(Math.abs(cols[0]! - 1) < 1e-12);
  assert.ok(Math.abs(cols[1]! - pearson([5, 4, 9], [1, 2, 3])) < 1e-15);
  assert.equal(median([3, NaN, 1, 2, 10]), 2.5);
});

void test('kFold partitions the scenarios, deterministically by seed', () => {
  const keys = Array.from({length: 23}, (_, i) => `k${i}`);
  const f = kFold(keys, 5, 's');
  const seen = f.flatMap((s) => Array.from(s.test)).sort((x, y) => x - y);
  assert.deepEqual(seen, [...Array(23).keys()]);
  assert.deepEqual(
    f.map((s) => s.test.length),
    [5, 5, 5, 4, 4],
  );
  for (const s of f) assert.equal(s.train.length + s.test.length, 23);
  // Same set in another presentation order → the same key partition.
  const again = kFold([...keys].reverse(), 5, 's');
  const asKeys = (sp: typeof f, ks: string[]) =>
    sp.map((s) => Array.from(s.test, (i) => ks[i]).sort());
  assert.deepEqual(asKeys(again, [...keys].reverse()), asKeys(f, keys));
  assert.notDeepEqual(asKeys(kFold(keys, 5, 't'), keys), asKeys(f, keys));
  assert.throws(() => kFold(keys.slice(0, 3), 5, 's'), /cannot fill/);
  assert.throws(() => lastOut(2), /3 scenarios/);
});

/** Subjects whose BOLD is a linear map of layer features, plus noise. */
function planted(
  subjects: number,
  n: number,
  h: number,
  k: number,
  noise: number,
  seed: string,
) {
  const x = normalMatrix(n, h, `${seed}/x`);
  const w = normalMatrix(h, k, `${seed}/w`, 1 / Math.sqrt(h));
  const out: SubjectData[] = [];
  for (let s = 0; s < subjects; s++) {
    const y = normalMatrix(n, k, `${seed}/noise${s}`, noise);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        for (let q = 0; q < h; q++)
          y[i * k + j]! += x[i * h + q]! * w[q * k + j]!;
      }
    }
    out.push({
      name: `sub-${s}`,
      keys: Array.from({length: n}, (_, i) => String(i + 1)),
      rows: Int32Array.from({length: n}, (_, i) => i),
      y,
    });
  }
  return {x, subjects: out};
}

const options = (k: number, permutations = 0, seed = '1') => ({
  study: true,
  brainscore: true,
  alphas: [1e-3, 1e-2, 1e-1, 1],
  folds: 5,
  seed,
  permutations,
  parcels: k,
});

void test('a planted linear mapping scores high, a shuffled one near zero', async () => {
  const n = 40,
    h = 10,
    k = 60;
  const {x, subjects} = planted(3, n, h, k, 0.3, 'plant');
  const layers = [{name: 'l', gram: await centredGram(x, n, h), size: n}];
  const good = await scoreSubjects(subjects, layers, options(k));
  for (let s = 0; s < 3; s++) {
    assert.ok(
      good.brainscore!.scores[s]! > 0.8,
      `brainscore ${good.brainscore!.scores[s]}`,
    );
    assert.ok(good.study!.scores[s]! > 0.8, `study ${good.study!.scores[s]}`);
  }
  // Shuffle the pairing of texts and BOLD: the mapping is gone.
  const rng = new Random('shuffle');
  const shuffled = subjects.map((s) => {
    const rows = Int32Array.from(s.rows);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    return {...s, rows};
  });
  const bad = await scoreSubjects(shuffled, layers, options(k));
  for (let s = 0; s < 3; s++) {
    assert.ok(
      Math.abs(bad.brainscore!.scores[s]!) < 0.2,
      `shuffled ${bad.brainscore!.scores[s]}`,
    );
  }
  assert.equal(good.parcelR!.length, 3 * k);
});

void test('permutation p-values are ~uniform under the null (KS check)', async () => {
  const runs = 150,
    perms = 19,
    n = 12,
    h = 4,
    k = 6;
  const p: number[] = [];
  for (let r = 0; r < runs; r++) {
    const x = normalMatrix(n, h, `null/x${r}`);
    const subject: SubjectData = {
      name: 's',
      keys: Array.from({length: n}, (_, i) => String(i)),
      rows: Int32Array.from({length: n}, (_, i) => i),
      y: normalMatrix(n, k, `null/y${r}`),
    };
    const layers = [{name: 'l', gram: await centredGram(x, n, h), size: n}];
    const res = await scoreSubjects([subject], layers, {
      ...options(k, perms, `r${r}`),
      study: false,
      folds: 4,
    });
    p.push(
      permutationPValue(res.brainscore!.scores[0]!, res.brainscore!.null!),
    );
  }
  // p takes values j/20; under H0 P(p ≤ j/20) = j/20 exactly.
  let ks = 0;
  for (let j = 1; j <= perms + 1; j++) {
    const cdf = p.filter((v) => v <= j / (perms + 1) + 1e-12).length / runs;
    ks = Math.max(ks, Math.abs(cdf - j / (perms + 1)));
  }
  // 1.63/√n is the 1% critical value of the KS statistic.
  assert.ok(ks < 1.63 / Math.sqrt(runs), `KS distance ${ks.toFixed(3)}`);
  // And a planted effect is detected.
  const {x, subjects} = planted(1, 20, 4, 8, 0.5, 'pp');
  const eff = await scoreSubjects(
    subjects,
    [{name: 'l', gram: await centredGram(x, 20, 4), size: 20}],
    {...options(8, perms), study: false},
  );
  assert.equal(
    permutationPValue(eff.brainscore!.scores[0]!, eff.brainscore!.null!),
    1 / (perms + 1),
  );
});

void test('permutationPValue and signFlipTest against their closed forms', () => {
  assert.equal(
    permutationPValue(0.5, [0.1, 0.6, 0.5, NaN, 0.2]),
    (1 + 2) / (1 + 4),
  );
  // Five equal positive differences: only all-+ and all-− reach |mean|.
  const exact = signFlipTest([1, 1, 1, 1, 1], 1000, 's');
  assert.ok(exact.exact);
  assert.equal(exact.p, 2 / 2 ** 5);
  const mc = signFlipTest(
    Array.from({length: 30}, (_, i) => (i % 2 ? 1 : -1) * (1 + i / 100)),
    2000,
    's',
  );
  assert.ok(!mc.exact && mc.p > 0.5, `balanced differences p ${mc.p}`);
});

void test('layerPlotSvg escapes user text and leaves gaps for NaN', () => {
  const svg = layerPlotSvg(
    'A <b> & "c"',
    ['l<1>', 'l2', 'l3'],
    [{label: "x's", mean: [0.1, NaN, 0.3], sd: [0.01, NaN, 0.02]}],
  );
  assert.ok(svg.includes('A &lt;b&gt; &amp; &quot;c&quot;'));
  assert.ok(svg.includes('l&lt;1&gt;') && svg.includes('x&apos;s'));
  assert.ok(!svg.includes('<b>') && !svg.includes('NaN'));
  assert.equal(svg.match(/<circle/g)?.length, 2);
});
