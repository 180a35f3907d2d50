/**
 * SYNTHETIC brain-score inputs for tests and benchmarks, from a seed:
 * activations [N, L, H] whose layers carry a shared latent signal with a
 * peak in the middle layers, and per subject BOLD samples (fmri.sample's
 * layout: per-run .npy + JSONL) that are a linear map of the same latent
 * plus noise, each subject seeing the scenarios in its own order.
 */
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import {writeNpy} from '../io/npy.js';
import {Random} from '../tasks/synth/random.js';
import {permutation} from './folds.js';

/** Sizes of the synthetic study. */
export interface SyntheticSizes {
  readonly subjects: number;
  readonly scenarios: number;
  readonly layers: number;
  readonly hidden: number;
  readonly parcels: number;
  readonly runs: number;
  readonly seed: string;
  /** Latent dimensions shared by activations and BOLD. */
  readonly latent?: number;
  /** Noise sd of the BOLD (signal sd ≈ 1). */
  readonly noise?: number;
}

/** Files written, and each subject's activation row per sample. */
export interface SyntheticInputs {
  readonly activations: string;
  readonly sidecar: string;
  readonly samples: string[];
  readonly metadata: string[];
  readonly subjects: string[];
  /** Per subject, the activation row of each sample in presentation order. */
  readonly order: Int32Array[];
  /** Per subject, its BOLD [scenarios×parcels] in presentation order. */
  readonly bold: Float32Array[];
}

/** Writes the synthetic inputs under `dir`. */
export async function writeSyntheticInputs(
  dir: string,
  z: SyntheticSizes,
): Promise<SyntheticInputs> {
  const {scenarios: n, layers: nl, hidden: h, parcels: k} = z;
  const d = z.latent ?? 8;
  const rng = new Random(`${z.seed}/synthetic-brain`);
  const latent = Float64Array.from({length: n * d}, () => rng.normal());
  const acts = new Float32Array(n * nl * h);
  for (let l = 0; l < nl; l++) {
    // Signal strongest in the middle layers, so the plot has a shape.
    const gain = Math.exp(-(((l - nl / 2) / Math.max(1, nl / 4)) ** 2));
    const map = Float64Array.from({length: d * h}, () => rng.normal());
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < h; j++) {
        let s = 0;
        for (let q = 0; q < d; q++) s += latent[i * d + q]! * map[q * h + j]!;
        acts[(i * nl + l) * h + j] = 2 * gain * s + rng.normal() + 0.5;
      }
    }
  }
  const activations = join(dir, 'activations.npy');
  const sidecar = join(dir, 'activations.json');
  await writeNpy(activations, acts, [n, nl, h]);
  const items = Array.from({length: n}, (_, i) => String(i + 1));
  await writeFile(
    sidecar,
    JSON.stringify({
      model: 'synthetic',
      untrained: true,
      items,
      layer_names: Array.from({length: nl}, (_, l) => `layer_${l + 1}`),
    }),
  );
  const toBold = Float64Array.from({length: d * k}, () => rng.normal());
  const out: SyntheticInputs = {
    activations,
    sidecar,
    samples: [],
    metadata: [],
    subjects: [],
    order: [],
    bold: [],
  };
  for (let s = 0; s < z.subjects; s++) {
    const subject = `sub-${String(s + 1).padStart(2, '0')}`;
    const order = permutation(n, `${z.seed}/order/${subject}`);
    const bold = new Float32Array(n * k);
    for (const [t, row] of order.entries()) {
      for (let j = 0; j < k; j++) {
        let v = 0;
        for (let q = 0; q < d; q++)
          v += latent[row * d + q]! * toBold[q * k + j]!;
        bold[t * k + j] = v / Math.sqrt(d) + (z.noise ?? 1) * rng.normal();
      }
    }
    const perRun = Math.ceil(n / z.runs);
    for (let r = 0; r < z.runs; r++) {
      const from = r * perRun;
      const to = Math.min(n, from + perRun);
      if (from >= to) break;
      const base = join(dir, `${subject}_run-${r + 1}`);
      await writeNpy(`${base}.npy`, bold.slice(from * k, to * k), [
        to - from,
        k,
      ]);
      const lines = [];
      for (let t = from; t < to; t++) {
        lines.push(
          JSON.stringify({
            subject,
            run: String(r + 1),
            item: items[order[t]!],
            condition: t % 2 ? 'A_PHA' : 'F_PHI',
          }),
        );
      }
      await writeFile(`${base}.jsonl`, lines.join('\n') + '\n');
      out.samples.push(`${base}.npy`);
      out.metadata.push(`${base}.jsonl`);
    }
    out.subjects.push(subject);
    out.order.push(order);
    out.bold.push(bold);
  }
  return out;
}
