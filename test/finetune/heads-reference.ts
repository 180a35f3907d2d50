/**
 * An independent reference for a trained heads model: the ETHICS and
 * rating predictions computed from the weights JSON with plain loops,
 * sharing no code with src/finetune, so a test can check which rows the
 * task really evaluated and what it reported for them.
 */
import {readFile} from 'node:fs/promises';

import {readNpy} from '../../src/io/npy.js';

interface Tensor {
  shape: number[];
  data: number[];
}

/** What the task's weights JSON holds (the parts used here). */
export interface HeadsWeights {
  standardizer: {mean: number[]; scale: number[]} | null;
  tensors: Record<string, Tensor>;
}

/** Reads a model.heads weights JSON. */
export async function readWeights(file: string): Promise<HeadsWeights> {
  return JSON.parse(await readFile(file, 'utf8')) as HeadsWeights;
}

/** The 0/1 first field of each data row of a simple ETHICS-style CSV. */
export async function csvLabels(file: string): Promise<number[]> {
  // The test files have one row per line and the label first.
  const lines = (await readFile(file, 'utf8')).split('\n').slice(1);
  return lines.filter((l) => l !== '').map((l) => Number(l.split(',')[0]));
}

/**
 * The adapted vectors z = A x + a of rows `rows` of layer `layer`
 * (0-based) of an activations .npy [N, L, H], standardised as the weights
 * say.
 */
async function adaptedRows(
  weights: HeadsWeights,
  activations: string,
  layer: number,
  rows: readonly number[],
): Promise<number[][]> {
  const npy = await readNpy(activations);
  const [, l = 1, h = 0] = npy.shape;
  const a = weights.tensors['adapter_weight']!.data;
  const ab = weights.tensors['adapter_bias']!.data;
  const std = weights.standardizer;
  return rows.map((r) => {
    const x: number[] = [];
    for (let i = 0; i < h; i++) {
      const v = npy.data[(r * l + layer) * h + i]!;
      x.push(std === null ? v : (v - std.mean[i]!) / std.scale[i]!);
    }
    return Array.from({length: h}, (_, o) => {
      let z = ab[o]!;
      for (let i = 0; i < h; i++) z += a[o * h + i]! * x[i]!;
      return z;
    });
  });
}

/**
 * Accuracy of the ETHICS head (logit > 0 = wrong) on rows `rows` of layer
 * `layer` (0-based) of an activations .npy [N, L, H].
 */
export async function referenceAccuracy(
  weights: HeadsWeights,
  activations: string,
  layer: number,
  labels: readonly number[],
  rows: readonly number[],
): Promise<number> {
  const w = weights.tensors['ethics_weight']!.data;
  const b = weights.tensors['ethics_bias']!.data[0]!;
  const zs = await adaptedRows(weights, activations, layer, rows);
  let correct = 0;
  zs.forEach((z, j) => {
    const logit = z.reduce((s, v, o) => s + w[o]! * v, b);
    if ((logit > 0 ? 1 : 0) === labels[rows[j]!]) correct++;
  });
  return correct / rows.length;
}

/**
 * Accuracy of the rating head (argmax of its 4 logits = key 1 … 4) on the
 * rows of an activations .npy [N, L, H] whose `keys` entry is not null.
 */
export async function referenceRatingAccuracy(
  weights: HeadsWeights,
  activations: string,
  layer: number,
  keys: readonly (number | null)[],
): Promise<number> {
  const w = weights.tensors['rating_weight']!;
  const b = weights.tensors['rating_bias']!.data;
  const [classes = 0, h = 0] = w.shape;
  const rows = keys.flatMap((k, r) => (k === null ? [] : [r]));
  const zs = await adaptedRows(weights, activations, layer, rows);
  let correct = 0;
  zs.forEach((z, j) => {
    let best = 0;
    let top = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b[c]!;
      for (let i = 0; i < h; i++) s += w.data[c * h + i]! * z[i]!;
      if (s > top) [best, top] = [c, s];
    }
    if (best + 1 === keys[rows[j]!]) correct++;
  });
  return correct / rows.length;
}
