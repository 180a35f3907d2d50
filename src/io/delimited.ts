import {readFile} from 'node:fs/promises';

import {FormatError} from './format-error.js';

/** Rows of a delimited text table, keyed by the header's column names. */
export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, string>>[];
}

/**
 * Parses a tab-separated table (BIDS events.tsv, participants.tsv): first
 * line is the header, no quoting. Blank lines are ignored.
 */
export function parseTsv(text: string, file: string): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return toTable(
    lines.map((l) => l.split('\t')),
    file,
  );
}

/**
 * Parses RFC 4180 CSV: commas, double-quoted fields that may hold commas,
 * newlines and doubled quotes.
 */
export function parseCsv(text: string, file: string): Table {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += c;
  }
  if (quoted)
    throw new FormatError(file, 'CSV', 'file ends inside a quoted field');
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  return toTable(records, file);
}

/** Reads a .tsv or .csv file (by extension; .tsv otherwise). */
export async function readTable(file: string): Promise<Table> {
  const text = await readFile(file, 'utf8');
  return /\.csv$/i.test(file) ? parseCsv(text, file) : parseTsv(text, file);
}

function toTable(records: string[][], file: string): Table {
  const [columns, ...body] = records;
  if (columns === undefined)
    throw new FormatError(file, 'header', 'the table is empty');
  const rows = body.map((fields, i) => {
    if (fields.length !== columns.length) {
      throw new FormatError(
        file,
        `line ${i + 2}`,
        `has ${fields.length} fields, the header has ${columns.length}`,
      );
    }
    return Object.fromEntries(columns.map((c, j) => [c, fields[j]!]));
  });
  return {columns, rows};
}
