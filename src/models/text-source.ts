import {readTable} from '../io/delimited.js';
import {FormatError} from '../io/format-error.js';
import {readJsonl} from '../io/jsonl.js';
import {scenariosByItem, trialSentences} from '../fmri/scenario-text.js';

/** Where the texts to encode come from. */
export const TEXT_FORMATS = ['auto', 'jsonl', 'csv', 'scenarios'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

/** Which text of a ds000212 scenario to encode. */
export const SCENARIO_TEXTS = [
  'shared',
  'accidental',
  'intentional',
  'both',
] as const;
export type ScenarioText = (typeof SCENARIO_TEXTS)[number];

/** One text to encode, with what identifies it downstream. */
export interface TextItem {
  readonly id: string;
  readonly text: string;
  /** The ds000212 scenario item, when the source has one. */
  readonly item?: string;
  /** The dis-task condition and sentence number of a trial row (JSONL). */
  readonly condition?: string;
  readonly sentence?: string;
}

/** How to read a text file. */
export interface TextSourceOptions {
  readonly format: TextFormat;
  /** JSONL key or CSV column holding the text. */
  readonly textField: string;
  /** JSONL key or CSV column used as id; '' = the row's index. */
  readonly idField: string;
  readonly scenarioText: ScenarioText;
}

function resolveFormat(file: string, format: TextFormat, columns?: string[]) {
  if (format !== 'auto') return format;
  if (/\.jsonl?$/i.test(file)) return 'jsonl';
  return columns?.includes('background') === true ? 'scenarios' : 'csv';
}

const asText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;

/**
 * Reads the texts of `file` in order: JSONL rows (`textField`), CSV rows
 * (column `textField`), or ds000212's stimuli/scenarios.csv, whose 60
 * scenarios give one text each by `scenarioText`: `shared` = background,
 * action and outcome (what every condition shows); `accidental` or
 * `intentional` = the four sentences of that version; `both` = two rows
 * per scenario, ids `<item>:accidental` and `<item>:intentional`.
 */
export async function readTexts(
  file: string,
  options: TextSourceOptions,
): Promise<TextItem[]> {
  if (resolveFormat(file, options.format) === 'jsonl') {
    const rows = await readJsonl(file);
    return rows.map((row, i) => {
      const text = row[options.textField];
      if (typeof text !== 'string') {
        throw new FormatError(
          file,
          `row ${i + 1}`,
          `"${options.textField}" is ${text === undefined ? 'missing' : JSON.stringify(text)}, not a string (param text_field picks the key)`,
        );
      }
      const id = options.idField === '' ? undefined : row[options.idField];
      // fmri.dataset rows carry their trial's item, condition and
      // sentence; the brain score aligns activations to samples by them.
      const item = asText(row['item']);
      const condition = asText(row['condition']);
      const sentence = asText(row['sentence']);
      return {
        id: asText(id) ?? String(i),
        text,
        ...(item === undefined ? {} : {item}),
        ...(condition === undefined ? {} : {condition}),
        ...(sentence === undefined ? {} : {sentence}),
      };
    });
  }
  const table = await readTable(file);
  const format = resolveFormat(file, options.format, [...table.columns]);
  if (format === 'scenarios') return scenarioTexts(file, table, options);
  if (!table.columns.includes(options.textField)) {
    throw new FormatError(
      file,
      'header',
      `has no column "${options.textField}" (columns: ${table.columns.join(', ')}; param text_field picks one)`,
    );
  }
  return table.rows.map((row, i) => ({
    id:
      (options.idField === '' ? undefined : row[options.idField]) ?? String(i),
    text: row[options.textField] ?? '',
  }));
}

function scenarioTexts(
  file: string,
  table: Awaited<ReturnType<typeof readTable>>,
  options: TextSourceOptions,
): TextItem[] {
  for (const c of ['item', 'background', 'action', 'outcome']) {
    if (!table.columns.includes(c)) {
      throw new FormatError(file, 'header', `a scenarios table needs "${c}"`);
    }
  }
  const out: TextItem[] = [];
  for (const s of scenariosByItem(table).values()) {
    const accidental = trialSentences(s, 'A').join(' ');
    const intentional = trialSentences(s, 'F').join(' ');
    switch (options.scenarioText) {
      case 'shared':
        out.push({
          id: s.item,
          item: s.item,
          text: [s.background, s.action, s.outcome].join(' '),
        });
        break;
      case 'accidental':
        out.push({id: s.item, item: s.item, text: accidental});
        break;
      case 'intentional':
        out.push({id: s.item, item: s.item, text: intentional});
        break;
      case 'both':
        out.push({id: `${s.item}:accidental`, item: s.item, text: accidental});
        out.push({
          id: `${s.item}:intentional`,
          item: s.item,
          text: intentional,
        });
        break;
    }
  }
  return out;
}
