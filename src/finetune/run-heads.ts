/**
 * What `model.heads` does once its inputs are read: load the features,
 * labels and targets, standardise, train in the chosen order, evaluate,
 * and write weights, metrics, curves, the plot and (optionally) the
 * adapted activations.
 */
import {writeFile} from 'node:fs/promises';
import {basename} from 'node:path';

import {writeNpy} from '../io/npy.js';
import type {AdamWOptions} from './adamw.js';
import {learningCurvesSvg} from './curve-plot.js';
import {
  ethicsSubset,
  fitStandardizer,
  fmriSet,
  readEthicsLabels,
  readFmriTargets,
  readLayerFeatures,
  resolveLayer,
  splitRows,
  standardize,
  type LayerFeatures,
  type Standardizer,
} from './head-data.js';
import {evaluateEthics, evaluateFmri} from './head-metrics.js';
import {hasRatings, type EthicsSet, type FmriSet} from './heads-gradient.js';
import {
  adaptRow,
  headsTensors,
  initHeads,
  RATINGS,
  tensorShapes,
  TENSOR_NAMES,
  type HeadsModel,
} from './heads-model.js';
import {ethicsSplitRecord, resolveSampling} from './run-provenance.js';
import {trainHeads} from './train-heads.js';
import {
  ORDER_LABELS,
  orderUsesFmri,
  stagesOf,
  type Order,
  type StageEpochs,
} from './training-orders.js';

/** Where the run reports to (the task context, or a test's stub). */
export interface HeadsReporter {
  log(message: string): void;
  warn(message: string): void;
  progress(done: number, total: number, message?: string): void;
  readonly signal: AbortSignal;
}

/** Everything `runHeads` needs, files already resolved. */
export interface HeadsRunInput {
  readonly outputs: {
    readonly weights: string;
    readonly metrics: string;
    readonly curves: string;
    readonly plot: string;
  };
  readonly ethicsTrain: {features: string; labels: string} | undefined;
  readonly ethicsTest: {features: string; labels: string};
  readonly ethicsHard: {features: string; labels: string};
  readonly fmriTrain: {features: string; targets: string};
  readonly fmriValidation: {features: string; targets: string};
  readonly sidecar: Record<string, unknown>;
  readonly sidecarName: string | undefined;
  readonly adapt:
    | {
        features: string;
        sidecar: Record<string, unknown>;
        out: string;
        outSidecar: string;
      }
    | undefined;
  readonly order: Order;
  readonly seed: string;
  readonly layer: number;
  readonly epochs: StageEpochs;
  readonly batchSize: number;
  readonly accumulate: number;
  readonly adamw: AdamWOptions;
  readonly lrGamma: number;
  readonly lrStepFraction: number;
  readonly warmupFraction: number;
  readonly fmriWeight: number;
  readonly ratingWeight: number;
  readonly trainFraction: number;
  /** Seed of the ETHICS train/test split (without ethicsTrain). */
  readonly splitSeed: string;
  readonly standardize: boolean;
  readonly labelField: string;
  readonly targetField: string;
  readonly modelLabel: string;
  readonly samplingLabel: string;
}

async function ethicsSet(
  files: {features: string; labels: string},
  layer: number,
  field: string,
): Promise<{features: LayerFeatures; set: EthicsSet}> {
  const [features, labels] = await Promise.all([
    readLayerFeatures(files.features, layer),
    readEthicsLabels(files.labels, field),
  ]);
  if (features.n !== labels.length) {
    throw new RangeError(
      `${files.features} has ${features.n} rows but ${files.labels} has ${labels.length} labels`,
    );
  }
  return {features, set: {n: features.n, x: features.x, labels}};
}

/** The heads' output for the adapted vector, in the features' units. */
function adaptFeatures(
  model: HeadsModel,
  x: Float64Array,
  n: number,
  std: Standardizer | undefined,
): Float32Array {
  const h = model.hidden;
  const xs = std === undefined ? x : standardize(x, std);
  const z = new Float64Array(h);
  const out = new Float32Array(n * h);
  for (let r = 0; r < n; r++) {
    adaptRow(model, xs, r, z);
    for (let i = 0; i < h; i++) {
      // Undo the standardisation, so an identity adapter returns x itself.
      out[r * h + i] =
        std === undefined ? z[i]! : z[i]! * std.scale[i]! + std.mean[i]!;
    }
  }
  return out;
}

