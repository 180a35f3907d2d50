/**
 * Reading the heads task's data: one layer of model.encode activations as
 * features, ETHICS labels from the commonsense CSVs, fMRI targets from
 * fmri.dataset JSONL rows; plus the seeded train/held-out split and the
 * feature standardisation.
 */
import {subjectOf} from '../brain/held-out.js';
import {readTable} from '../io/delimited.js';
import {FormatError} from '../io/format-error.js';
import {readJsonl} from '../io/jsonl.js';
import {readNpy} from '../io/npy.js';
import {Random} from '../tasks/synth/random.js';
import type {EthicsSet, FmriSet} from './heads-gradient.js';

/** One layer of an activations file, as Float64 [n, H]. */
export interface LayerFeatures {
  readonly n: number;
  readonly hidden: number;
  /** 0-based index into the file's L axis. */
  readonly layerIndex: number;
  readonly x: Float64Array;
}

/** Resolves a layer index (negative counts from the end) against L. */
export function resolveLayer(layer: number, layers: number): number {
  const i = layer < 0 ? layers + layer : layer;
  if (!Number.isInteger(i) || i < 0 || i >= layers) {
    throw new RangeError(
      `layer ${layer} is out of range for ${layers} layers (0 … ${layers - 1}, or −1 … −${layers})`,
    );
  }
  return i;
}

/** Reads layer `layer` of a float32 .npy [N, L, H] (or [N, H]). */
export async function readLayerFeatures(
  file: string,
  layer: number,
): Promise<LayerFeatures> {
  const npy = await readNpy(file);
  const shape =
    npy.shape.length === 2 ? [npy.shape[0]!, 1, npy.shape[1]!] : npy.shape;
  if (shape.length !== 3) {
    throw new FormatError(
      file,
      'shape',
      `(${npy.shape.join(', ')}) is not [N, L, H] or [N, H]`,
    );
  }
  const [n, l, h] = shape as [number, number, number];
  let li: number;
  try {
    li = resolveLayer(npy.shape.length === 2 && layer === -1 ? 0 : layer, l);
  } catch (e) {
    throw new FormatError(file, 'layer', (e as Error).message);
  }
  const x = new Float64Array(n * h);
  for (let r = 0; r < n; r++) {
    const off = (r * l + li) * h;
    for (let i = 0; i < h; i++) {
      const v = npy.data[off + i]!;
      if (!Number.isFinite(v)) {
        throw new FormatError(
          file,
          'data',
          `non-finite value at row ${r}, unit ${i}`,
        );
      }
      x[r * h + i] = v;
    }
  }
  return {n, hidden: h, layerIndex: li, x};
}

/** The 0/1 labels of an ETHICS CSV (column `field`; 1 = wrong). */
export async function readEthicsLabels(
  file: string,
  field: string,
): Promise<Uint8Array> {
  const table = await readTable(file);
  if (!table.columns.includes(field)) {
    throw new FormatError(
      file,
      'header',
      `has no column "${field}" (columns: ${table.columns.join(', ')})`,
    );
  }
  const out = new Uint8Array(table.rows.length);
  for (const [i, row] of table.rows.entries()) {
    const v = row[field]?.trim();
    if (v !== '0' && v !== '1') {
      throw new FormatError(
        file,
        `row ${i + 1}`,
        `${field} is ${JSON.stringify(v)}, not 0 or 1`,
      );
    }
    out[i] = v === '1' ? 1 : 0;
  }
  return out;
}

/** fMRI target vectors of fmri.dataset JSONL rows. */
export interface FmriTargets {
  readonly n: number;
  readonly parcels: number;
  readonly targets: Float64Array;
  /**
   * Each row's `rating` (the participant's 1–4 key) as class 0 … 3, −1
   * where the row has none or says `no_response`.
   */
  readonly ratings: Int8Array;
  /** The distinct `method` fields of the rows (how fMRI was sampled). */
  readonly methods: readonly string[];
  /** True when any row says its fMRI is synthetic (`synthetic: true`). */
  readonly synthetic: boolean;
  /**
   * The distinct `subject` fields of the rows, sorted; undefined when a
   * row has none (then whose fMRI this is cannot be told).
   */
  readonly subjects: readonly string[] | undefined;
}

/**
 * A row's rating key 1 … 4 as class 0 … 3; −1 when it has none (no
 * `rating`, a null one, or `no_response`). Any other rating is an error:
 * a 0-based or 1–7 scale would otherwise lose rows or shift silently.
 */
function ratingClass(
  row: Record<string, unknown>,
  file: string,
  index: number,
): number {
  const key = row['rating'];
  if (row['no_response'] === true || key === undefined || key === null) {
    return -1;
  }
  if (typeof key !== 'number' || !Number.isInteger(key) || key < 1 || key > 4) {
    throw new FormatError(
      file,
      `row ${index + 1}`,
      `"rating" is ${JSON.stringify(key)}; ratings are the keys 1 to 4 (null, or no_response: true, for none)`,
    );
  }
  return key - 1;
}

