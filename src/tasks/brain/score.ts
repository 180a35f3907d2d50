import {writeFile} from 'node:fs/promises';

import {
  listInput,
  listParam,
  numberParam,
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskContext,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';
import {METRIC_PARAM, METRICS, SCORES, type Metric} from './params.js';

/** A list param of numbers and/or strings. */
function namesOrNumbers(
  context: TaskContext,
  name: string,
): (string | number)[] {
  return listParam(
    context,
    name,
    (x): x is string | number => typeof x === 'string' || typeof x === 'number',
    'names or numbers',
  );
}

/**
 * Ridge brain score of every layer of an encoder, per subject: the study's
 * metric and/or the Brain-Score convention, optional ROI and permutation
 * test. Heavy modules (onnxruntime via src/brain) load inside `run`.
 */
const score: TaskDefinition = {
  name: 'brain.score',
  description:
    "Ridge (RidgeCV-style LOO alphas) from encoder activations to sampled BOLD per subject and layer: the study's last-scenario r across parcels and/or the Brain-Score K-fold median per-parcel r; JSON, per-parcel r .npy, SVG by layer.",
  inputs: {
    activations: {description: 'float32 .npy [N, L, H] (model.encode).'},
    sidecar: {
      description:
        'JSON: "items" (the N texts in order: item ids or {item, condition?, text?}) and "layers" (L names).',
    },
    samples: {
      description: 'Per-run .npy [trials, K] (fmri.sample).',
      list: true,
    },
    metadata: {
      description: 'The matching per-run JSONL, same order.',
      list: true,
    },
    labels: {
      description: 'Parcel labels (DiFuMo-style CSV/TSV or JSON) for "roi".',
      optional: true,
    },
    subjects_from: {
      description:
        'JSONL files whose rows\' "subject" fields are the subjects to score, e.g. fmri.dataset\'s validation and test splits (subjects a model fine-tuned on the train split has not seen); absent: every subject.',
      list: true,
      optional: true,
    },
  },
  outputs: {
    scores: {description: 'JSON report (docs/brain-score.md).'},
    parcels: {
      description:
        'float32 .npy [subjects, layers, parcels]: Brain-Score per-parcel r (NaN with metric "study").',
    },
    plot: {description: 'SVG of brain score by layer.'},
  },
  params: {
    metric: METRIC_PARAM,
    alphas: {
      type: 'array',
      description: 'Ridge alpha grid (RidgeCV alphas).',
      default: [1e-3, 1e-2, 1e-1, 1],
    },
    folds: {
      type: 'integer',
      description: 'K of the K-fold over scenarios (brainscore).',
      default: 10,
      minimum: 2,
    },
    seed: {
      type: 'string',
      description: 'Seed of the folds and permutations.',
      default: '212',
    },
    layers: {
      type: 'array',
      description: 'Layer names (exact) or 0-based indices; empty = all.',
      default: [],
    },
    roi: {
      type: 'array',
      description:
        'Label values (in roi_column) or parcel indices; empty = all.',
      default: [],
    },
    roi_column: {
      type: 'string',
      description: 'Labels column that "roi" names refer to.',
      default: 'Yeo_networks7',
    },
    permutations: {
      type: 'integer',
      description: 'Scenario shuffles for the p-values (0 = none).',
      default: 0,
      minimum: 0,
    },
    title: {
      type: 'string',
      description: 'Plot title; default from the sidecar\'s "model".',
      default: '',
    },
    model: {
      type: 'string',
      description:
        "Model label in the report (results.tables groups by it); '' = the sidecar's \"model\".",
      default: '',
    },
  },
  async run(context) {
    const {readActivations, layerMatrix, pickLayers} =
      await import('../../brain/activations.js');
    const {alignTrials, restrictParcels} =
      await import('../../brain/align-trials.js');
    const {readLabels, selectParcels} = await import('../../brain/roi.js');
    const {centredGram} = await import('../../brain/split-gram.js');
    const {scoreSubjects} = await import('../../brain/brain-score.js');
    const {scoreReport} = await import('../../brain/score-report.js');
    const {keepSubjects, subjectsIn} = await import('../../brain/held-out.js');
    const {layerPlotSvg} = await import('../../brain/layer-plot.js');
    const {writeNpy} = await import('../../io/npy.js');

    const metric = stringParam<Metric>(context, 'metric', 'both', METRICS);
    const alphas = namesOrNumbers(context, 'alphas');
    if (
      !alphas.every((a) => typeof a === 'number' && a > 0) ||
      !alphas.length
    ) {
      throw new TaskInputError(
        `param "alphas" must be a non-empty list of positive numbers, got ${JSON.stringify(alphas)}`,
      );
    }
    const folds = numberParam(context, 'folds', 10);
    const permutations = numberParam(context, 'permutations', 0);
    const seed = stringParam(context, 'seed', '212');
    const actFile = singleInput(context, 'activations');
    const sidecar = singleInput(context, 'sidecar');
    const samples = listInput(context, 'samples');
    const metadata = listInput(context, 'metadata');
    // Read before the activations and samples, so that splits naming no
    // subject cost no work.
    const subjectsFrom = listInput(context, 'subjects_from');
    const wanted =
      subjectsFrom.length === 0 ? undefined : await subjectsIn(subjectsFrom);

    const acts = await readActivations(actFile, sidecar);
    const layerIdx = pickLayers(acts, namesOrNumbers(context, 'layers'));
    const aligned = await alignTrials(acts, samples, metadata);
    // Trials of two sampling methods would be averaged as if they were
    // repeated presentations: a gather across a sampling matrix.
    if (aligned.methods.length > 1) {
      throw new TaskInputError(
        `the samples mix sampling methods (${aligned.methods.join(', ')}): score one method at a time, e.g. with the {sampling} wildcard in this step's for_each`,
      );
    }
    const label = stringParam(context, 'model', '');
    const info: Record<string, unknown> =
      label === ''
        ? acts.info
        : {...acts.info, model: label, sidecar_model: acts.info['model']};
    if (aligned.unmatched > 0) {
      context.warn(
        `${aligned.unmatched} trials have no text in ${sidecar} (matched by ${aligned.keyFields.join('+')}); left out`,
      );
    }
    if (aligned.averaged > 0) {
      context.log(`${aligned.averaged} repeated presentations averaged`);
    }
    const labelsFile = optionalInput(context, 'labels');
    const roi = namesOrNumbers(context, 'roi');
    const keep = selectParcels(
      roi,
      aligned.parcels,
      labelsFile === undefined
        ? undefined
        : {columns: await readLabels(labelsFile), file: labelsFile},
      stringParam(context, 'roi_column', 'Yeo_networks7'),
    );
    let scored = aligned.subjects;
    if (wanted !== undefined) {
      const picked = keepSubjects(aligned.subjects, wanted, subjectsFrom);
      scored = picked.kept;
      if (picked.missing.length > 0) {
        context.warn(
          `${picked.missing.join(', ')} in ${subjectsFrom.join(', ')} ${picked.missing.length === 1 ? 'has' : 'have'} no samples`,
        );
      }
    }
    const leftOut = aligned.subjects
      .filter((s) => !scored.includes(s))
      .map((s) => s.name);
    if (leftOut.length > 0) {
      context.log(
        `scoring ${scored.length} of ${aligned.subjects.length} subjects (those in ${subjectsFrom.join(', ')}); left out: ${leftOut.join(', ')}`,
      );
    }
    const subjects = restrictParcels(scored, aligned.parcels, keep);
    const study = metric !== 'brainscore';
    const brainscore = metric !== 'study';
    for (const s of subjects) {
      const n = s.rows.length;
      const need = brainscore ? Math.max(folds, 3 + Math.ceil(n / folds)) : 3;
      if (n < need) {
        throw new TaskInputError(
          `${s.name} has ${n} scenarios matched to ${sidecar} in ${metadata.join(', ')}; ` +
            (brainscore
              ? `${folds} folds need at least ${need} (lower param "folds", or add runs)`
              : 'the study metric needs at least 3'),
        );
      }
    }
    const layers = [];
    for (const l of layerIdx) {
      layers.push({
        name: acts.layers[l]!,
        gram: await centredGram(layerMatrix(acts, l), acts.n, acts.hidden),
        size: acts.n,
      });
    }
    const result = await scoreSubjects(subjects, layers, {
      study,
      brainscore,
      alphas: alphas as number[],
      folds,
      seed,
      permutations,
      parcels: keep.length,
      progress: (done, total) =>
        context.progress(done, total, 'layers × scenario sets'),
    });
    const names = subjects.map((s) => s.name);
    const layerNames = layers.map((l) => l.name);
    const report = {
      task: 'brain.score',
      activations: actFile,
      sidecar,
      model: info,
      sampling: aligned.methods[0] ?? null,
      fmri_synthetic: aligned.synthetic,
      metric,
      alphas,
      folds,
      seed,
      permutations,
      matched_by: aligned.keyFields,
      subjects_from: subjectsFrom.length === 0 ? null : subjectsFrom,
      subjects_left_out: leftOut,
      finetune_subjects: acts.finetuneSubjects ?? null,
      scenarios: Object.fromEntries(subjects.map((s) => [s.name, s.keys])),
      parcels: {
        count: keep.length,
        of: aligned.parcels,
        roi,
        ...(keep.length < aligned.parcels ? {indices: Array.from(keep)} : {}),
      },
    };
    const sections = scoreReport(result, names, layerNames, alphas as number[]);
    Object.assign(report, sections);
    await writeFile(
      outputPath(context, 'scores'),
      JSON.stringify(report, null, 1) + '\n',
    );
    const perParcel =
      result.parcelR === undefined
        ? new Float32Array(names.length * layers.length * keep.length).fill(NaN)
        : Float32Array.from(result.parcelR);
    await writeNpy(outputPath(context, 'parcels'), perParcel, [
      names.length,
      layers.length,
      keep.length,
    ]);
    const series = SCORES.flatMap((m) => {
      const block = result[m];
      if (block === undefined) return [];
      const stats = sections[m] as
        {by_layer: {mean: number | null; sd: number | null}[]} | undefined;
      const byLayer = stats?.by_layer ?? [];
      return [
        {
          label:
            m === 'study'
              ? 'study (last scenario)'
              : `Brain-Score (${folds}-fold)`,
          mean: byLayer.map((b) => b.mean ?? NaN),
          sd: byLayer.map((b) => b.sd ?? NaN),
        },
      ];
    });
    const model = typeof info['model'] === 'string' ? info['model'] : actFile;
    const untrained = info['untrained'] === true ? ' (UNTRAINED)' : '';
    const fmri = [
      aligned.methods[0] ?? '',
      aligned.synthetic ? 'SYNTHETIC fMRI' : '',
    ].filter((x) => x !== '');
    const title =
      stringParam(context, 'title', '') ||
      `Brain score by layer: ${model}${untrained}, ${names.length} subjects${fmri.length > 0 ? ` (${fmri.join(', ')})` : ''}`;
    await writeFile(
      outputPath(context, 'plot'),
      layerPlotSvg(title, layerNames, series),
    );
  },
};

export default score;
