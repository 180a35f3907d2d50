import {FormatError} from './format-error.js';
import type {Table} from './delimited.js';

/** One row of a ds000212-style events.tsv. */
export interface BidsEvent {
  readonly onset: number;
  readonly duration: number;
  readonly condition: string;
  readonly item: string;
  /** The 1–4 rating; 0 = no response. */
  readonly key: number;
  readonly rt: number;
}

/** Reads the rows of an events.tsv (onset, duration, condition, item, key, RT). */
export function parseEvents(table: Table, file: string): BidsEvent[] {
  for (const c of ['onset', 'duration']) {
    if (!table.columns.includes(c)) {
      throw new FormatError(file, c, 'column is missing');
    }
  }
  return table.rows.map((r, i) => {
    const num = (c: string, fallback?: number) => {
      const raw = r[c];
      if ((raw === undefined || raw === 'n/a') && fallback !== undefined)
        return fallback;
      const v = Number(raw);
      if (raw === undefined || raw.trim() === '' || !Number.isFinite(v)) {
        throw new FormatError(
          file,
          `${c} (row ${i + 1})`,
          `${JSON.stringify(raw)} is not a number`,
        );
      }
      return v;
    };
    return {
      onset: num('onset'),
      duration: num('duration'),
      condition: r['condition'] ?? r['trial_type'] ?? '',
      item: r['item'] ?? '',
      key: num('key', 0),
      rt: num('RT', NaN),
    };
  });
}

/** BIDS entities (sub, run, task…) parsed from a file name. */
export function bidsEntities(file: string): Record<string, string> {
  const name = file.split(/[\\/]/).pop() ?? file;
  const out: Record<string, string> = {};
  for (const m of name.matchAll(/(?:^|_)([a-zA-Z]+)-([a-zA-Z0-9]+)/g)) {
    out[m[1]!] = m[2]!;
  }
  return out;
}
