/**
 * The brain-score engine: for every subject and layer, ridge from a
 * layer's activations to the subject's BOLD vectors, scored two ways —
 *   study:      train on all scenarios but the last (presentation order),
 *               predict its parcel vector, Pearson r across parcels;
 *   brainscore: K folds over scenarios, Pearson r per parcel across all
 *               held-out predictions, median over parcels —
 * with alphas chosen by LOO inside each training split, and optionally a
 * null distribution from shuffling which scenario each BOLD vector goes
 * with. Subjects that saw the same scenarios share every decomposition.
 */
import {kFold, lastOut, permutation, type Split} from './folds.js';
import {median, pearson, pearsonColumns} from './pearson.js';
import {splitGram} from './split-gram.js';
import {
  predictSplit,
  splitPredictor,
  type SplitPredictor,
} from './split-predictor.js';

/** One subject's aligned data. */
export interface SubjectData {
  readonly name: string;
  /** Scenario keys in presentation order (one per sample). */
  readonly keys: readonly string[];
  /** Row of the activations (and of the layer Grams) of each sample. */
  readonly rows: Int32Array;
  /** BOLD vectors, row-major [samples×parcels], Float64. */
  readonly y: Float64Array;
}

/** A layer's centred Gram over all N texts. */
export interface LayerGram {
  readonly name: string;
  readonly gram: Float64Array;
  readonly size: number;
}

/** What to compute. */
export interface ScoreOptions {
  readonly study: boolean;
  readonly brainscore: boolean;
  readonly alphas: readonly number[];
  readonly folds: number;
  readonly seed: string;
  readonly permutations: number;
  readonly parcels: number;
  readonly progress?: (done: number, total: number) => void;
}

/** Scores of one metric: [subjects×layers] and, with permutations, nulls. */
export interface MetricScores {
  readonly scores: Float64Array;
  /** [permutations×subjects×layers] scores with shuffled scenarios. */
  readonly null?: Float64Array;
}

/** Everything the engine found. */
export interface ScoreResult {
  readonly study?: MetricScores;
  readonly brainscore?: MetricScores;
  /** [subjects×layers×parcels] per-parcel r of the brainscore metric. */
  readonly parcelR?: Float64Array;
  /** Test scenario keys of each fold, per subject. */
  readonly folds: readonly (readonly string[][])[];
  /** How often each alpha was chosen (observed data, all fits). */
  readonly alphaCounts: readonly number[];
}

/**
 * Subjects that saw the same set of scenarios, whatever the order: their
 * K-fold splits are the same sets of texts, so one decomposition per fold
 * and layer serves them all. Samples are put in a canonical order (by
 * activation row); `toSubject[c]` is the subject's sample at canonical c.
 */
interface Group {
  readonly members: number[];
  readonly rows: Int32Array;
  readonly keys: string[];
  readonly kfold: Split[];
  readonly toSubject: Map<number, Int32Array>;
}

/** Groups subjects by their set of activation rows. */
function groupSubjects(subjects: readonly SubjectData[], o: ScoreOptions) {
  const bySet = new Map<string, Group>();
  for (const [s, subject] of subjects.entries()) {
    const canonical = Array.from(subject.rows.keys()).sort(
      (a, b) => subject.rows[a]! - subject.rows[b]!,
    );
    const rows = Int32Array.from(canonical, (i) => subject.rows[i]!);
    const id = Array.from(rows).join(',');
    let g = bySet.get(id);
    if (g === undefined) {
      const keys = canonical.map((i) => subject.keys[i]!);
      g = {
        members: [],
        rows,
        keys,
        kfold: o.brainscore ? kFold(keys, o.folds, o.seed) : [],
        toSubject: new Map(),
      };
      bySet.set(id, g);
    }
    g.members.push(s);
    g.toSubject.set(s, Int32Array.from(canonical));
  }
  return [...bySet.values()];
}

