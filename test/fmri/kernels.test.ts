/**
 * The fast kernels behind fmri.mask and fmri.project against plain
 * reference implementations: bucket sort, bitset morphology, component
 * labelling, SIMD temporal mean, blocked sparse products.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {labelComponents} from '../../src/fmri/connected-components.js';
import {binaryDilation, binaryErosion} from '../../src/fmri/morphology.js';
import type {PreparedAtlas} from '../../src/fmri/prepared-atlas.js';
import {MapProducts} from '../../src/fmri/projection.js';
import {createFrameSummer} from '../../src/fmri/simd-sum.js';
import {sortFloat64} from '../../src/fmri/sort-float.js';
import {TemporalMean} from '../../src/fmri/temporal-mean.js';
import type {VoxelArray} from '../../src/io/nifti-data.js';

/** Deterministic uniform numbers in [0, 1) (xorshift32). */
function uniform(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Dims = [number, number, number];

void test('bucket sort orders like the built-in sort', () => {
  const r = uniform(1);
  const cases: Float64Array[] = [
    Float64Array.from({length: 5000}, () => r() * 1000 - 300),
    // A crowded cluster (image background) beside a sparse range.
    Float64Array.from({length: 5000}, (_, i) =>
      i % 2 ? 15 + r() * 1e-3 : r() * 1100,
    ),
    Float64Array.from({length: 3000}, () => Math.floor(r() * 7)),
    Float64Array.from({length: 1000}, () => 4.25),
    Float64Array.from({length: 2000}, () => (r() - 0.5) * 1e300),
    Float64Array.from({length: 100}, () => r()),
  ];
  for (const [i, values] of cases.entries()) {
    const want = Float64Array.from(values).sort();
    // A rank range: only ranks from … to need be in place.
    const [from, to] = [
      Math.floor(values.length * 0.2),
      Math.floor(values.length * 0.85),
    ];
    assert.deepEqual(
      Array.from(sortFloat64(values, from, to).subarray(from, to + 1)),
      Array.from(want.subarray(from, to + 1)),
      `case ${i}, ranks ${from}…${to}`,
    );
    assert.deepEqual(
      Array.from(sortFloat64(values)),
      Array.from(want),
      `case ${i}`,
    );
  }
});

/** Naive erosion/dilation by the 6-cross, outside = 0. */
function naiveStep(
  m: Uint8Array,
  [nx, ny, nz]: Dims,
  erode: boolean,
): Uint8Array {
  const out = new Uint8Array(m.length);
  const at = (i: number, j: number, k: number) =>
    i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz
      ? 0
      : m[i + nx * (j + ny * k)]!;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const n = [
          at(i, j, k),
          at(i - 1, j, k),
          at(i + 1, j, k),
          at(i, j - 1, k),
          at(i, j + 1, k),
          at(i, j, k - 1),
          at(i, j, k + 1),
        ];
        out[i + nx * (j + ny * k)] = erode ? Math.min(...n) : Math.max(...n);
      }
  return out;
}

function randomMask(dims: Dims, density: number, seed: number): Uint8Array {
  const r = uniform(seed);
  return Uint8Array.from({length: dims[0] * dims[1] * dims[2]}, () =>
    r() < density ? 1 : 0,
  );
}

void test('bitset erosion and dilation equal the voxel-by-voxel definition', () => {
  for (const dims of [
    [5, 4, 3],
    [32, 3, 2],
    [33, 5, 4],
    [64, 6, 5],
    [70, 3, 3],
  ] as Dims[]) {
    for (const density of [0.5, 0.9]) {
      const m = randomMask(dims, density, dims[0] * 7 + density * 10);
      for (const it of [1, 2, 3]) {
        let e = m;
        let d = m;
        for (let s = 0; s < it; s++) {
          e = naiveStep(e, dims, true);
          d = naiveStep(d, dims, false);
        }
        const what = `${dims.join('x')} density ${density} × ${it}`;
        assert.deepEqual(binaryErosion(m, dims, it), e, `erosion ${what}`);
        assert.deepEqual(binaryDilation(m, dims, it), d, `dilation ${what}`);
      }
    }
  }
});

