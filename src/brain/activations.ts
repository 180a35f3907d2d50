/**
 * Encoder activations as the brain score reads them: float32 .npy
 * [N, L, H] and a JSON sidecar listing the N texts in order and the L
 * layer names (docs/brain-score.md, "Inputs").
 */
import {readFile} from 'node:fs/promises';

import {FormatError} from '../io/format-error.js';
import {readNpy} from '../io/npy.js';

/** What identifies one text: its scenario item, maybe more. */
export interface TextEntry {
  readonly item?: string;
  readonly condition?: string;
  readonly sentence?: string;
  /** 'accidental' or 'intentional' (model.encode's scenario_text both). */
  readonly version?: string;
  readonly text?: string;
}

/** Loaded activations. */
export interface Activations {
  readonly file: string;
  readonly sidecar: string;
  readonly n: number;
  readonly layers: readonly string[];
  readonly hidden: number;
  readonly data: Float32Array;
  readonly entries: readonly TextEntry[];
  /** The sidecar's scalar fields (model name, untrained flag, pooling …). */
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /**
   * The sidecar's `finetune_subjects` (model.heads: whose fMRI the adapter
   * was fitted to); undefined when it has none.
   */
  readonly finetuneSubjects: readonly string[] | undefined;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;

/**
 * Parses the sidecar's text list: `items` (or `texts`), item ids or
 * objects; a null item falls back to the matching `ids` entry, and ids
 * like "33:intentional" (model.encode with scenario_text both) say which
 * version of the scenario the text is.
 */
function parseEntries(
  meta: Record<string, unknown>,
  sidecar: string,
): TextEntry[] {
  const value = meta['items'] ?? meta['texts'];
  const ids = Array.isArray(meta['ids']) ? (meta['ids'] as unknown[]) : [];
  if (!Array.isArray(value)) {
    throw new FormatError(
      sidecar,
      'items',
      'missing: expected "items" (or "texts"), a list of the N texts in order',
    );
  }
  return value.map((v: unknown, i): TextEntry => {
    const id = str(ids[i]);
    const version = /:(accidental|intentional)$/.exec(id ?? '')?.[1];
    if (v === null && id !== undefined) v = id;
    if (typeof v === 'string' || typeof v === 'number') {
      return {item: String(v).trim(), ...(version ? {version} : {})};
    }
    if (typeof v !== 'object' || v === null) {
      throw new FormatError(
        sidecar,
        `items[${i}]`,
        'is not a string or object',
      );
    }
    const o = v as Record<string, unknown>;
    const e: Record<string, string> = {};
    const item = str(o['item']) ?? str(o['id']);
    if (item !== undefined) e['item'] = item;
    for (const f of ['condition', 'sentence', 'version', 'text'] as const) {
      const s = f === 'text' ? (o[f] as string | undefined) : str(o[f]);
      if (typeof s === 'string') e[f] = s;
    }
    if (e['item'] === undefined && e['text'] === undefined) {
      throw new FormatError(sidecar, `items[${i}]`, 'has no "item" or "text"');
    }
    return e;
  });
}

/** Reads and checks activations + sidecar (N, layers, NaNs). */
export async function readActivations(
  file: string,
  sidecar: string,
): Promise<Activations> {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await readFile(sidecar, 'utf8')) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new FormatError(sidecar, 'json', (e as Error).message);
  }
  const entries = parseEntries(meta, sidecar);
  const npy = await readNpy(file);
  if (npy.shape.length !== 3 || !(npy.data instanceof Float32Array)) {
    throw new FormatError(
      file,
      'shape',
      `is (${npy.shape.join(', ')}) ${npy.data.constructor.name}, expected float32 [N, L, H]`,
    );
  }
  const [n = 0, l = 0, h = 0] = npy.shape;
  if (entries.length !== n) {
    throw new FormatError(
      sidecar,
      'items',
      `lists ${entries.length} texts but ${file} has N = ${n} rows`,
    );
  }
  const names = meta['layers'] ?? meta['layer_names'];
  const layers = Array.isArray(names)
    ? names.map(String)
    : Array.from({length: l}, (_, i) => String(i));
  if (layers.length !== l) {
    throw new FormatError(
      sidecar,
      'layers',
      `names ${layers.length} layers but ${file} has L = ${l}`,
    );
  }
  const bad = npy.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const row = Math.floor(bad / (l * h));
    const layer = Math.floor(bad / h) % l;
    throw new FormatError(
      file,
      'data',
      `non-finite value (${npy.data[bad]}) at text ${row}, layer "${layers[layer]}", unit ${bad % h}`,
    );
  }
  const info: Record<string, string | number | boolean> = {};
  for (const [key, v] of Object.entries(meta)) {
    if (['string', 'number', 'boolean'].includes(typeof v)) {
      info[key] = v as string | number | boolean;
    }
  }
  const tuned = meta['finetune_subjects'];
  const finetuneSubjects = Array.isArray(tuned) ? tuned.map(String) : undefined;
  return {
    file,
    sidecar,
    n,
    layers,
    hidden: h,
    data: npy.data,
    entries,
    info,
    finetuneSubjects,
  };
}

/** Layer l of the activations as a Float64 [N×H] matrix. */
export function layerMatrix(a: Activations, l: number): Float64Array {
  const {n, hidden: h} = a;
  const nl = a.layers.length;
  const out = new Float64Array(n * h);
  for (let i = 0; i < n; i++) {
    const from = (i * nl + l) * h;
    for (let j = 0; j < h; j++) out[i * h + j] = a.data[from + j]!;
  }
  return out;
}

/**
 * Resolves the `layers` param: names (exact match — the study matched by
 * substring, so "2" also took 12 and 22) or 0-based indices; all if empty.
 */
export function pickLayers(
  a: Activations,
  wanted: readonly (string | number)[],
): number[] {
  if (wanted.length === 0) return a.layers.map((_, i) => i);
  return wanted.map((w) => {
    const i =
      typeof w === 'number' ? w : a.layers.findIndex((name) => name === w);
    if (!Number.isInteger(i) || i < 0 || i >= a.layers.length) {
      throw new FormatError(
        a.sidecar,
        'layers',
        `has no layer ${JSON.stringify(w)} (layers: ${a.layers.join(', ')})`,
      );
    }
    return i;
  });
}
