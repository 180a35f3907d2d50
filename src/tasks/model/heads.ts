import {readFile} from 'node:fs/promises';
import {basename} from 'node:path';

import {FormatError} from '../../io/format-error.js';
import {STUDY_EPOCHS, ORDERS} from '../../finetune/training-orders.js';
import {
  booleanParam,
  integerParam,
  numberParam,
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';

/** Reads a JSON sidecar's scalar fields (model name, untrained flag). */
async function readSidecar(
  file: string | undefined,
): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(file, 'json', (e as Error).message);
  }
}

/**
 * Trains linear ETHICS and fMRI heads behind a shared linear adapter on
 * frozen encoder features, in one of the study's orders. Heavy work lives
 * in src/finetune (run-heads.ts), loaded inside `run`.
 */
const heads: TaskDefinition = {
  name: 'model.heads',
  description:
    "Fine-tune linear heads on frozen encoder features (one layer of model.encode activations): a shared H→H adapter, an ETHICS head (BCE) and an fMRI head (MSE to K parcels), in the study's orders (ethics, fmri, joint, ethics_fmri, fmri_ethics) with AdamW; weights JSON, metrics JSON (ETHICS accuracy/AUROC on test and hard test, fMRI MSE/cosine on validation), learning curves JSON + SVG, optionally the adapted activations for brain.score.",
  inputs: {
    ethics_train: {
      description:
        'Activations .npy of the ETHICS training texts; default: a seeded train_fraction of ethics_test.',
      optional: true,
    },
    ethics_train_labels: {
      description: 'The ETHICS CSV of ethics_train (column label).',
      optional: true,
    },
    ethics_test: {
      description:
        'Activations .npy of ETHICS cm_test (the study\'s "test set").',
    },
    ethics_test_labels: {description: 'cm_test.csv.'},
    ethics_hard: {description: 'Activations .npy of ETHICS cm_test_hard.'},
    ethics_hard_labels: {description: 'cm_test_hard.csv.'},
    fmri_train: {
      description: 'Activations .npy of the fmri.dataset train texts.',
    },
    fmri_train_targets: {
      description: 'fmri.dataset train.jsonl (vectors in target_field).',
    },
    fmri_validation: {
      description: 'Activations .npy of the fmri.dataset validation texts.',
    },
    fmri_validation_targets: {description: 'fmri.dataset validation.jsonl.'},
    sidecar: {
      description:
        "model.encode sidecar of any of the features: the model's name and untrained flag.",
      optional: true,
    },
    adapt: {
      description:
        'Activations .npy [N, L, H] to pass through the trained adapter (e.g. the scenarios, for brain.score).',
      optional: true,
    },
    adapt_sidecar: {
      description: "adapt's sidecar (copied, with the fine-tuning fields).",
      optional: true,
    },
  },
  outputs: {
    weights: {
      description:
        'JSON: every tensor (shape, row-major values), the standardiser, layer.',
    },
    metrics: {
      description:
        'JSON: model, order, seed, sampling; ETHICS test/hard_test accuracy and AUROC; fMRI validation MSE and cosine; stages.',
    },
    curves: {description: 'JSON: one record per epoch.'},
    plot: {description: 'SVG of the learning curves.'},
    adapted: {
      description: 'float32 .npy [N, 1, H]: adapt through the adapter.',
      optional: true,
    },
    adapted_sidecar: {
      description: 'Sidecar of adapted (for brain.score).',
      optional: true,
    },
  },
  params: {
    order: {
      type: 'string',
      description:
        'ethics, fmri, joint (summed losses), ethics_fmri (ETHICS → fMRI) or fmri_ethics.',
      enum: [...ORDERS],
    },
    seed: {
      type: 'string',
      description: 'Seed of the initial weights, the split and the batches.',
      default: '212',
    },
    layer: {
      type: 'integer',
      description:
        'Layer of the activations used as features (negative from the end).',
      default: -1,
    },
    epochs_ethics: {
      type: 'integer',
      description: 'Epochs of an ETHICS stage (the study: 15).',
      default: STUDY_EPOCHS.ethics,
      minimum: 0,
    },
    epochs_fmri: {
      type: 'integer',
      description: 'Epochs of an fMRI stage (the study: 55).',
      default: STUDY_EPOCHS.fmri,
      minimum: 0,
    },
    epochs_joint: {
      type: 'integer',
      description: 'Epochs of a joint stage (the study: 7).',
      default: STUDY_EPOCHS.joint,
      minimum: 0,
    },
    batch_size: {
      type: 'integer',
      description: 'Rows per mini-batch (the study: 8).',
      default: 8,
      minimum: 1,
    },
    accumulate: {
      type: 'integer',
      description: 'Batches per optimiser step (the study: 10).',
      default: 1,
      minimum: 1,
    },
    lr: {
      type: 'number',
      description: 'AdamW learning rate.',
      default: 1e-3,
      minimum: 0,
    },
    weight_decay: {
      type: 'number',
      description: 'AdamW decoupled weight decay (the study: 0.01).',
      default: 0.01,
      minimum: 0,
    },
    beta1: {
      type: 'number',
      description: 'AdamW β₁.',
      default: 0.9,
      minimum: 0,
      maximum: 1,
    },
    beta2: {
      type: 'number',
      description: 'AdamW β₂.',
      default: 0.999,
      minimum: 0,
      maximum: 1,
    },
    eps: {type: 'number', description: 'AdamW ε.', default: 1e-8, minimum: 0},
    lr_gamma: {
      type: 'number',
      description: 'StepLR factor (the study: 0.99); 1 = constant lr.',
      default: 1,
      minimum: 0,
    },
    lr_step_fraction: {
      type: 'number',
      description: "StepLR period as a share of a stage's steps (0.02).",
      default: 0.02,
      minimum: 0,
      maximum: 1,
    },
    warmup_fraction: {
      type: 'number',
      description:
        "Linear lr warm-up over this share of a stage's steps, then StepLR (0 = none).",
      default: 0,
      minimum: 0,
      maximum: 1,
    },
    rating_weight: {
      type: 'number',
      description:
        "Weight of the rating head's cross-entropy (the participant's 1–4 key), summed with the fMRI loss wherever fMRI trains, as the study did; 0 = no rating head.",
      default: 1,
      minimum: 0,
    },
    fmri_weight: {
      type: 'number',
      description: 'Weight of the fMRI loss in a joint stage.',
      default: 1,
      minimum: 0,
    },
    train_fraction: {
      type: 'number',
      description:
        'Without ethics_train: the share of ethics_test used for training (the rest is the test set).',
      default: 0.8,
      minimum: 0,
      maximum: 1,
    },
    split_seed: {
      type: 'string',
      description:
        "Without ethics_train: seed of the train/test split of ethics_test, fixed so that every run of a sweep is tested on the same rows ('{seed}' to vary it per run).",
      default: '212',
    },
    standardize: {
      type: 'boolean',
      description: 'z-score the features with the training rows.',
      default: true,
    },
    label_field: {
      type: 'string',
      description: 'ETHICS CSV label column (1 = wrong).',
      default: 'label',
    },
    target_field: {
      type: 'string',
      description: 'JSONL key of the fMRI vectors.',
      default: 'fmri',
    },
    model: {
      type: 'string',
      description: "Model label for the tables; '' = the sidecar's model name.",
      default: '',
    },
    sampling: {
      type: 'string',
      description:
        "Sampling method when the fMRI rows have no method field; must match the rows' method when they do ('' = the rows').",
      default: '',
    },
  },
  async run(context) {
    const {runHeads} = await import('../../finetune/run-heads.js');
    const ethicsTrain = optionalInput(context, 'ethics_train');
    const ethicsTrainLabels = optionalInput(context, 'ethics_train_labels');
    if ((ethicsTrain === undefined) !== (ethicsTrainLabels === undefined)) {
      throw new TaskInputError(
        'give both ethics_train and ethics_train_labels, or neither',
      );
    }
    const adapt = optionalInput(context, 'adapt');
    const adaptSidecar = optionalInput(context, 'adapt_sidecar');
    const wantAdapted = context.outputs['adapted'] !== undefined;
    if (wantAdapted && (adapt === undefined || adaptSidecar === undefined)) {
      throw new TaskInputError(
        'output "adapted" needs the inputs adapt and adapt_sidecar',
      );
    }
    const sidecarFile = optionalInput(context, 'sidecar');
    await runHeads(context, {
      outputs: {
        weights: outputPath(context, 'weights'),
        metrics: outputPath(context, 'metrics'),
        curves: outputPath(context, 'curves'),
        plot: outputPath(context, 'plot'),
      },
      ethicsTrain:
        ethicsTrain === undefined
          ? undefined
          : {features: ethicsTrain, labels: ethicsTrainLabels!},
      ethicsTest: {
        features: singleInput(context, 'ethics_test'),
        labels: singleInput(context, 'ethics_test_labels'),
      },
      ethicsHard: {
        features: singleInput(context, 'ethics_hard'),
        labels: singleInput(context, 'ethics_hard_labels'),
      },
      fmriTrain: {
        features: singleInput(context, 'fmri_train'),
        targets: singleInput(context, 'fmri_train_targets'),
      },
      fmriValidation: {
        features: singleInput(context, 'fmri_validation'),
        targets: singleInput(context, 'fmri_validation_targets'),
      },
      sidecar: await readSidecar(sidecarFile),
      sidecarName:
        sidecarFile === undefined ? undefined : basename(sidecarFile),
      adapt:
        wantAdapted && adapt !== undefined && adaptSidecar !== undefined
          ? {
              features: adapt,
              sidecar: await readSidecar(adaptSidecar),
              out: outputPath(context, 'adapted'),
              outSidecar: outputPath(context, 'adapted_sidecar'),
            }
          : undefined,
      order: stringParam(context, 'order', 'ethics', ORDERS),
      seed: stringParam(context, 'seed', '212'),
      layer: integerParam(context, 'layer', -1),
      epochs: {
        ethics: integerParam(context, 'epochs_ethics', STUDY_EPOCHS.ethics),
        fmri: integerParam(context, 'epochs_fmri', STUDY_EPOCHS.fmri),
        joint: integerParam(context, 'epochs_joint', STUDY_EPOCHS.joint),
      },
      batchSize: integerParam(context, 'batch_size', 8),
      accumulate: integerParam(context, 'accumulate', 1),
      adamw: {
        lr: numberParam(context, 'lr', 1e-3),
        weightDecay: numberParam(context, 'weight_decay', 0.01),
        beta1: numberParam(context, 'beta1', 0.9),
        beta2: numberParam(context, 'beta2', 0.999),
        eps: numberParam(context, 'eps', 1e-8),
      },
      lrGamma: numberParam(context, 'lr_gamma', 1),
      lrStepFraction: numberParam(context, 'lr_step_fraction', 0.02),
      warmupFraction: numberParam(context, 'warmup_fraction', 0),
      fmriWeight: numberParam(context, 'fmri_weight', 1),
      ratingWeight: numberParam(context, 'rating_weight', 1),
      trainFraction: numberParam(context, 'train_fraction', 0.8),
      splitSeed: stringParam(context, 'split_seed', '212'),
      standardize: booleanParam(context, 'standardize', true),
      labelField: stringParam(context, 'label_field', 'label'),
      targetField: stringParam(context, 'target_field', 'fmri'),
      modelLabel: stringParam(context, 'model', ''),
      samplingLabel: stringParam(context, 'sampling', ''),
    });
  },
};

export default heads;
