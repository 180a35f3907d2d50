/**
 * Small synthetic problems for the heads tests, with a known optimum: a
 * linearly separable ETHICS task and an exactly linear fMRI task plus
 * noise.
 */
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import type {EthicsSet, FmriSet} from '../../src/finetune/heads-gradient.js';
import {writeNpy} from '../../src/io/npy.js';
import {Random} from '../../src/tasks/synth/random.js';

/** A seeded normal matrix [rows, cols]. */
export function normals(
  rows: number,
  cols: number,
  seed: string,
): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({length: rows * cols}, () => rng.normal());
}

/**
 * Separable labels: 1 when w*·x + 0.3 > 0, with a margin (rows closer
 * than `margin` to the boundary are pushed away from it).
 */
export function separableEthics(
  n: number,
  hidden: number,
  seed: string,
  margin = 0.5,
): EthicsSet {
  const x = normals(n, hidden, `${seed}/x`);
  const w = normals(1, hidden, 'ethics-true-w');
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0.3;
    for (let i = 0; i < hidden; i++) s += w[i]! * x[r * hidden + i]!;
    const side = s > 0 ? 1 : -1;
    if (Math.abs(s) < margin) {
      // Move the row along w so that it clears the margin.
      const ww = w.reduce((a, v) => a + v * v, 0);
      const shift = (side * margin - s) / ww;
      for (let i = 0; i < hidden; i++) x[r * hidden + i]! += shift * w[i]!;
    }
    labels[r] = side > 0 ? 1 : 0;
  }
  return {n, x, labels};
}

/** Y = X B + c + noise·ε, [n, K]. */
export function linearFmri(
  n: number,
  hidden: number,
  parcels: number,
  seed: string,
  noise = 0.3,
): FmriSet {
  const x = normals(n, hidden, `${seed}/x`);
  const b = normals(hidden, parcels, 'fmri-true-b');
  const c = normals(1, parcels, 'fmri-true-c');
  const e = normals(n, parcels, `${seed}/noise`);
  const targets = new Float64Array(n * parcels);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < parcels; k++) {
      let s = c[k]!;
      for (let i = 0; i < hidden; i++) {
        s += x[r * hidden + i]! * b[i * parcels + k]!;
      }
      targets[r * parcels + k] = s + noise * e[r * parcels + k]!;
    }
  }
  return {n, x, targets};
}

/** Files for the model.heads task: npy features + CSV labels + JSONL. */
export interface HeadsFiles {
  readonly inputs: Record<string, string>;
  readonly outputs: Record<string, string>;
}

async function features(
  file: string,
  set: {n: number; x: Float64Array},
  hidden: number,
) {
  // Two layers: layer 0 is noise, layer 1 (= −1) the informative one, so
  // the tests also check that the task picks the layer it is told.
  const data = new Float32Array(set.n * 2 * hidden);
  const noise = normals(set.n, hidden, `${file}/noise`);
  for (let r = 0; r < set.n; r++) {
    for (let i = 0; i < hidden; i++) {
      data[r * 2 * hidden + i] = noise[r * hidden + i]!;
      data[(r * 2 + 1) * hidden + i] = set.x[r * hidden + i]!;
    }
  }
  await writeNpy(file, data, [set.n, 2, hidden]);
}

async function labels(file: string, set: EthicsSet) {
  const rows = Array.from(
    set.labels,
    (l, i) => `${l},"text, number ${i}",True,False`,
  );
  await writeFile(
    file,
    ['label,input,is_short,edited', ...rows].join('\n') + '\n',
  );
}

/**
 * The rating of synthetic trial r, as fmri.dataset writes it: no response
 * (key 0) on every fifth trial, key 4 on every third of the others, else
 * (r mod 4) + 1; so key 4 is the commonest.
 */
export function syntheticRating(r: number): {
  rating: number;
  no_response: boolean;
} {
  if (r % 5 === 0) return {rating: 0, no_response: true};
  return {rating: r % 3 === 0 ? 4 : (r % 4) + 1, no_response: false};
}

async function targets(file: string, set: FmriSet, parcels: number) {
  const rows = Array.from({length: set.n}, (_, r) =>
    JSON.stringify({
      text: `trial ${r}`,
      subject: `sub-0${(r % 2) + 1}`,
      method: 'LAST',
      // fmri.dataset's rating fields: see syntheticRating.
      ...syntheticRating(r),
      fmri: Array.from(set.targets.subarray(r * parcels, (r + 1) * parcels)),
    }),
  );
  await writeFile(file, rows.join('\n') + '\n');
}

/** Writes a complete synthetic input set for model.heads under `dir`. */
export async function writeHeadsFiles(
  dir: string,
  hidden = 6,
  parcels = 5,
): Promise<HeadsFiles> {
  await mkdir(join(dir, 'out'), {recursive: true});
  const f = (name: string) => join(dir, name);
  const test = separableEthics(200, hidden, 'test');
  const hard = separableEthics(100, hidden, 'hard');
  const ftrain = linearFmri(40, hidden, parcels, 'ftrain');
  const fval = linearFmri(20, hidden, parcels, 'fval');
  await features(f('ethics_test.npy'), test, hidden);
  await labels(f('cm_test.csv'), test);
  await features(f('ethics_hard.npy'), hard, hidden);
  await labels(f('cm_test_hard.csv'), hard);
  await features(f('fmri_train.npy'), ftrain, hidden);
  await targets(f('train.jsonl'), ftrain, parcels);
  await features(f('fmri_val.npy'), fval, hidden);
  await targets(f('validation.jsonl'), fval, parcels);
  const scenarios = normals(8, 2 * hidden, 'scenarios');
  await writeNpy(f('scenarios.npy'), Float32Array.from(scenarios), [
    8,
    2,
    hidden,
  ]);
  await writeFile(
    f('scenarios.json'),
    JSON.stringify({
      model: 'tiny <model> & "co"',
      untrained: true,
      layers: ['hidden_states.0', 'hidden_states.1'],
      layer_indices: [0, 1],
      items: Array.from({length: 8}, (_, i) => String(i + 1)),
      ids: Array.from({length: 8}, (_, i) => String(i + 1)),
    }),
  );
  return {
    inputs: {
      ethics_test: f('ethics_test.npy'),
      ethics_test_labels: f('cm_test.csv'),
      ethics_hard: f('ethics_hard.npy'),
      ethics_hard_labels: f('cm_test_hard.csv'),
      fmri_train: f('fmri_train.npy'),
      fmri_train_targets: f('train.jsonl'),
      fmri_validation: f('fmri_val.npy'),
      fmri_validation_targets: f('validation.jsonl'),
      sidecar: f('scenarios.json'),
      adapt: f('scenarios.npy'),
      adapt_sidecar: f('scenarios.json'),
    },
    outputs: {
      weights: f('out/weights.json'),
      metrics: f('out/metrics.json'),
      curves: f('out/curves.json'),
      plot: f('out/curves.svg'),
      adapted: f('out/adapted.npy'),
      adapted_sidecar: f('out/adapted.json'),
    },
  };
}