/** Trains and evaluates the heads, writing every output. */
export async function runHeads(
  report: HeadsReporter,
  input: HeadsRunInput,
): Promise<void> {
  const started = performance.now();
  const [test, hard, fTrainX, fValX, fTrainY, fValY] = await Promise.all([
    ethicsSet(input.ethicsTest, input.layer, input.labelField),
    ethicsSet(input.ethicsHard, input.layer, input.labelField),
    readLayerFeatures(input.fmriTrain.features, input.layer),
    readLayerFeatures(input.fmriValidation.features, input.layer),
    readFmriTargets(input.fmriTrain.targets, input.targetField),
    readFmriTargets(input.fmriValidation.targets, input.targetField),
  ]);
  const hidden = test.features.hidden;
  for (const f of [hard.features, fTrainX, fValX]) {
    if (f.hidden !== hidden) {
      throw new RangeError(
        `features of width ${f.hidden} and ${hidden}: encode every set with one model`,
      );
    }
  }
  if (fTrainY.parcels !== fValY.parcels) {
    throw new RangeError(
      `${fTrainY.parcels} parcels in train targets, ${fValY.parcels} in validation`,
    );
  }
  const sampling = resolveSampling(fTrainY, fValY, input.samplingLabel, {
    train: basename(input.fmriTrain.targets),
    validation: basename(input.fmriValidation.targets),
  });
  let ethicsTrain: EthicsSet;
  let ethicsTest: EthicsSet;
  let trainSource: string;
  let split: ReturnType<typeof splitRows> | undefined;
  if (input.ethicsTrain !== undefined) {
    ethicsTrain = (
      await ethicsSet(input.ethicsTrain, input.layer, input.labelField)
    ).set;
    ethicsTest = test.set;
    trainSource = basename(input.ethicsTrain.labels);
  } else {
    // No cm_train here (data/ethics holds the test splits only): train on a
    // seeded share of cm_test and test on the complementary rows. The split
    // has its own seed, so every run of a sweep is tested on the same rows
    // whatever its training seed.
    split = splitRows(test.set.n, input.trainFraction, input.splitSeed);
    ethicsTrain = ethicsSubset(test.set, split.train, hidden);
    ethicsTest = ethicsSubset(test.set, split.held, hidden);
    trainSource = `${Math.round(input.trainFraction * 100)}% of ${basename(input.ethicsTest.labels)} (seeded split)`;
    report.warn(
      `no ethics_train: training on ${split.train.length} rows of ${basename(input.ethicsTest.labels)}, testing on the other ${split.held.length}`,
    );
  }
  const ethicsSplit = ethicsSplitRecord(
    {
      train:
        input.ethicsTrain === undefined
          ? undefined
          : basename(input.ethicsTrain.labels),
      test: basename(input.ethicsTest.labels),
      hard: basename(input.ethicsHard.labels),
    },
    {train: ethicsTrain.n, test: ethicsTest.n, hard: hard.set.n},
    split === undefined
      ? undefined
      : {...split, seed: input.splitSeed, fraction: input.trainFraction},
  );
  let fTrain = fmriSet(fTrainX, fTrainY, input.fmriTrain.targets);
  let fVal = fmriSet(fValX, fValY, input.fmriValidation.targets);
  let hardSet = hard.set;
  let std: Standardizer | undefined;
  if (input.standardize) {
    std = fitStandardizer([ethicsTrain, fTrain], hidden);
    const z = <T extends {x: Float64Array}>(s: T): T => ({
      ...s,
      x: standardize(s.x, std!),
    });
    ethicsTrain = z(ethicsTrain);
    ethicsTest = z(ethicsTest);
    hardSet = z(hardSet);
    fTrain = z(fTrain);
    fVal = z(fVal);
  }
  if (
    input.ratingWeight > 0 &&
    orderUsesFmri(input.order) &&
    !hasRatings(fTrain)
  ) {
    report.warn(
      `no row of ${input.fmriTrain.targets} has a rating (fmri.dataset's "rating"): the rating head is left untrained`,
    );
  }
  const stages = stagesOf(input.order, input.epochs);
  const model = initHeads(hidden, fTrainY.parcels, input.seed);
  const totalEpochs = stages.reduce((s, st) => s + st.epochs, 0);
  const result = trainHeads(
    model,
    {ethics: ethicsTrain, fmri: fTrain, ethicsEval: ethicsTest, fmriEval: fVal},
    {
      seed: input.seed,
      stages,
      batchSize: input.batchSize,
      accumulate: input.accumulate,
      adamw: input.adamw,
      lrGamma: input.lrGamma,
      lrStepFraction: input.lrStepFraction,
      warmupFraction: input.warmupFraction,
      fmriWeight: input.fmriWeight,
      ratingWeight: input.ratingWeight,
    },
    {
      signal: report.signal,
      onEpoch: (r) => report.progress(r.global_epoch, totalEpochs, 'epochs'),
    },
  );
  const modelName =
    input.modelLabel !== ''
      ? input.modelLabel
      : typeof input.sidecar['model'] === 'string'
        ? input.sidecar['model']
        : 'unknown';
  const untrained = input.sidecar['untrained'] === true;
  const synthetic = fTrainY.synthetic || fValY.synthetic;
  const layers = input.sidecar['layers'];
  const layerName = Array.isArray(layers)
    ? String(layers[test.features.layerIndex])
    : `layer ${test.features.layerIndex}`;
  // The fMRI baseline a head must beat: predicting the training mean.
  // Its rating head is an untrained one: no rating accuracy.
  const meanPredictor = evaluateFmri(
    {
      ...initHeads(hidden, fTrainY.parcels, input.seed),
      fmriW: new Float64Array(fTrainY.parcels * hidden),
      fmriB: meanRows(fTrain),
    },
    {n: fVal.n, x: fVal.x, targets: fVal.targets},
  );
  const metrics = {
    task: 'model.heads',
    model: modelName,
    untrained,
    fmri_synthetic: synthetic,
    ...(untrained || synthetic
      ? {
          warning: [
            ...(untrained
              ? ['UNTRAINED encoder: features test the pipeline only']
              : []),
            ...(synthetic
              ? ['SYNTHETIC fMRI: the targets are generated, not recorded']
              : []),
          ].join('; '),
        }
      : {}),
    order: input.order,
    order_label: ORDER_LABELS[input.order],
    seed: input.seed,
    sampling: sampling.sampling,
    sampling_source: sampling.source,
    layer: layerName,
    layer_index: test.features.layerIndex,
    features_sidecar: input.sidecarName ?? null,
    hidden_size: hidden,
    parcels: fTrainY.parcels,
    params: {
      epochs: input.epochs,
      batch_size: input.batchSize,
      accumulate: input.accumulate,
      lr: input.adamw.lr,
      weight_decay: input.adamw.weightDecay,
      betas: [input.adamw.beta1, input.adamw.beta2],
      eps: input.adamw.eps,
      lr_gamma: input.lrGamma,
      lr_step_fraction: input.lrStepFraction,
      warmup_fraction: input.warmupFraction,
      fmri_weight: input.fmriWeight,
      rating_weight: input.ratingWeight,
      standardize: input.standardize,
    },
    ethics: {
      train_rows: ethicsTrain.n,
      train_source: trainSource,
      split: ethicsSplit,
      train: evaluateEthics(model, ethicsTrain),
      test: evaluateEthics(model, ethicsTest),
      hard_test: evaluateEthics(model, hardSet),
    },
    fmri: {
      train_rows: fTrain.n,
      train: evaluateFmri(model, fTrain),
      validation: evaluateFmri(model, fVal),
      validation_mean_predictor: meanPredictor,
      // The rating head's baseline: always the commonest training rating.
      validation_rating_majority: majorityAccuracy(fTrain, fVal),
    },
    stages: result.stages,
  };
  // The run time is logged, not written into the metrics: outputs that
  // change with every run would defeat early cutoff for the tables.
  const seconds = (performance.now() - started) / 1000;
  await writeFile(input.outputs.metrics, readableJson(metrics));
  await writeFile(
    input.outputs.curves,
    JSON.stringify(
      {
        order: input.order,
        seed: input.seed,
        model: modelName,
        epochs: result.curve,
      },
      null,
      1,
    ) + '\n',
  );
  await writeFile(
    input.outputs.plot,
    learningCurvesSvg(
      `${modelName}${untrained ? ' (UNTRAINED)' : ''}: ${ORDER_LABELS[input.order] ?? input.order}, seed ${input.seed}`,
      result.curve,
    ),
  );
  const tensors = headsTensors(model);
  const shapes = tensorShapes(model);
  await writeFile(
    input.outputs.weights,
    JSON.stringify({
      format: 'neuromake.heads/1',
      model: modelName,
      order: input.order,
      seed: input.seed,
      layer: layerName,
      layer_index: test.features.layerIndex,
      standardizer:
        std === undefined ? null : {mean: [...std.mean], scale: [...std.scale]},
      tensors: Object.fromEntries(
        TENSOR_NAMES.map((n) => [n, {shape: shapes[n], data: [...tensors[n]]}]),
      ),
    }) + '\n',
  );
  if (input.adapt !== undefined) {
    await writeAdapted(
      model,
      std,
      input,
      modelName,
      sampling.sampling,
      layerName,
      // An ETHICS-only adapter saw no one's fMRI; null when the rows do
      // not say whose they are.
      orderUsesFmri(input.order) ? (fTrainY.subjects ?? null) : [],
    );
  }
  report.log(
    `${input.order}: ETHICS test acc ${metrics.ethics.test.accuracy.toFixed(3)}, hard ${metrics.ethics.hard_test.accuracy.toFixed(3)}; fMRI val MSE ${metrics.fmri.validation.mse.toFixed(4)} (mean predictor ${meanPredictor.mse.toFixed(4)}) in ${seconds.toFixed(1)} s`,
  );
}

