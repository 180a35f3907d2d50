/**
 * Aligns fMRI samples (fmri.sample's per-run .npy [trials, K] + JSONL) to
 * the activations' texts: each trial's key is built from the fields the
 * activations sidecar identifies texts by (item; condition and sentence
 * when it lists them; the text itself as a fallback), trials of one
 * subject with the same key (repeated presentations) are averaged, and
 * scenarios keep the order in which the subject first saw them.
 */
import {isIntentional} from '../fmri/scenario-text.js';
import {FormatError} from '../io/format-error.js';
import {readJsonl} from '../io/jsonl.js';
import {readNpy} from '../io/npy.js';
import {subjectOf} from './held-out.js';
import type {Activations, TextEntry} from './activations.js';
import type {SubjectData} from './brain-score.js';

/** Aligned subjects plus what was left out, for warnings. */
export interface Alignment {
  readonly subjects: SubjectData[];
  readonly parcels: number;
  readonly unmatched: number;
  readonly averaged: number;
  readonly keyFields: readonly string[];
  /** Distinct `method` fields of the metadata rows (fmri.sample's). */
  readonly methods: readonly string[];
  /** True when any metadata row is marked `synthetic: true`. */
  readonly synthetic: boolean;
}

type Field = 'item' | 'condition' | 'sentence' | 'version' | 'text';

function keyOf(e: TextEntry | Record<string, unknown>, fields: Field[]) {
  const r = e as Record<string, unknown>;
  return fields
    .map((f) => {
      // A trial's version follows from its dis-task condition letter.
      const v =
        f === 'version' && r['version'] === undefined
          ? isIntentional(
              typeof r['condition'] === 'string' ? r['condition'] : '',
            )
            ? 'intentional'
            : 'accidental'
          : r[f];
      return typeof v === 'string' || typeof v === 'number'
        ? String(v).trim()
        : '';
    })
    .join('\u0000');
}

interface Trial {
  readonly subject: string;
  readonly row: Record<string, unknown>;
  readonly values: Float32Array;
}

async function readTrials(
  samples: readonly string[],
  metadata: readonly string[],
): Promise<{
  trials: Trial[];
  parcels: number;
  methods: string[];
  synthetic: boolean;
}> {
  if (samples.length !== metadata.length || samples.length === 0) {
    throw new FormatError(
      'inputs',
      'samples/metadata',
      `${samples.length} samples files but ${metadata.length} metadata files (need matching, non-empty lists)`,
    );
  }
  const trials: Trial[] = [];
  let parcels = -1;
  const methods = new Set<string>();
  let synthetic = false;
  for (const [f, file] of samples.entries()) {
    const meta = metadata[f]!;
    const npy = await readNpy(file);
    const rows = await readJsonl(meta);
    const [n = 0, k = 0] = npy.shape;
    if (npy.shape.length !== 2) {
      throw new FormatError(
        file,
        'shape',
        `is (${npy.shape.join(', ')}), expected [N, K]`,
      );
    }
    if (rows.length !== n) {
      throw new FormatError(
        meta,
        'rows',
        `${rows.length} rows but ${file} has N = ${n} samples`,
      );
    }
    if (parcels >= 0 && k !== parcels) {
      throw new FormatError(
        file,
        'shape',
        `K = ${k} parcels, ${samples[0]} has ${parcels}`,
      );
    }
    parcels = k;
    for (const [i, row] of rows.entries()) {
      const values = Float32Array.from(npy.data.subarray(i * k, (i + 1) * k));
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new FormatError(
          file,
          `row ${i}`,
          `non-finite value at parcel ${bad} (subject ${String(row['subject'])}, item ${String(row['item'])})`,
        );
      }
      const subject = subjectOf(row);
      if (subject === undefined) {
        throw new FormatError(meta, `line ${i + 1}`, 'has no "subject" field');
      }
      trials.push({
        subject,
        row,
        values,
      });
      if (typeof row['method'] === 'string') methods.add(row['method']);
      if (row['synthetic'] === true) synthetic = true;
    }
  }
  return {trials, parcels, methods: [...methods].sort(), synthetic};
}

