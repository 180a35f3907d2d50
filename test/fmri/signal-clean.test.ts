import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {filtfilt, highPassSections} from '../../src/fmri/butterworth.js';
import {
  cosineDrift,
  readConfounds,
  regressOut,
} from '../../src/fmri/confounds.js';
import type {ParcelSeries} from '../../src/fmri/projection.js';
import {
  cleanSeries,
  type CleanOptions,
  type HighPassFilter,
} from '../../src/fmri/signal-clean.js';
import {writeNpy} from '../../src/io/npy.js';
import {Random} from '../../src/tasks/synth/random.js';
import {python, pythonSkipReason, withTempDir} from '../io/helpers.js';

const TR = 2;
const FRAMES = 166;

/** Random series [n, k] around 100 with a slow drift, as BOLD parcels. */
function series(seed: string, n: number, k: number): ParcelSeries {
  const rng = new Random(seed);
  const data = new Float64Array(n * k);
  for (let t = 0; t < n; t++) {
    for (let c = 0; c < k; c++) {
      data[t * k + c] = 100 + 0.05 * t * (c + 1) + 3 * rng.normal();
    }
  }
  return {frames: n, parcels: k, data};
}

function column(s: ParcelSeries, c: number): Float64Array {
  return Float64Array.from({length: s.frames}, (_, t) => {
    return s.data[t * s.parcels + c]!;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  }
  return worst;
}

/**
 * nilearn's signal.clean (0.10) for these options, written out in numpy
 * and SciPy: an independent reference for cleanSeries.
 */
const NILEARN_CLEAN = `
import json, sys
import numpy as np
from scipy import linalg, signal
x = np.load(sys.argv[1]).astype(np.float64)
opts = json.loads(sys.argv[2])
conf = np.load(sys.argv[3]).astype(np.float64) if len(sys.argv) > 3 else None
eps = np.finfo(np.float64).eps
def detrend(s):
    s = s - s.mean(axis=0)
    r = np.arange(s.shape[0], dtype=np.float64)
    r -= r.mean()
    r /= np.sqrt((r ** 2).sum())
    return s - np.outer(r, r @ s)
def zscore(s):
    s = s - s.mean(axis=0)
    sd = s.std(axis=0)
    sd[sd < eps] = 1.0
    return s / sd
n = x.shape[0]
hp = opts.get('hp')
# nilearn adds the cosine drift to the confounds first, then detrends both.
if hp and opts['filter'] == 'cosine':
    order = min(n - 1, int(np.floor(2 * n * hp * opts['tr'])))
    t = np.arange(n)
    drift = np.zeros((n, order + 1))
    for k in range(1, order + 1):
        drift[:, k - 1] = np.sqrt(2.0 / n) * np.cos(np.pi / n * (t + 0.5) * k)
    drift[:, -1] = 1.0
    conf = drift if conf is None else np.hstack([conf, drift])
if opts['detrend']:
    x = detrend(x)
    if conf is not None:
        conf = detrend(conf)
if hp and opts['filter'] == 'butterworth':
    sos = signal.butter(5, hp / (0.5 / opts['tr']), btype='high', output='sos')
    x = signal.sosfiltfilt(sos, x, axis=0, padtype='odd')
    if conf is not None:
        conf = signal.sosfiltfilt(sos, conf, axis=0, padtype='odd')
if conf is not None:
    conf = zscore(conf)
    q, r, _ = linalg.qr(conf, mode='economic', pivoting=True)
    q = q[:, np.abs(np.diag(r)) > eps * 100.0]
    x = x - q @ (q.T @ x)
if opts['standardize'] == 'zscore':
    x = zscore(x)
print(json.dumps(x.ravel().tolist()))
`;

/** cleanSeries and the numpy reference on the same arrays. */
async function compareWithNilearn(
  s: ParcelSeries,
  options: CleanOptions,
): Promise<number> {
  const ours: ParcelSeries = {...s, data: Float64Array.from(s.data)};
  cleanSeries(ours, options);
  const {confounds} = options;
  return withTempDir(async (dir) => {
    await writeNpy(join(dir, 'x.npy'), s.data, [s.frames, s.parcels]);
    const args = [
      join(dir, 'x.npy'),
      JSON.stringify({
        detrend: options.detrend,
        hp: options.highPass?.hz ?? null,
        tr: options.highPass?.trSeconds ?? TR,
        filter: options.highPass?.filter ?? null,
        standardize: options.standardize,
      }),
    ];
    if (confounds !== undefined) {
      const packed = new Float64Array(s.frames * confounds.length);
      confounds.forEach((c, j) =>
        c.forEach((v, t) => (packed[t * confounds.length + j] = v)),
      );
      await writeNpy(join(dir, 'c.npy'), packed, [s.frames, confounds.length]);
      args.push(join(dir, 'c.npy'));
    }
    const ref = JSON.parse(await python(NILEARN_CLEAN, args)) as number[];
    return maxAbsDiff(ours.data, ref);
  });
}

void test('the Butterworth high-pass and filtfilt agree with scipy.signal.butter + sosfiltfilt', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  const x = column(series('butter', FRAMES, 1), 0);
  for (const [order, cutoff] of [
    [5, 0.032],
    [4, 0.1],
    [1, 0.3],
  ] as const) {
    const ours = filtfilt(highPassSections(order, cutoff), x);
    const ref = JSON.parse(
      await python(
        `import json, sys
import numpy as np
from scipy import signal
x = np.array(json.loads(sys.argv[1]))
sos = signal.butter(int(sys.argv[2]), float(sys.argv[3]), 'highpass', output='sos')
print(json.dumps(signal.sosfiltfilt(sos, x).tolist()))`,
        [JSON.stringify(Array.from(x)), String(order), String(cutoff)],
      ),
    ) as number[];
    const worst = maxAbsDiff(ours, ref);
    assert.ok(worst < 1e-9, `order ${order}: max difference ${worst}`);
  }
});

