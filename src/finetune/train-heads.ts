/**
 * The training loop of the heads model: the stages of an order, each an
 * AdamW run over mini-batches with gradient accumulation, a linear warm-up
 * and a StepLR schedule, deterministic from the seed.
 */
import {Random} from '../tasks/synth/random.js';
import {AdamW, type AdamWOptions} from './adamw.js';
import {evaluateEthics, evaluateFmri} from './head-metrics.js';
import {
  clearGradient,
  ethicsBatchGradient,
  fmriBatchGradient,
  hasRatings,
  zeroGradient,
  type EthicsSet,
  type FmriSet,
} from './heads-gradient.js';
import {
  cloneHeads,
  headsTensors,
  weightsDigest,
  type HeadsModel,
  type TensorName,
} from './heads-model.js';
import type {Stage, StageTask} from './training-orders.js';

/** How to train. */
export interface TrainOptions {
  readonly seed: string;
  readonly stages: readonly Stage[];
  readonly batchSize: number;
  /** Batches whose gradients are summed before each optimiser step. */
  readonly accumulate: number;
  readonly adamw: AdamWOptions;
  /** StepLR: lr × gamma every `lrStepFraction` of a stage's steps. */
  readonly lrGamma: number;
  readonly lrStepFraction: number;
  /**
   * The first `warmupFraction` of a stage's optimiser steps ramp the lr
   * linearly up to its value ({@link scheduledLr}); StepLR counts the
   * steps after them. 0: no warm-up.
   */
  readonly warmupFraction?: number;
  /** Weight of the fMRI loss in a joint stage (ETHICS weight 1). */
  readonly fmriWeight: number;
  /**
   * Weight of the rating cross-entropy, summed with the fMRI loss in every
   * stage that trains on fMRI (the study summed them). 0, the default here
   * (model.heads' is 1), or no rated training row leaves the rating head
   * as it was initialised.
   */
  readonly ratingWeight?: number;
}

/** Training and monitoring data; a stage needs the sets of its task. */
export interface TrainData {
  readonly ethics?: EthicsSet;
  readonly fmri?: FmriSet;
  /** Evaluated after every epoch for the learning curves. */
  readonly ethicsEval?: EthicsSet;
  readonly fmriEval?: FmriSet;
}

/** One point of the learning curves. */
export interface EpochRecord {
  readonly stage: number;
  readonly task: StageTask;
  /** 1-based within the stage. */
  readonly epoch: number;
  /** 1-based over all stages. */
  readonly global_epoch: number;
  readonly lr: number;
  readonly train_ethics_loss: number | null;
  readonly train_fmri_loss: number | null;
  readonly train_rating_loss: number | null;
  readonly eval_ethics_loss: number | null;
  readonly eval_ethics_accuracy: number | null;
  readonly eval_fmri_mse: number | null;
  readonly eval_fmri_cosine: number | null;
  readonly eval_rating_accuracy: number | null;
}

/** What each stage did, with digests of its first and last weights. */
export interface StageRecord {
  readonly stage: number;
  readonly task: StageTask;
  readonly epochs: number;
  readonly optimizer_steps: number;
  readonly start_digest: string;
  readonly end_digest: string;
}

/** Observers, for tests and progress. */
export interface TrainHooks {
  onStageStart?(stage: number, model: HeadsModel): void;
  onStageEnd?(stage: number, model: HeadsModel): void;
  onEpoch?(record: EpochRecord): void;
  readonly signal?: AbortSignal;
}

/**
 * The parameters a stage of `task` trains (the other heads are frozen);
 * the rating head trains with the fMRI head when `rating` (so with no
 * rating loss, weight decay does not shrink it either).
 */
function trainedTensors(task: StageTask, rating: boolean): TensorName[] {
  const adapter: TensorName[] = ['adapter_weight', 'adapter_bias'];
  const ethics: TensorName[] = ['ethics_weight', 'ethics_bias'];
  const fmri: TensorName[] = [
    'fmri_weight',
    'fmri_bias',
    ...(rating ? (['rating_weight', 'rating_bias'] as const) : []),
  ];
  if (task === 'ethics') return [...adapter, ...ethics];
  if (task === 'fmri') return [...adapter, ...fmri];
  return [...adapter, ...ethics, ...fmri];
}

/**
 * The lr of optimiser step `step` (0-based) of a stage: a linear ramp
 * over the first `warmup` steps (step i at lr·(i + 1)/warmup), then StepLR
 * (× gamma every `every` steps) counted from the end of the warm-up.
 */
export function scheduledLr(
  lr: number,
  step: number,
  warmup: number,
  gamma: number,
  every: number,
): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  return lr * gamma ** Math.floor((step - warmup) / every);
}