/**
 * JSON with one key per line but lists of numbers on one line: the ETHICS
 * row lists would otherwise take thousands of lines.
 */
function readableJson(value: unknown): string {
  return (
    JSON.stringify(value, null, 1).replace(
      /\[\n[\d\s,.eE+-]*\]/g,
      (list) => `[${list.slice(1, -1).replace(/\s+/g, '')}]`,
    ) + '\n'
  );
}

/**
 * The accuracy on `test`'s rated rows of always answering the rating most
 * common among `train`'s; null when either has no rating.
 */
function majorityAccuracy(train: FmriSet, test: FmriSet): number | null {
  const counts = new Array<number>(RATINGS).fill(0);
  for (const r of train.ratings ?? []) if (r >= 0) counts[r]!++;
  const top = counts.indexOf(Math.max(...counts));
  const rated = [...(test.ratings ?? [])].filter((r) => r >= 0);
  if (counts[top] === 0 || rated.length === 0) return null;
  return rated.filter((r) => r === top).length / rated.length;
}

/** Column means of an fMRI set's targets (the mean predictor's bias). */
function meanRows(set: FmriSet): Float64Array {
  const k = set.targets.length / Math.max(set.n, 1);
  const out = new Float64Array(k);
  for (let r = 0; r < set.n; r++) {
    for (let p = 0; p < k; p++) out[p]! += set.targets[r * k + p]! / set.n;
  }
  return out;
}

