import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {
  largestComponent,
  labelComponents,
} from '../../src/fmri/connected-components.js';
import {computeEpiMask, gapThreshold} from '../../src/fmri/epi-mask.js';
import {gaussianFilter1d} from '../../src/fmri/gaussian-filter.js';
import {binaryDilation, binaryErosion} from '../../src/fmri/morphology.js';
import {readNifti} from '../../src/io/nifti-read.js';
import mask from '../../src/tasks/fmri/mask.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import synthBold from '../../src/tasks/synth/bold.js';
import {
  dataFile,
  python,
  pythonSkipReason,
  withTempDir,
} from '../io/helpers.js';

void test('gap threshold: midpoint of the widest gap between the cutoffs', () => {
  // 10 values; cutoffs 0.2 → index 2, 0.85 → index 8: gaps among 2…8.
  const v = Float64Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 30]);
  assert.equal(
    gapThreshold(v, {lowerCutoff: 0.2, upperCutoff: 0.85, excludeZeros: false}),
    7,
  );
});

void test('erosion and dilation by the 6-cross, border counted as 0', () => {
  const dims = [3, 3, 3] as const;
  const full = new Uint8Array(27).fill(1);
  const eroded = binaryErosion(full, dims, 1);
  assert.deepEqual(
    [...eroded].map((v, i) => (v ? i : -1)).filter((i) => i >= 0),
    [13],
  );
  const dot = new Uint8Array(27);
  dot[13] = 1;
  const grown = binaryDilation(dot, dims, 1);
  assert.equal(
    grown.reduce((a, b) => a + b, 0),
    7,
  );
});

void test('components are numbered in memory order and the first wins a tie', () => {
  const m = Uint8Array.from([1, 0, 1, 1, 0, 1, 1, 0]);
  const {labels, sizes} = labelComponents(m, [8, 1, 1]);
  assert.deepEqual(Array.from(labels), [1, 0, 2, 2, 0, 3, 3, 0]);
  assert.deepEqual(sizes.slice(1), [1, 2, 2]);
  assert.deepEqual(
    Array.from(largestComponent(m, [8, 1, 1])),
    [0, 0, 1, 1, 0, 0, 0, 0],
  );
});

void test('gaussian kernel matches scipy: σ=1/√(8 ln 2), radius 2, reflect edges', () => {
  const d = Float64Array.from([0, 0, 1, 0, 0]);
  gaussianFilter1d(d, [5, 1, 1], 0, 1 / Math.sqrt(8 * Math.log(2)));
  const w = [0, 1, 2].map((x) => Math.exp(-(x * x) * 4 * Math.log(2)));
  const s = w[0]! + 2 * (w[1]! + w[2]!);
  [w[2]!, w[1]!, w[0]!, w[1]!, w[2]!].forEach((v, i) =>
    assert.ok(Math.abs(d[i]! - v / s) < 1e-15),
  );
});

void test('a sphere of bright voxels in dark noise gives the sphere', () => {
  const dims = [20, 20, 20] as const;
  const mean = new Float64Array(8000);
  let inside = 0;
  for (let k = 0; k < 20; k++)
    for (let j = 0; j < 20; j++)
      for (let i = 0; i < 20; i++) {
        const r = Math.hypot(i - 9.5, j - 9.5, k - 9.5);
        mean[i + 20 * (j + 20 * k)] =
          r < 7
            ? 800 + ((i * 7 + j * 3 + k) % 11)
            : (i * 13 + j * 7 + k * 3) % 17;
        if (r < 7) inside++;
      }
  const r = computeEpiMask(mean, dims);
  assert.ok(
    Math.abs(r.voxels - inside) / inside < 0.05,
    `${r.voxels} vs ${inside}`,
  );
});

void test('fmri.mask on a synthetic run equals the numpy/scipy reimplementation of nilearn voxel for voxel', async (t) => {
  const skip = await pythonSkipReason();
  if (skip !== undefined) return t.skip(skip);
  await withTempDir(async (dir) => {
    const func = 'ds000212/sub-04/func/sub-04_task-dis_run-01_';
    const bold = join(dir, 'bold.nii.gz');
    await runStandalone(
      synthBold,
      {
        events: dataFile(`${func}events.tsv`),
        sidecar: dataFile(`${func}bold.json`),
      },
      {bold, events: join(dir, 'e.tsv'), sidecar: join(dir, 'b.json')},
      {volumes: 24},
    );
    const ours = join(dir, 'mask.nii.gz');
    await runStandalone(
      mask,
      {bold},
      {mask: ours, report: join(dir, 'r.json')},
    );
    const peer = join(dir, 'peer.nii.gz');
    const script = new URL('../../../bench/peers/epi_mask.py', import.meta.url)
      .pathname;
    await python(
      `import runpy, sys; sys.argv = [sys.argv[0]] + sys.argv[1:]; runpy.run_path('${script}', run_name='__main__')`,
      [bold, peer],
    );
    const a = await readNifti(ours);
    const b = await readNifti(peer);
    let differ = 0;
    let count = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (a.data[i] !== b.data[i]) differ++;
      count += a.data[i]!;
    }
    assert.equal(differ, 0);
    // The synthetic brain (≈70×86×58 mm half-axes) is ~1.4 L: 30–45k voxels.
    assert.ok(count > 25000 && count < 50000, `${count} voxels`);
  });
});
