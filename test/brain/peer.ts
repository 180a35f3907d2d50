import {execFile} from 'node:child_process';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

import type {SyntheticInputs} from '../../src/brain/synthetic-inputs.js';
import {readNpy, writeNpy} from '../../src/io/npy.js';
import {PYTHON} from '../io/helpers.js';

const run = promisify(execFile);

/** What the scikit-learn peer computed. */
export interface PeerScores {
  readonly study: Float64Array;
  readonly brainscore: Float64Array;
  readonly parcels: Float64Array;
  readonly seconds: number;
  /** CPU seconds of the fits, all BLAS threads. */
  readonly cpuSeconds: number;
  readonly fits: number;
}

/** brain.score's report fields the peer needs. */
interface Report {
  readonly subjects: string[];
  readonly scenarios: Record<string, string[]>;
  readonly folds: Record<string, string[][]>;
}

/**
 * Runs bench/peers/brain_score.py on the same inputs and the task's own
 * folds (read from its report), for the first `subjects` × `layers`.
 */
export async function sklearnPeer(
  dir: string,
  inputs: SyntheticInputs,
  reportFile: string,
  alphas: readonly number[],
  subjects?: number,
  layers?: number,
): Promise<PeerScores> {
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
  const s = inputs.subjects.length;
  const n = inputs.order[0]!.length;
  const k = inputs.bold[0]!.length / n;
  const y = new Float32Array(s * n * k);
  const rows = new Int32Array(s * n);
  const folds = new Int32Array(s * n);
  for (const [i, name] of report.subjects.entries()) {
    const at = inputs.subjects.indexOf(name);
    y.set(inputs.bold[at]!, i * n * k);
    rows.set(inputs.order[at]!, i * n);
    const keys = report.scenarios[name]!;
    const foldOf = new Map<string, number>();
    for (const [f, fold] of (report.folds[name] ?? []).entries()) {
      for (const key of fold) foldOf.set(key, f);
    }
    for (const [t, key] of keys.entries())
      folds[i * n + t] = foldOf.get(key) ?? 0;
  }
  await writeNpy(join(dir, 'peer_y.npy'), y, [s, n, k]);
  await writeNpy(join(dir, 'peer_rows.npy'), rows, [s, n]);
  await writeNpy(join(dir, 'peer_folds.npy'), folds, [s, n]);
  const script = fileURLToPath(
    new URL('../../../bench/peers/brain_score.py', import.meta.url),
  );
  const prefix = join(dir, 'peer');
  const {stdout} = await run(
    PYTHON,
    [
      script,
      inputs.activations,
      join(dir, 'peer_y.npy'),
      join(dir, 'peer_rows.npy'),
      join(dir, 'peer_folds.npy'),
      JSON.stringify(alphas),
      prefix,
      ...(subjects === undefined ? [] : [String(subjects), String(layers)]),
    ],
    {maxBuffer: 16 << 20},
  );
  const info = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    seconds: number;
    cpu_seconds: number;
    fits: number;
  };
  const load = async (name: string) =>
    Float64Array.from((await readNpy(`${prefix}_${name}.npy`)).data);
  return {
    study: await load('study'),
    brainscore: await load('brainscore'),
    parcels: await load('parcels'),
    seconds: info.seconds,
    cpuSeconds: info.cpu_seconds,
    fits: info.fits,
  };
}
