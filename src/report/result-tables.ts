import {readFile} from 'node:fs/promises';

import {parseCsv} from '../io/delimited.js';

/** A table to show: a header row and body rows of plain-text cells. */
export interface TableBlock {
  readonly kind: 'table';
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A heading or paragraph of a Markdown file, as plain text. */
export interface TextBlock {
  readonly kind: 'heading' | 'text';
  readonly text: string;
}

/** What one results file renders as. */
export type ResultBlock = TableBlock | TextBlock;

/** Largest file read whole into the report; bigger ones are linked out. */
export const MAX_TABLE_BYTES = 2 << 20;

/**
 * Reads a results file: CSV becomes one table, Markdown a sequence of
 * headings, paragraphs and pipe tables. Only that subset of Markdown is
 * understood and everything stays text (no inline markup, no HTML
 * passthrough): cells are escaped when rendered, so a table cannot carry
 * markup into the page.
 */
export async function readResultFile(file: string): Promise<ResultBlock[]> {
  const text = await readFile(file, 'utf8');
  if (/\.csv$/i.test(file)) {
    const table = parseCsv(text, file);
    return [
      {
        kind: 'table',
        columns: table.columns,
        rows: table.rows.map((r) => table.columns.map((c) => r[c] ?? '')),
      },
    ];
  }
  return parseMarkdown(text);
}

/** Headings, paragraphs and GitHub-style pipe tables of Markdown text. */
export function parseMarkdown(text: string): ResultBlock[] {
  const blocks: ResultBlock[] = [];
  const lines = text.split(/\r?\n/);
  let paragraph: string[] = [];
  const endParagraph = (): void => {
    if (paragraph.length > 0) {
      blocks.push({kind: 'text', text: paragraph.join(' ')});
      paragraph = [];
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') {
      endParagraph();
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading !== null) {
      endParagraph();
      blocks.push({kind: 'heading', text: heading[1]!.trim()});
      continue;
    }
    const next = lines[i + 1]?.trim() ?? '';
    if (
      line.startsWith('|') &&
      /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$/.test(next)
    ) {
      endParagraph();
      const columns = cells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trim().startsWith('|')) {
        rows.push(cells(lines[i]!.trim()));
        i++;
      }
      i--;
      blocks.push({kind: 'table', columns, rows});
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  return blocks;
}

const CELL_ESCAPES: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/**
 * The cells of a pipe-table row as the text a Markdown renderer shows:
 * `\|` is a literal bar, `\\` a backslash, and the entities that
 * escapeMarkdownCell writes (src/results) stand for their characters
 * (the page escapes the text again).
 */
function cells(row: string): string[] {
  const inner = row.replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner
    .split(/(?<!\\)\|/)
    .map((c) =>
      c
        .trim()
        .replace(
          /\\([\\|])|&(?:amp|lt|gt|quot|#39);/g,
          (m, escaped?: string) => escaped ?? CELL_ESCAPES[m] ?? m,
        ),
    );
}