/** Reads the `field` vectors (all of one length K) of a JSONL file. */
export async function readFmriTargets(
  file: string,
  field: string,
): Promise<FmriTargets> {
  const rows = await readJsonl(file);
  let k = -1;
  const methods = new Set<string>();
  let synthetic = false;
  const parts: number[][] = [];
  const ratings = new Int8Array(rows.length).fill(-1);
  const subjects = new Set<string>();
  let unnamed = false;
  for (const [i, row] of rows.entries()) {
    ratings[i] = ratingClass(row, file, i);
    const subject = subjectOf(row);
    if (subject !== undefined) subjects.add(subject);
    else unnamed = true;
    const v = row[field];
    if (
      !Array.isArray(v) ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ) {
      throw new FormatError(
        file,
        `row ${i + 1}`,
        `"${field}" is not a list of finite numbers`,
      );
    }
    if (k >= 0 && v.length !== k) {
      throw new FormatError(
        file,
        `row ${i + 1}`,
        `"${field}" has ${v.length} values, row 1 has ${k}`,
      );
    }
    k = v.length;
    parts.push(v as number[]);
    if (typeof row['method'] === 'string') methods.add(row['method']);
    if (row['synthetic'] === true) synthetic = true;
  }
  if (k <= 0) throw new FormatError(file, field, 'no rows with fMRI vectors');
  const targets = new Float64Array(rows.length * k);
  parts.forEach((p, i) => targets.set(p, i * k));
  return {
    n: rows.length,
    parcels: k,
    targets,
    ratings,
    methods: [...methods].sort(),
    synthetic,
    subjects: unnamed ? undefined : [...subjects].sort(),
  };
}

/**
 * A seeded split of rows 0 … n − 1: the first `fraction` (rounded) of a
 * shuffled order for training, the rest held out, both sorted.
 */
export function splitRows(
  n: number,
  fraction: number,
  seed: string,
): {train: number[]; held: number[]} {
  const rng = new Random(`${seed}/ethics-split`);
  const order = Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.round(fraction * n);
  const sort = (a: number[]) => a.sort((x, y) => x - y);
  return {train: sort(order.slice(0, cut)), held: sort(order.slice(cut))};
}

/** The rows `rows` of an ETHICS set. */
export function ethicsSubset(
  set: EthicsSet,
  rows: readonly number[],
  hidden: number,
): EthicsSet {
  const x = new Float64Array(rows.length * hidden);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    x.set(set.x.subarray(r * hidden, (r + 1) * hidden), i * hidden);
    labels[i] = set.labels[r]!;
  });
  return {n: rows.length, x, labels};
}

/** Per-unit centring and scaling of features. */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/**
 * Mean and sd per unit over all rows of `sets` (the training features):
 * untrained or unnormalised encoders give units of very different scales,
 * which a fixed learning rate handles badly. A unit with sd 0 keeps
 * scale 1.
 */
export function fitStandardizer(
  sets: readonly {n: number; x: Float64Array}[],
  hidden: number,
): Standardizer {
  const mean = new Float64Array(hidden);
  const sq = new Float64Array(hidden);
  let n = 0;
  for (const s of sets) {
    for (let r = 0; r < s.n; r++) {
      for (let i = 0; i < hidden; i++) mean[i]! += s.x[r * hidden + i]!;
    }
    n += s.n;
  }
  for (let i = 0; i < hidden; i++) mean[i]! /= Math.max(n, 1);
  for (const s of sets) {
    for (let r = 0; r < s.n; r++) {
      for (let i = 0; i < hidden; i++) {
        const d = s.x[r * hidden + i]! - mean[i]!;
        sq[i]! += d * d;
      }
    }
  }
  const scale = new Float64Array(hidden);
  for (let i = 0; i < hidden; i++) {
    const sd = Math.sqrt(sq[i]! / Math.max(n, 1));
    scale[i] = sd > 1e-12 ? sd : 1;
  }
  return {mean, scale};
}

/** (x − mean) / scale, a new array. */
export function standardize(x: Float64Array, s: Standardizer): Float64Array {
  const h = s.mean.length;
  const out = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const i = j % h;
    out[j] = (x[j]! - s.mean[i]!) / s.scale[i]!;
  }
  return out;
}

/** An fMRI set from features and targets, checking that the rows agree. */
export function fmriSet(
  features: LayerFeatures,
  targets: FmriTargets,
  what: string,
): FmriSet {
  if (features.n !== targets.n) {
    throw new RangeError(
      `${what}: ${features.n} feature rows but ${targets.n} target rows`,
    );
  }
  return {
    n: features.n,
    x: features.x,
    targets: targets.targets,
    ratings: targets.ratings,
  };
}