/** Scores every subject × layer; see the module comment. */
export async function scoreSubjects(
  subjects: readonly SubjectData[],
  layers: readonly LayerGram[],
  o: ScoreOptions,
): Promise<ScoreResult> {
  const k = o.parcels;
  const nS = subjects.length;
  const nL = layers.length;
  const variants = 1 + o.permutations;
  const groups = groupSubjects(subjects, o);
  const study = o.study ? new Float64Array(variants * nS * nL) : undefined;
  const brain = o.brainscore ? new Float64Array(variants * nS * nL) : undefined;
  const parcelR = o.brainscore ? new Float64Array(nS * nL * k) : undefined;
  const alphaCounts = o.alphas.map(() => 0);
  // Shuffles are per subject and permutation index only, so two models
  // scored with the same seed see the same shuffles (paired nulls).
  const orders = subjects.map((s) =>
    Array.from({length: o.permutations}, (_, p) =>
      permutation(s.rows.length, `${o.seed}/perm/${p}/${s.name}`),
    ),
  );
  const total = nL * groups.length;
  let done = 0;
  for (const [l, layer] of layers.entries()) {
    for (const group of groups) {
      const n = group.rows.length;
      const build = (split: Split): SplitPredictor =>
        splitPredictor(
          split,
          splitGram(
            layer.gram,
            layer.size,
            group.rows,
            split.train,
            split.test,
          ),
          o.alphas,
        );
      const foldPreds = group.kfold.map(build);
      // The study's split depends on which scenario came last: share it
      // between the subjects of the group whose last scenario is the same.
      const studyPreds = new Map<number, SplitPredictor>();
      for (const s of group.members) {
        const subject = subjects[s]!;
        const toSubject = group.toSubject.get(s)!;
        const lastAt = toSubject.indexOf(n - 1);
        let studyPred = studyPreds.get(lastAt);
        if (o.study && studyPred === undefined) {
          studyPred = build(lastOut(n, lastAt));
          studyPreds.set(lastAt, studyPred);
        }
        for (let v = 0; v < variants; v++) {
          const perm = v === 0 ? undefined : orders[s]![v - 1]!;
          // Canonical sample c reads the subject's y row of its sample,
          // through the shuffle when there is one.
          const order = Int32Array.from(toSubject, (i) => perm?.[i] ?? i);
          const at = (v * nS + s) * nL + l;
          if (studyPred !== undefined && study !== undefined) {
            const {predictions, alphaIndex} = await predictSplit(
              studyPred,
              subject.y,
              k,
              order,
            );
            const last = order[lastAt]! * k;
            study[at] = pearson(
              predictions,
              subject.y.subarray(last, last + k),
            );
            if (v === 0) for (const i of alphaIndex) alphaCounts[i]!++;
          }
          if (brain !== undefined && foldPreds.length > 0) {
            const held = new Float64Array(n * k);
            const truth = new Float64Array(n * k);
            for (const fp of foldPreds) {
              const {predictions, alphaIndex} = await predictSplit(
                fp,
                subject.y,
                k,
                order,
              );
              for (const [t, i] of fp.split.test.entries()) {
                held.set(predictions.subarray(t * k, (t + 1) * k), i * k);
              }
              if (v === 0) for (const i of alphaIndex) alphaCounts[i]!++;
            }
            for (let i = 0; i < n; i++) {
              const r = order[i]! * k;
              truth.set(subject.y.subarray(r, r + k), i * k);
            }
            const r = pearsonColumns(held, truth, n, k);
            brain[at] = median(r);
            if (v === 0) parcelR?.set(r, (s * nL + l) * k);
          }
        }
      }
      o.progress?.(++done, total);
    }
  }
  const metric = (a: Float64Array | undefined): MetricScores | undefined =>
    a === undefined
      ? undefined
      : {
          scores: a.slice(0, nS * nL),
          ...(o.permutations > 0 ? {null: a.slice(nS * nL)} : {}),
        };
  const folds = subjects.map((_, s) => {
    const g = groups.find((x) => x.members.includes(s))!;
    return g.kfold.map((f) => Array.from(f.test, (i) => g.keys[i]!));
  });
  return {
    ...(study ? {study: metric(study)!} : {}),
    ...(brain ? {brainscore: metric(brain)!} : {}),
    ...(parcelR ? {parcelR} : {}),
    folds,
    alphaCounts,
  };
}
