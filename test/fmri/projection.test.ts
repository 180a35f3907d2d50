import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {solverFor} from '../../src/fmri/prepared-atlas.js';
import {solveRows} from '../../src/fmri/projection.js';
import {
  dropEmptyRows,
  SparseMapsBuilder,
  type SparseMaps,
} from '../../src/fmri/sparse-maps.js';
import {applyStencil, trilinearStencil} from '../../src/fmri/trilinear.js';
import {writeNpy} from '../../src/io/npy.js';
import {Random} from '../../src/tasks/synth/random.js';
import {python, pythonSkipReason, withTempDir} from '../io/helpers.js';

/** Dense K×V maps → sparse, and the least-squares coefficients of X. */
function project(
  mapsDense: Float64Array[],
  x: Float64Array,
  frames: number,
): {a: Float64Array; maps: SparseMaps} {
  const v = mapsDense[0]!.length;
  const b = new SparseMapsBuilder(v);
  for (const m of mapsDense) b.addMap(m);
  const maps = b.build();
  const k = maps.maps;
  const mx = new Float64Array(frames * k);
  for (let t = 0; t < frames; t++) {
    for (let p = 0; p < v; p++) {
      for (let e = maps.rowPtr[p]!; e < maps.rowPtr[p + 1]!; e++)
        mx[t * k + maps.col[e]!]! += x[t * v + p]! * maps.val[e]!;
    }
  }
  return {a: solveRows(mx, frames, solverFor(maps).solver, k), maps};
}

/** Overlapping Gaussian bumps along a line of V voxels. */
function bumps(k: number, v: number): Float64Array[] {
  return Array.from({length: k}, (_, c) =>
    Float64Array.from({length: v}, (_, p) => {
      const w = Math.exp(-(((p - (c + 0.5) * (v / k)) / (v / k)) ** 2));
      return w > 0.05 ? w : 0;
    }),
  );
}

void test('dropEmptyRows equals building the maps over the kept voxels only', () => {
  const dense = [
    [0, 1, 0, 0, 2, 0],
    [0, 0, 0, 3, 4, 0],
  ];
  const all = new SparseMapsBuilder(6);
  for (const m of dense) all.addMap(m);
  const {rows, maps} = dropEmptyRows(all.build());
  assert.deepEqual(Array.from(rows), [1, 3, 4]);
  const kept = new SparseMapsBuilder(3);
  for (const m of dense) kept.addMap([m[1]!, m[3]!, m[4]!]);
  assert.deepEqual(maps, kept.build());
});

void test('planted parcel signals are recovered: to 1e-6 without noise, within 1.5× the expected error with noise', () => {
  const rng = new Random('planted');
  const k = 12;
  const v = 240;
  const frames = 30;
  const maps = bumps(k, v);
  const truth = Float64Array.from({length: frames * k}, () => rng.normal());
  for (const noise of [0, 0.1]) {
    const x = new Float64Array(frames * v);
    for (let t = 0; t < frames; t++) {
      for (let p = 0; p < v; p++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += truth[t * k + c]! * maps[c]![p]!;
        x[t * v + p] = s + noise * rng.normal();
      }
    }
    const {a, maps: sparse} = project(maps, x, frames);
    // White noise σ gives E‖â − a‖² = σ²·trace((M·Mᵀ)⁻¹) per volume.
    const inv = solverFor(sparse).solver;
    let trace = 0;
    for (let c = 0; c < k; c++) trace += inv[c * k + c]!;
    let err = 0;
    let ref = 0;
    for (let i = 0; i < a.length; i++) {
      err += (a[i]! - truth[i]!) ** 2;
      ref += truth[i]! ** 2;
    }
    const rel = Math.sqrt(err / ref);
    const expected = noise * Math.sqrt((trace * frames) / ref);
    // Maps are stored as float32, which bounds the noise-free error; with
    // noise the error must stay within 1.5× its expected size.
    const bound = noise === 0 ? 1e-6 : 1.5 * expected;
    assert.ok(
      rel < bound,
      `noise ${noise}: relative RMS error ${rel}, bound ${bound}`,
    );
  }
});

void test('duplicate maps get the minimum-norm answer: the coefficient is shared equally', () => {
  const m = Float64Array.from([1, 1, 0, 0]);
  const other = Float64Array.from([0, 0, 1, 1]);
  const x = Float64Array.from([4, 4, 2, 2]);
  const {a} = project([m, m.slice(), other], x, 1);
  [2, 2, 2].forEach((want, i) =>
    assert.ok(Math.abs(a[i]! - want) < 1e-9, `a[${i}] = ${a[i]}`),
  );
});

void test('an empty map gets 0 and does not disturb the others', () => {
  const {a} = project(
    [Float64Array.from([1, 0]), new Float64Array(2), Float64Array.from([0, 2])],
    Float64Array.from([3, 4]),
    1,
  );
  assert.deepEqual(
    Array.from(a).map((x) => +x.toFixed(12)),
    [3, 0, 2],
  );
});

void test('indicator maps (a label atlas) give the mean per label', () => {
  const one = Float64Array.from([1, 1, 1, 0, 0]);
  const two = Float64Array.from([0, 0, 0, 1, 1]);
  const {a} = project([one, two], Float64Array.from([1, 2, 6, 10, 20]), 1);
  assert.ok(Math.abs(a[0]! - 3) < 1e-12 && Math.abs(a[1]! - 15) < 1e-12);
});

void test('trilinear resampling through two affines: a half-voxel shift averages neighbours, outside is 0', () => {
  const source = {
    dims: [4, 1, 1] as [number, number, number],
    affine: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  const target = {
    dims: [4, 1, 1] as [number, number, number],
    affine: [2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  const st = trilinearStencil(source, target, Int32Array.from([0, 1, 2, 3]));
  const out = new Float64Array(4);
  applyStencil(st, [10, 20, 40, 80], out);
  assert.deepEqual(Array.from(out), [15, 30, 60, 0]);
});

void test('projection agrees with numpy.linalg.lstsq within 1e-4 relative on the same arrays', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  const rng = new Random('lstsq');
  const k = 40;
  const v = 900;
  const frames = 20;
  const maps = bumps(k, v);
  const x = Float64Array.from(
    {length: frames * v},
    () => 100 + 10 * rng.normal(),
  );
  const {a} = project(maps, x, frames);
  await withTempDir(async (dir) => {
    const dense = new Float32Array(k * v);
    maps.forEach((m, c) => dense.set(m, c * v));
    await writeNpy(join(dir, 'm.npy'), dense, [k, v]);
    await writeNpy(join(dir, 'x.npy'), Float32Array.from(x), [frames, v]);
    const out = await python(
      `import sys, json, numpy as np
m = np.load(sys.argv[1]).astype(np.float64); x = np.load(sys.argv[2]).astype(np.float64)
print(json.dumps(np.linalg.lstsq(m.T, x.T, rcond=None)[0].T.ravel().tolist()))`,
      [join(dir, 'm.npy'), join(dir, 'x.npy')],
    );
    const ref = JSON.parse(out) as number[];
    // Our maps are float32 inside SparseMaps, as the .npy given to numpy.
    let worst = 0;
    const scale = Math.max(...ref.map(Math.abs));
    ref.forEach(
      (r, i) => (worst = Math.max(worst, Math.abs(r - a[i]!) / scale)),
    );
    assert.ok(worst < 1e-4, `max relative difference ${worst}`);
  });
});
