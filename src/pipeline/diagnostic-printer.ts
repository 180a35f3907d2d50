import path from 'node:path';

import type {Diagnostic, SourceLocation} from './diagnostic.js';

/** How diagnostics are printed. */
export interface FormatOptions {
  /** Use ANSI colors (red errors, yellow warnings, cyan locations). */
  readonly color: boolean;
  /** Paths are shown relative to this directory; `process.cwd()` by default. */
  readonly cwd?: string;
}

const ANSI = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
} as const;

/**
 * Formats a diagnostic for the terminal:
 *
 *   pipeline.yaml:12:5 - error: unknown key "tsak" in step "mask"
 *   12 |     tsak: fmri.mask
 *      |     ~~~~
 *     hint: did you mean "task"?
 *
 * followed by each related location in the same form. `sources` maps a
 * file to its text, so that the line can be quoted.
 */
export function formatDiagnostic(
  d: Diagnostic,
  sources: ReadonlyMap<string, string>,
  options: FormatOptions,
): string {
  const paint = (code: keyof typeof ANSI, text: string): string =>
    options.color ? `${ANSI[code]}${text}${ANSI.reset}` : text;
  const severityColor = d.severity === 'error' ? 'red' : 'yellow';
  const out: string[] = [];
  const heading = `${paint(severityColor, d.severity)}: ${d.message}`;
  if (d.location === undefined) {
    out.push(heading);
  } else {
    out.push(`${paint('cyan', where(d.location, options))} - ${heading}`);
    out.push(...excerpt(d.location, sources, (t) => paint(severityColor, t)));
  }
  if (d.hint !== undefined) out.push(`  ${paint('cyan', 'hint')}: ${d.hint}`);
  for (const related of d.related ?? []) {
    const at = paint('cyan', where(related.location, options));
    out.push(`  ${at} - ${related.message}`);
    out.push(
      ...excerpt(related.location, sources, (t) => paint('cyan', t)).map(
        (line) => `  ${line}`,
      ),
    );
  }
  return out.join('\n');
}

/** `file:line:col`, the file relative to the working directory if inside. */
function where(location: SourceLocation, options: FormatOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const relative = path.relative(cwd, location.file);
  const shown =
    relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
      ? relative
      : location.file;
  return `${shown}:${location.line}:${location.column}`;
}

/** The quoted source line and its underline, or nothing without source. */
function excerpt(
  location: SourceLocation,
  sources: ReadonlyMap<string, string>,
  paint: (text: string) => string,
): string[] {
  const text = findSource(location.file, sources);
  if (text === undefined) return [];
  const {start: lineStart, line} = lineAt(text, location.offset);
  const column = location.offset - lineStart;
  // The underline stops at the end of the first line of a multi-line span.
  const width = Math.max(1, Math.min(location.length, line.length - column));
  // Tabs stay tabs so the underline lines up however the terminal shows them.
  const pad = line.slice(0, column).replace(/[^\t]/g, ' ');
  const gutter = String(location.line);
  const blank = ' '.repeat(gutter.length);
  return [
    `${gutter} | ${line}`,
    `${blank} | ${pad}${paint('~'.repeat(width))}`,
  ];
}

function findSource(
  file: string,
  sources: ReadonlyMap<string, string>,
): string | undefined {
  const direct = sources.get(file);
  if (direct !== undefined) return direct;
  // Callers may key the map by the path they were given, not the absolute one.
  for (const [key, text] of sources) {
    if (path.resolve(key) === file) return text;
  }
  return undefined;
}

/** Formats several diagnostics, separated by blank lines. */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  options: FormatOptions,
): string {
  return diagnostics
    .map((d) => formatDiagnostic(d, sources, options))
    .join('\n\n');
}

/** The line of `text` that holds `offset` (without its line break). */
export function lineAt(
  text: string,
  offset: number,
): {readonly start: number; readonly line: string} {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let end = text.indexOf('\n', offset);
  if (end === -1) end = text.length;
  return {start, line: text.slice(start, end).replace(/\r$/, '')};
}
