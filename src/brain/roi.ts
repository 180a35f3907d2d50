/**
 * Parcel subsets (ROIs): parcels whose value in a labels column (e.g. a
 * DiFuMo labels file's Yeo_networks7) equals one of the requested names —
 * exactly, ignoring case; never by substring (the study's layer-name bug
 * shows why) — or explicit 0-based parcel indices.
 */
import {readFile} from 'node:fs/promises';

import {parseCsv, parseTsv} from '../io/delimited.js';
import {FormatError} from '../io/format-error.js';

/** Column name → one value per parcel, in parcel order. */
export type LabelColumns = ReadonlyMap<string, readonly string[]>;

/**
 * Reads a labels table: CSV or TSV with a header (DiFuMo's labels files),
 * or JSON — an array of row objects, or an object whose array fields are
 * columns (`labels` may itself hold row objects or names).
 */
export async function readLabels(file: string): Promise<LabelColumns> {
  const text = await readFile(file, 'utf8');
  const out = new Map<string, string[]>();
  const addRows = (rows: readonly unknown[]) => {
    for (const [i, row] of rows.entries()) {
      if (typeof row !== 'object' || row === null) continue;
      for (const [key, value] of Object.entries(row)) {
        let col = out.get(key);
        if (col === undefined) {
          col = new Array<string>(rows.length).fill('');
          out.set(key, col);
        }
        col[i] = String(value);
      }
    }
  };
  if (/\.json$/i.test(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new FormatError(file, 'json', (e as Error).message);
    }
    if (Array.isArray(parsed)) addRows(parsed);
    else if (typeof parsed === 'object' && parsed !== null) {
      for (const [key, value] of Object.entries(parsed)) {
        if (!Array.isArray(value)) continue;
        if (value.every((v) => typeof v === 'object' && v !== null)) {
          addRows(value);
        } else out.set(key, value.map(String));
      }
    }
  } else {
    const table = /\.tsv$/i.test(file)
      ? parseTsv(text, file)
      : parseCsv(text, file);
    for (const c of table.columns) {
      out.set(
        c,
        table.rows.map((r) => r[c] ?? ''),
      );
    }
  }
  if (out.size === 0) {
    throw new FormatError(file, 'columns', 'no label columns found');
  }
  return out;
}

/**
 * The 0-based parcels selected by `roi` (names in `column`, or integer
 * indices) out of `parcels`; all parcels when `roi` is empty.
 */
export function selectParcels(
  roi: readonly (string | number)[],
  parcels: number,
  labels?: {readonly columns: LabelColumns; readonly file: string},
  column = 'Yeo_networks7',
): Int32Array {
  if (roi.length === 0) return Int32Array.from({length: parcels}, (_, i) => i);
  const picked = new Set<number>();
  const names = roi.filter((r): r is string => typeof r === 'string');
  for (const r of roi) {
    if (typeof r !== 'number') continue;
    if (!Number.isInteger(r) || r < 0 || r >= parcels) {
      throw new RangeError(`roi: parcel ${r} is not in 0…${parcels - 1}`);
    }
    picked.add(r);
  }
  if (names.length > 0) {
    if (labels === undefined) {
      throw new RangeError(
        `roi names ${JSON.stringify(names)} need a labels input`,
      );
    }
    const values = labels.columns.get(column);
    if (values === undefined) {
      throw new FormatError(
        labels.file,
        column,
        `no such column (has ${[...labels.columns.keys()].join(', ')})`,
      );
    }
    if (values.length !== parcels) {
      throw new FormatError(
        labels.file,
        column,
        `${values.length} rows, the samples have ${parcels} parcels`,
      );
    }
    const wanted = new Set(names.map((n) => n.trim().toLowerCase()));
    const found = new Set<string>();
    for (const [i, v] of values.entries()) {
      const key = v.trim().toLowerCase();
      if (wanted.has(key)) {
        picked.add(i);
        found.add(key);
      }
    }
    const missing = [...wanted].filter((w) => !found.has(w));
    if (missing.length > 0) {
      const known = [...new Set(values)].slice(0, 20).join(', ');
      throw new FormatError(
        labels.file,
        column,
        `no parcel labelled ${missing.join(', ')} (values: ${known})`,
      );
    }
  }
  if (picked.size < 2) {
    throw new RangeError(`roi selects ${picked.size} parcel; need at least 2`);
  }
  return Int32Array.from([...picked].sort((a, b) => a - b));
}