/** Row indices 0 … n − 1 in a seeded random order (Fisher–Yates). */
function shuffled(n: number, rng: Random): number[] {
  const a = Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Batches of one epoch over `n` rows. */
function batchesOf(n: number, size: number, rng: Random): number[][] {
  const order = shuffled(n, rng);
  const out: number[][] = [];
  for (let i = 0; i < n; i += size) out.push(order.slice(i, i + size));
  return out;
}

function need<T>(set: T | undefined, what: string): T {
  if (set === undefined || (set as {n: number}).n === 0) {
    throw new Error(`a ${what} stage needs ${what} training data`);
  }
  return set;
}

/**
 * The batch pairs of one epoch. A joint epoch runs as many steps as the
 * larger set has batches and cycles the smaller one (reshuffled at each
 * pass), so both losses are summed at every step, as the study did.
 */
function epochPlan(
  task: StageTask,
  data: TrainData,
  size: number,
  rng: Random,
): {ethics?: number[]; fmri?: number[]}[] {
  if (task === 'ethics') {
    return batchesOf(need(data.ethics, 'ethics').n, size, rng).map((e) => ({
      ethics: e,
    }));
  }
  if (task === 'fmri') {
    return batchesOf(need(data.fmri, 'fmri').n, size, rng).map((f) => ({
      fmri: f,
    }));
  }
  const ne = need(data.ethics, 'ethics').n;
  const nf = need(data.fmri, 'fmri').n;
  const steps = Math.max(Math.ceil(ne / size), Math.ceil(nf / size));
  const cycle = (n: number) => {
    const out: number[][] = [];
    while (out.length < steps) out.push(...batchesOf(n, size, rng));
    return out.slice(0, steps);
  };
  const e = cycle(ne);
  const f = cycle(nf);
  return e.map((batch, i) => ({ethics: batch, fmri: f[i]!}));
}

/**
 * Trains `model` in place through `options.stages` and returns the
 * learning curves and a record per stage.
 */
export function trainHeads(
  model: HeadsModel,
  data: TrainData,
  options: TrainOptions,
  hooks: TrainHooks = {},
): {curve: EpochRecord[]; stages: StageRecord[]} {
  const curve: EpochRecord[] = [];
  const stages: StageRecord[] = [];
  const grad = zeroGradient(model);
  const tensors = headsTensors(model);
  const gradTensors = headsTensors(grad);
  let globalEpoch = 0;
  const trainsRating = (options.ratingWeight ?? 0) > 0 && hasRatings(data.fmri);
  for (const [index, stage] of options.stages.entries()) {
    hooks.onStageStart?.(index, cloneHeads(model));
    const startDigest = weightsDigest(model);
    // Each stage draws from its own stream, so a stage's batches do not
    // depend on how many draws the stages before it made.
    const rng = new Random(`${options.seed}/stage-${index}/${stage.task}`);
    const names = trainedTensors(stage.task, trainsRating);
    // A fresh optimiser per stage: the study ran each stage as its own run.
    const opt = new AdamW(
      names.map((n) => tensors[n]),
      options.adamw,
    );
    const plans = Array.from({length: stage.epochs}, () =>
      epochPlan(stage.task, data, options.batchSize, rng),
    );
    const totalSteps = plans.reduce(
      (s, p) => s + Math.ceil(p.length / options.accumulate),
      0,
    );
    const lrStep = Math.max(1, Math.round(options.lrStepFraction * totalSteps));
    const warmup = Math.round((options.warmupFraction ?? 0) * totalSteps);
    const fmriScale = stage.task === 'joint' ? options.fmriWeight : 1;
    const ratingWeight = options.ratingWeight ?? 0;
    for (const [e, plan] of plans.entries()) {
      if (hooks.signal?.aborted === true) throw new Error('cancelled');
      let eLoss = 0;
      let fLoss = 0;
      let rLoss = 0;
      let eBatches = 0;
      let fBatches = 0;
      let rBatches = 0;
      clearGradient(grad);
      for (const [b, batch] of plan.entries()) {
        const scale = 1 / options.accumulate;
        if (batch.ethics !== undefined) {
          eLoss += ethicsBatchGradient(
            model,
            data.ethics!,
            batch.ethics,
            grad,
            scale,
          );
          eBatches++;
        }
        if (batch.fmri !== undefined) {
          const losses = fmriBatchGradient(
            model,
            data.fmri!,
            batch.fmri,
            grad,
            scale * fmriScale,
            ratingWeight,
          );
          fLoss += losses.mse;
          fBatches++;
          if (losses.rating !== null) {
            rLoss += losses.rating;
            rBatches++;
          }
        }
        const last = b === plan.length - 1;
        if ((b + 1) % options.accumulate === 0 || last) {
          opt.lr = scheduledLr(
            options.adamw.lr,
            opt.steps,
            warmup,
            options.lrGamma,
            lrStep,
          );
          opt.step(names.map((n) => gradTensors[n]));
          clearGradient(grad);
        }
      }
      globalEpoch++;
      const ee =
        data.ethicsEval === undefined || data.ethicsEval.n === 0
          ? undefined
          : evaluateEthics(model, data.ethicsEval);
      const fe =
        data.fmriEval === undefined || data.fmriEval.n === 0
          ? undefined
          : evaluateFmri(model, data.fmriEval);
      const record: EpochRecord = {
        stage: index,
        task: stage.task,
        epoch: e + 1,
        global_epoch: globalEpoch,
        lr: opt.lr,
        train_ethics_loss: eBatches === 0 ? null : eLoss / eBatches,
        train_fmri_loss: fBatches === 0 ? null : fLoss / fBatches,
        train_rating_loss: rBatches === 0 ? null : rLoss / rBatches,
        eval_ethics_loss: ee?.loss ?? null,
        eval_ethics_accuracy: ee?.accuracy ?? null,
        eval_fmri_mse: fe?.mse ?? null,
        eval_fmri_cosine: fe?.cosine ?? null,
        eval_rating_accuracy: fe?.rating_accuracy ?? null,
      };
      curve.push(record);
      hooks.onEpoch?.(record);
    }
    stages.push({
      stage: index,
      task: stage.task,
      epochs: stage.epochs,
      optimizer_steps: opt.steps,
      start_digest: startDigest,
      end_digest: weightsDigest(model),
    });
    hooks.onStageEnd?.(index, cloneHeads(model));
  }
  return {curve, stages};
}
