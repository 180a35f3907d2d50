/**
 * brain.score at the study's size — 39 subjects × 60 scenarios × 24
 * layers × H 1024 × 1024 parcels, both metrics (study + 10-fold
 * Brain-Score) — on SYNTHETIC arrays from a seed, against scikit-learn's
 * RidgeCV(alpha_per_target=True) on the same arrays and folds
 * (bench/peers/brain_score.py). sklearn needs ~60 ms per fit here (10,296
 * fits at full size), so by default it runs on the first few subjects ×
 * layers and its time is scaled by the share of fits; `--peer-full` runs
 * it on everything.
 *
 *   node dist/bench/brain-score.js [--subjects 39] [--layers 24]
 *     [--peer-subjects 3] [--peer-layers 4] [--peer-full]
 */
import {execFile} from 'node:child_process';
import {mkdir, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs, promisify} from 'node:util';

import {writeSyntheticInputs} from '../src/brain/synthetic-inputs.js';
import {readNpy} from '../src/io/npy.js';
import score from '../src/tasks/brain/score.js';
import {runStandalone} from '../src/tasks/fmri/standalone.js';
import {sklearnPeer} from '../test/brain/peer.js';
import {isMain, PYTHON} from './fmri-common.js';

const ALPHAS = [1e-3, 1e-2, 1e-1, 1];

async function sklearnAvailable(): Promise<boolean> {
  return promisify(execFile)(PYTHON, ['-c', 'import sklearn']).then(
    () => true,
    () => false,
  );
}

/** Runs the benchmark; returns its figures. */
export async function main(
  argv: string[] = process.argv.slice(2),
): Promise<Record<string, number>> {
  const {values: v} = parseArgs({
    args: argv,
    options: {
      subjects: {type: 'string', default: '39'},
      scenarios: {type: 'string', default: '60'},
      layers: {type: 'string', default: '24'},
      hidden: {type: 'string', default: '1024'},
      parcels: {type: 'string', default: '1024'},
      'peer-subjects': {type: 'string', default: '3'},
      'peer-layers': {type: 'string', default: '4'},
      'peer-full': {type: 'boolean', default: false},
    },
    strict: false,
  });
  const sizes = {
    subjects: Number(v.subjects),
    scenarios: Number(v.scenarios),
    layers: Number(v.layers),
    hidden: Number(v.hidden),
    parcels: Number(v.parcels),
    runs: 6,
    seed: 'bench',
  };
  const dir = join(tmpdir(), 'neuromake-bench-brain');
  await rm(dir, {recursive: true, force: true});
  await mkdir(dir, {recursive: true});
  const genStart = performance.now();
  const inputs = await writeSyntheticInputs(dir, sizes);
  const generateSeconds = (performance.now() - genStart) / 1000;
  const outputs = {
    scores: join(dir, 'scores.json'),
    parcels: join(dir, 'parcels.npy'),
    plot: join(dir, 'plot.svg'),
  };
  // CPU time too: this machine may be shared, and wall time then lies.
  const cpuBefore = process.cpuUsage();
  const ours = await runStandalone(
    score,
    {
      activations: inputs.activations,
      sidecar: inputs.sidecar,
      samples: inputs.samples,
      metadata: inputs.metadata,
    },
    outputs,
    {metric: 'both', folds: 10, alphas: ALPHAS},
  );
  const cpu = process.cpuUsage(cpuBefore);
  const oursCpu = (cpu.user + cpu.system) / 1e6;
  const fitsTotal = sizes.subjects * sizes.layers * 11;
  const {seed: _seed, ...numeric} = sizes;
  const out: Record<string, number> = {
    ...numeric,
    generate_seconds: generateSeconds,
    neuromake_seconds: ours.seconds,
    neuromake_cpu_seconds: oursCpu,
    fits: fitsTotal,
  };
  if (await sklearnAvailable()) {
    const ps = v['peer-full'] ? sizes.subjects : Number(v['peer-subjects']);
    const pl = v['peer-full'] ? sizes.layers : Number(v['peer-layers']);
    const peer = await sklearnPeer(dir, inputs, outputs.scores, ALPHAS, ps, pl);
    const report = JSON.parse(await readFile(outputs.scores, 'utf8')) as {
      study: {scores: number[][]};
      brainscore: {scores: number[][]};
    };
    const parcels = (await readNpy(outputs.parcels)).data;
    const k = sizes.parcels;
    let diffScores = 0;
    let diffParcels = 0;
    for (let s = 0; s < ps; s++) {
      for (let l = 0; l < pl; l++) {
        const at = s * pl + l;
        diffScores = Math.max(
          diffScores,
          Math.abs(report.study.scores[s]![l]! - peer.study[at]!),
          Math.abs(report.brainscore.scores[s]![l]! - peer.brainscore[at]!),
        );
        for (let j = 0; j < k; j++) {
          const ourR = parcels[(s * sizes.layers + l) * k + j]!;
          diffParcels = Math.max(
            diffParcels,
            Math.abs(ourR - peer.parcels[at * k + j]!),
          );
        }
      }
    }
    const scaled = (peer.seconds * fitsTotal) / peer.fits;
    const scaledCpu = (peer.cpuSeconds * fitsTotal) / peer.fits;
    Object.assign(out, {
      sklearn_subjects: ps,
      sklearn_layers: pl,
      sklearn_fits: peer.fits,
      sklearn_seconds_measured: peer.seconds,
      sklearn_seconds_full_size: scaled,
      sklearn_scaled: ps * pl < sizes.subjects * sizes.layers ? 1 : 0,
      sklearn_cpu_seconds_full_size: scaledCpu,
      ratio_vs_sklearn: scaled / ours.seconds,
      cpu_ratio_vs_sklearn: scaledCpu / oursCpu,
      max_abs_diff_scores: diffScores,
      // Per-parcel r is written as float32, hence ~1e-8 at best.
      max_abs_diff_parcel_r_float32: diffParcels,
    });
    const verdict =
      diffScores < 1e-6 ? 'same scores (< 1e-6)' : 'SCORES DIFFER';
    console.log(
      `brain-score: neuromake ${ours.seconds.toFixed(2)} s for ${fitsTotal} fits; sklearn ${peer.seconds.toFixed(2)} s for ${peer.fits} fits` +
        ` (${ps} subjects × ${pl} layers${out['sklearn_scaled'] ? `, scaled to ${scaled.toFixed(0)} s at full size` : ''});` +
        ` ${(scaled / ours.seconds).toFixed(1)}× faster (CPU time ${oursCpu.toFixed(1)} vs ${scaledCpu.toFixed(0)} s, ${(scaledCpu / oursCpu).toFixed(1)}×); ${verdict}, max |Δ| ${diffScores.toExponential(2)}`,
    );
  } else {
    console.log(`brain-score: ${PYTHON} lacks scikit-learn; no peer run`);
  }
  console.log(`brain-score: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