void test('component labels match a union-find over the 6-neighbourhood', () => {
  const dims: Dims = [23, 17, 9];
  const [nx, ny, nz] = dims;
  const m = randomMask(dims, 0.45, 99);
  const parent = Int32Array.from({length: m.length}, (_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]!]!;
    return a;
  };
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        if (!m[v]) continue;
        for (const [di, dj, dk] of [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ] as const) {
          if (i + di >= nx || j + dj >= ny || k + dk >= nz) continue;
          const w = v + di + nx * (dj + ny * dk);
          if (m[w]) parent[find(w)] = find(v);
        }
      }
  const {labels, sizes} = labelComponents(m, dims);
  const labelOfRoot = new Map<number, number>();
  const count = new Map<number, number>();
  for (let v = 0; v < m.length; v++) {
    if (!m[v]) {
      assert.equal(labels[v], 0);
      continue;
    }
    const root = find(v);
    // Labels are numbered in order of each component's first voxel.
    if (!labelOfRoot.has(root)) labelOfRoot.set(root, labelOfRoot.size + 1);
    assert.equal(labels[v], labelOfRoot.get(root));
    count.set(root, (count.get(root) ?? 0) + 1);
  }
  assert.deepEqual(
    sizes.slice(1),
    [...labelOfRoot.keys()].map((root) => count.get(root)),
  );
});

void test('temporal mean: SIMD and typed-array sums agree with a Float64 loop', () => {
  const voxels = 1237; // not a multiple of 8
  const frames = 9;
  const r = uniform(5);
  const kinds: [string, (n: number) => VoxelArray, number][] = [
    [
      'int16',
      (n) => Int16Array.from({length: n}, () => r() * 65535 - 32768),
      32768,
    ],
    ['uint16', (n) => Uint16Array.from({length: n}, () => r() * 65535), 0],
    ['int8', (n) => Int8Array.from({length: n}, () => r() * 255 - 128), 0],
    ['float32', (n) => Float32Array.from({length: n}, () => r() * 100), 0],
  ];
  for (const [name, make] of kinds) {
    const data = Array.from({length: frames}, () => make(voxels));
    const mean = new TemporalMean(voxels, 2, -1);
    for (const f of data) mean.add(f);
    const got = mean.mean();
    for (let v = 0; v < voxels; v++) {
      let s = 0;
      for (const f of data) s += f[v]!;
      const want = (s / frames) * 2 - 1;
      assert.ok(
        Math.abs(got[v]! - want) <= 1e-9 * Math.abs(want),
        `${name} ${v}`,
      );
    }
  }
  const summer = createFrameSummer(voxels);
  assert.ok(summer !== undefined, 'WebAssembly SIMD is available in Node 20');
});

void test('blocked sparse products equal M·x frame by frame (13 frames, scaled)', () => {
  const voxels = Int32Array.from([0, 2, 3, 5, 8]);
  // 3 maps over the 5 atlas voxels, CSR by voxel.
  const rowPtr = Int32Array.from([0, 2, 3, 3, 5, 6]);
  const col = Int32Array.from([0, 2, 1, 0, 1, 2]);
  const val = Float32Array.from([0.5, 1, 2, 0.25, 3, 1.5]);
  const atlas = {
    voxels,
    maps: {voxels: 5, maps: 3, rowPtr, col, val},
  } as unknown as PreparedAtlas;
  const frames = 13;
  const r = uniform(8);
  const data = Array.from({length: frames}, () =>
    Int16Array.from({length: 10}, () => Math.round(r() * 200 - 100)),
  );
  const products = new MapProducts(atlas, frames, 0.5, 3);
  for (const f of data) products.add(f);
  const got = products.result();
  for (let t = 0; t < frames; t++) {
    const want = [0, 0, 0];
    for (let p = 0; p < 5; p++) {
      const x = data[t]![voxels[p]!]! * 0.5 + 3;
      for (let e = rowPtr[p]!; e < rowPtr[p + 1]!; e++)
        want[col[e]!]! += val[e]! * x;
    }
    for (let c = 0; c < 3; c++) {
      assert.ok(
        Math.abs(got[t * 3 + c]! - want[c]!) < 1e-12,
        `t ${t} map ${c}`,
      );
    }
  }
});
