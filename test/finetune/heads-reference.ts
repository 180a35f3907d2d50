/**
 * An independent reference for a trained heads model: the ETHICS
 * predictions computed from the weights JSON with plain loops, sharing no
 * code with src/finetune, so a test can check which rows the task really
 * evaluated and what it reported for them.
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
  const npy = await readNpy(activations);
  const [, l = 1, h = 0] = npy.shape;
  const a = weights.tensors['adapter_weight']!.data;
  const ab = weights.tensors['adapter_bias']!.data;
  const w = weights.tensors['ethics_weight']!.data;
  const b = weights.tensors['ethics_bias']!.data[0]!;
  const std = weights.standardizer;
  let correct = 0;
  for (const r of rows) {
    const x: number[] = [];
    for (let i = 0; i < h; i++) {
      const v = npy.data[(r * l + layer) * h + i]!;
      x.push(std === null ? v : (v - std.mean[i]!) / std.scale[i]!);
    }
    let logit = b;
    for (let o = 0; o < h; o++) {
      let z = ab[o]!;
      for (let i = 0; i < h; i++) z += a[o * h + i]! * x[i]!;
      logit += w[o]! * z;
    }
    if ((logit > 0 ? 1 : 0) === labels[r]) correct++;
  }
  return correct / rows.length;
}