/** Which fields identify a text: those every sidecar entry has. */
function chooseFields(a: Activations, trials: Trial[]): Field[] {
  const has = (f: Field) => a.entries.every((e) => e[f] !== undefined);
  if (has('item')) {
    const fields: Field[] = ['item'];
    if (has('condition')) fields.push('condition');
    if (has('sentence')) fields.push('sentence');
    if (has('version')) fields.push('version');
    const known = new Set(a.entries.map((e) => keyOf(e, fields)));
    const hits = trials.filter((t) => known.has(keyOf(t.row, fields))).length;
    // Plain strings in the sidecar may be texts rather than item ids.
    if (hits > 0 || !has('text')) return fields;
  }
  if (has('text')) return ['text'];
  return ['item'];
}

/** Aligns every trial to an activation row; see the module comment. */
export async function alignTrials(
  a: Activations,
  samples: readonly string[],
  metadata: readonly string[],
): Promise<Alignment> {
  const {trials, parcels, methods, synthetic} = await readTrials(
    samples,
    metadata,
  );
  // Strings in `items` may be texts: treat them as such if no item hits.
  const entries =
    a.entries.every((e) => e.text === undefined) &&
    !trials.some((t) => a.entries.some((e) => e.item === String(t.row['item'])))
      ? a.entries.map((e) => ({text: e.item ?? ''}))
      : a.entries;
  const view: Activations = {...a, entries};
  const fields = chooseFields(view, trials);
  const rowOf = new Map<string, number>();
  for (const [i, e] of entries.entries()) {
    const key = keyOf(e, fields);
    if (rowOf.has(key)) {
      throw new FormatError(
        a.sidecar,
        `items[${i}]`,
        `repeats ${fields.join('+')} "${key.replaceAll('\u0000', ' ')}"`,
      );
    }
    rowOf.set(key, i);
  }
  const bySubject = new Map<
    string,
    Map<string, {row: number; sum: Float64Array; count: number}>
  >();
  let unmatched = 0;
  let averaged = 0;
  for (const t of trials) {
    const key = keyOf(t.row, fields);
    const row = rowOf.get(key);
    if (row === undefined) {
      unmatched++;
      continue;
    }
    let subject = bySubject.get(t.subject);
    if (subject === undefined) {
      subject = new Map();
      bySubject.set(t.subject, subject);
    }
    let acc = subject.get(key);
    if (acc === undefined) {
      acc = {row, sum: new Float64Array(parcels), count: 0};
      subject.set(key, acc);
    } else averaged++;
    for (let j = 0; j < parcels; j++) acc.sum[j] = acc.sum[j]! + t.values[j]!;
    acc.count++;
  }
  if (bySubject.size === 0) {
    throw new FormatError(
      a.sidecar,
      'items',
      `no trial of ${metadata.join(', ')} matches a text by ${fields.join('+')} (e.g. trial ${JSON.stringify(trials[0]?.row[fields[0]!])}, text ${JSON.stringify(entries[0])})`,
    );
  }
  const subjects: SubjectData[] = [...bySubject.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([name, scen]) => {
      const keys = [...scen.keys()];
      const y = new Float64Array(keys.length * parcels);
      const rows = new Int32Array(keys.length);
      for (const [i, key] of keys.entries()) {
        const acc = scen.get(key)!;
        rows[i] = acc.row;
        for (let j = 0; j < parcels; j++)
          y[i * parcels + j] = acc.sum[j]! / acc.count;
      }
      return {
        name,
        keys: keys.map((k) => k.replaceAll('\u0000', '/')),
        rows,
        y,
      };
    });
  return {
    subjects,
    parcels,
    unmatched,
    averaged,
    keyFields: fields,
    methods,
    synthetic,
  };
}

/** Keeps only the parcels `keep` of every subject's BOLD vectors. */
export function restrictParcels(
  subjects: readonly SubjectData[],
  parcels: number,
  keep: Int32Array,
): SubjectData[] {
  if (keep.length === parcels) return [...subjects];
  return subjects.map((s) => {
    const n = s.rows.length;
    const y = new Float64Array(n * keep.length);
    for (let i = 0; i < n; i++) {
      for (const [j, p] of keep.entries())
        y[i * keep.length + j] = s.y[i * parcels + p]!;
    }
    return {...s, y};
  });
}