async function writeAdapted(
  model: HeadsModel,
  std: Standardizer | undefined,
  input: HeadsRunInput,
  modelName: string,
  sampling: string,
  layerName: string,
  trainSubjects: readonly string[] | null,
): Promise<void> {
  const a = input.adapt!;
  const {readNpyShape} = await import('../io/npy.js');
  const {shape} = await readNpyShape(a.features);
  const li = resolveLayer(input.layer, shape.length === 3 ? shape[1]! : 1);
  const feats = await readLayerFeatures(a.features, input.layer);
  if (feats.hidden !== model.hidden) {
    throw new RangeError(
      `${a.features} has width ${feats.hidden}, the heads ${model.hidden}`,
    );
  }
  const out = adaptFeatures(model, feats.x, feats.n, std);
  await writeNpy(a.out, out, [feats.n, 1, model.hidden]);
  const names = a.sidecar['layers'] ?? a.sidecar['layer_names'];
  const name = Array.isArray(names) ? String(names[li]) : layerName;
  const indices = a.sidecar['layer_indices'];
  const sidecar: Record<string, unknown> = {
    ...a.sidecar,
    model: modelName,
    finetuned: true,
    finetune: 'model.heads',
    finetune_order: input.order,
    finetune_seed: input.seed,
    // Whose fMRI the adapter was fitted to: brain.score reports them, and
    // results.tables checks that none of them is scored.
    finetune_subjects: trainSubjects,
    sampling,
    adapter_layer: name,
    shape: [feats.n, 1, model.hidden],
    layers: [name],
    layer_indices: Array.isArray(indices) ? [indices[li]] : [li],
  };
  delete sidecar['layer_names'];
  await writeFile(a.outSidecar, JSON.stringify(sidecar, null, 2) + '\n');
}