void test("the order-5, 0.032 high-pass has SciPy's poles and gain, and filters as its sosfiltfilt did (stored values)", () => {
  // scipy.signal.butter(5, 0.032, 'highpass', output='sos') in SciPy
  // 1.10: [b0 b1 b2 1 a1 a2] rows, the gain on the first-order section.
  const scipy = [
    [0.8498059442850544, -0.8498059442850544, 0, 1, -0.9042035937390207, 0],
    [1, -2, 1, 1, -1.8404665779431493, 0.8498062181263546],
    [1, -2, 1, 1, -1.9300446418010766, 0.9398388552401985],
  ];
  const ours = highPassSections(5, 0.032);
  const poles = (rows: number[][]) =>
    rows.map((r) => `${r[4]!.toFixed(12)} ${r[5]!.toFixed(12)}`).sort();
  assert.deepEqual(poles(ours.map((x) => [...x.b, 1, ...x.a])), poles(scipy));
  const gain = (rows: number[][]) => rows.reduce((g, r) => g * r[0]!, 1);
  const got = gain(ours.map((x) => [...x.b]));
  assert.ok(Math.abs(got - gain(scipy)) < 1e-14, `gain ${got}`);

  // scipy.signal.sosfiltfilt of that filter on this series, first and
  // last values.
  const x = Array.from(
    {length: 166},
    (_, t) => Math.sin(t / 3) + (0.01 * t * t) / 100 + ((t * 7919) % 13) / 13,
  );
  const y = filtfilt(ours, x);
  const head = [
    -0.04027837749848229, 0.4127081002926736, 0.8299074493818857,
    1.1793543135368592, 1.4365768287487524,
  ];
  const tail = [
    -0.16169586443096984, -0.008899408385344032, 0.25141190229162425,
  ];
  assert.ok(maxAbsDiff(y.slice(0, 5), head) < 1e-12);
  assert.ok(maxAbsDiff(y.slice(-3), tail) < 1e-12);
});

void test('cleanSeries agrees with nilearn signal.clean written in numpy, for each filter and with confounds', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  const s = series('clean', FRAMES, 5);
  const rng = new Random('confounds');
  const confounds = [0, 1, 2].map(() =>
    Float64Array.from({length: FRAMES}, () => rng.normal()),
  );
  // A constant and a duplicate column: nilearn drops both.
  confounds.push(new Float64Array(FRAMES).fill(4), confounds[0]!.slice());
  /** Detrend, z-score and a high-pass at `hz`, unless `more` says else. */
  const clean = (
    hz: number,
    filter: HighPassFilter,
    more: Partial<CleanOptions> = {},
  ): CleanOptions => ({
    detrend: true,
    highPass: {hz, trSeconds: TR, filter},
    standardize: 'zscore',
    ...more,
  });
  const cases: [string, CleanOptions][] = [
    ['butterworth', clean(0.008, 'butterworth')],
    ['cosine', clean(0.008, 'cosine')],
    ['butterworth + confounds', clean(0.01, 'butterworth', {confounds})],
    [
      'cosine + confounds, no detrend or z-score',
      clean(0.02, 'cosine', {
        confounds,
        detrend: false,
        standardize: 'none',
      }),
    ],
  ];
  for (const [name, options] of cases) {
    const worst = await compareWithNilearn(s, options);
    assert.ok(worst < 1e-8, `${name}: max difference ${worst}`);
  }
});

