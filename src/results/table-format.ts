/**
 * Rendering result tables as GitHub-flavoured Markdown and RFC 4180 CSV,
 * and the number formats the study's tables use.
 */

/** A table: header and rows of already-formatted cells. */
export interface TextTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * Escapes a Markdown table cell: pipes would end the cell, newlines the
 * row, and `<`, `>`, `&` would be read as HTML by most renderers (model
 * names come from user files).
 */
export function escapeMarkdownCell(s: string): string {
  return s
    .replaceAll('\\', '\\\\')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '\\|')
    .replace(/\r?\n/g, ' ');
}

/** A Markdown table. */
export function markdownTable(t: TextTable): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  return [
    line(t.columns),
    `|${t.columns.map(() => ' --- ').join('|')}|`,
    ...t.rows.map(line),
  ].join('\n');
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A CSV document (header + rows, `\n` line ends, final newline). */
export function csvTable(t: TextTable): string {
  return (
    [t.columns, ...t.rows].map((r) => r.map(csvField).join(',')).join('\n') +
    '\n'
  );
}

/** A number for CSV: full precision, '' for NaN or missing. */
export function csvNumber(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : String(v);
}

/** An accuracy as the study printed it: percent with one decimal. */
export function percent(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–';
}

/** mean ± sd in percent; the sd is left out when undefined (one run). */
export function percentMeanSd(mean: number, sd: number): string {
  if (!Number.isFinite(mean)) return '–';
  return Number.isFinite(sd)
    ? `${(100 * mean).toFixed(1)} ± ${(100 * sd).toFixed(1)}%`
    : `${(100 * mean).toFixed(1)}%`;
}

/** mean ± sd with three decimals (brain scores). */
export function meanSdText(mean: number, sd: number): string {
  if (!Number.isFinite(mean)) return '–';
  return Number.isFinite(sd)
    ? `${mean.toFixed(3)} ± ${sd.toFixed(3)}`
    : mean.toFixed(3);
}

/** A p-value with two significant digits. */
export function pText(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '–';
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}