void test('a 0.008 Hz high-pass removes a 500 s drift and keeps a 20 s oscillation', () => {
  // Periods either side of the cutoff's 125 s, each filter, after the
  // linear detrend that goes with a high-pass.
  for (const filter of ['butterworth', 'cosine'] as const) {
    const data = new Float64Array(FRAMES * 2);
    for (let t = 0; t < FRAMES; t++) {
      data[t * 2] = 5 * Math.sin((2 * Math.PI * t * TR) / 500);
      data[t * 2 + 1] = Math.sin((2 * Math.PI * t * TR) / 20);
    }
    const s: ParcelSeries = {frames: FRAMES, parcels: 2, data};
    const fast = column(s, 1);
    cleanSeries(s, {
      detrend: true,
      highPass: {hz: 0.008, trSeconds: TR, filter},
      standardize: 'none',
    });
    const rms = (x: Float64Array) =>
      Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    assert.ok(
      rms(column(s, 0)) < 0.05 * 5,
      `${filter}: drift rms ${rms(column(s, 0))}`,
    );
    const kept = rms(column(s, 1)) / rms(fast);
    assert.ok(kept > 0.97 && kept < 1.03, `${filter}: 20 s kept ${kept}`);
  }
});

void test('regressOut removes what the confounds explain and drops dependent ones', () => {
  const rng = new Random('regress');
  const a = Float64Array.from({length: 50}, () => rng.normal());
  const b = Float64Array.from({length: 50}, () => rng.normal());
  const noise = Float64Array.from({length: 50}, () => rng.normal());
  const data = new Float64Array(50 * 2);
  for (let t = 0; t < 50; t++) {
    data[t * 2] = 7 + 2 * a[t]! - 3 * b[t]!;
    data[t * 2 + 1] = noise[t]!;
  }
  const s: ParcelSeries = {frames: 50, parcels: 2, data};
  const doubled = Float64Array.from(a, (v) => 2 * v + 1);
  const kept = regressOut(s, [a, b, doubled, new Float64Array(50).fill(3)]);
  assert.equal(kept, 2, 'the doubled and constant columns add nothing');

  // The confounds are centred first, so the first series' mean stays.
  const mean = (x: Float64Array) => x.reduce((m, v) => m + v, 0) / x.length;
  const level = 7 + 2 * mean(a) - 3 * mean(b);
  const first = column(s, 0);
  assert.ok(maxAbsDiff(first, new Float64Array(50).fill(level)) < 1e-12);

  // What is left of the noise is orthogonal to both confounds.
  const rest = column(s, 1);
  for (const c of [a, b]) {
    const centre = mean(c);
    let along = 0;
    rest.forEach((v, t) => (along += v * (c[t]! - centre)));
    assert.ok(Math.abs(along) < 1e-10, `residual · confound = ${along}`);
  }
});

void test('cosineDrift gives nilearn’s number of regressors, each of mean 0', () => {
  // ⌊2 · 166 · 0.008 · 2⌋ = 5 for ds000212's runs.
  const basis = cosineDrift(FRAMES, TR, 0.008);
  assert.equal(basis.length, 5);
  for (const c of basis) {
    assert.ok(Math.abs(c.reduce((a, v) => a + v, 0)) < 1e-12);
  }
  assert.equal(cosineDrift(10, 2, 10).length, 9, 'at most n − 1');
});

void test('a cutoff at or above Nyquist, or a run too short for the filter, is refused', () => {
  // Order 5 pads 18 frames at each end, and needs more than that.
  const s = series('bad', 18, 1);
  const clean = (hz: number) =>
    cleanSeries(s, {
      detrend: false,
      highPass: {hz, trSeconds: TR, filter: 'butterworth'},
      standardize: 'none',
    });
  assert.throws(() => clean(0.25), /below the Nyquist frequency, 0.25 Hz/);
  assert.throws(
    () => clean(0.01),
    /the run has 18 frames; the Butterworth filter pads 18 at each end and needs more: use filter: cosine, or high_pass: 0/,
  );
  assert.throws(
    () => regressOut(s, [Float64Array.from(s.data).fill(NaN, 3, 4)]),
    /not finite/,
  );
});

void test('readConfounds reads named columns and names the column and row of a bad cell', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'confounds.tsv');
    await writeFile(
      file,
      'csf\ttrans_x\ttrans_x_derivative1\n1.5\t0.1\tn/a\n2.5\t0.2\t0.1\n',
    );
    const got = await readConfounds(file, ['trans_x', 'csf'], 2);
    assert.deepEqual(got.names, ['trans_x', 'csf']);
    assert.deepEqual(Array.from(got.columns[1]!), [1.5, 2.5]);
    await assert.rejects(
      readConfounds(file, ['trans_x_derivative1'], 2),
      /column "trans_x_derivative1", data row 1: "n\/a" is not a number/,
    );
    await assert.rejects(
      readConfounds(file, ['white_matter'], 2),
      /column "white_matter": not in the table; it has the columns csf, trans_x/,
    );
    await assert.rejects(
      readConfounds(file, ['csf'], 3),
      /rows: has 2 rows, the run has 3 frames/,
    );
  });
});
