import type {Diagnostic, SourceLocation} from '../pipeline/diagnostic.js';
import type {EngineEvent} from './events.js';

/** Where a logger writes: `process.stdout`, `process.stderr` or a fake. */
export interface Output {
  write(chunk: string): void;
}

/** An output that may be a terminal; read live, since a resize changes it. */
export interface TerminalOutput extends Output {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** Renders one diagnostic, without a trailing newline. */
export type DiagnosticFormatter = (d: Diagnostic) => string;

/** The summary a run ends with. */
export type RunEnd = Extract<EngineEvent, {type: 'run-end'}>;

/**
 * Formats a duration for people: `340 ms`, `1.2 s`, `2 m 05 s`, `1 h 02 m`.
 * Rounds before choosing the unit so that 59,960 ms reads `1 m 00 s`, not
 * `60.0 s`.
 */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < 999.5) return `${Math.round(safe)} ms`;
  const tenths = Math.round(safe / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(safe / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} m ${pad2(seconds % 60)} s`;
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${pad2(minutes % 60)} m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `1 job`, `3 jobs`; pass `plural` for irregular nouns. */
export function formatCount(n: number, noun: string, plural?: string): string {
  return `${n} ${n === 1 ? noun : (plural ?? `${noun}s`)}`;
}

/** The whole-number percentage of `done` out of `total`, clamped to 0–100. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/**
 * Shortens a job id to at most `max` characters by cutting out its middle.
 * Why the middle: the start names the step and the end holds the last
 * wildcard values, which are what tell sibling jobs apart.
 */
export function shortenJobId(id: string, max: number, ellipsis = '…'): string {
  const chars = Array.from(id); // code points, so emoji are not split
  if (chars.length <= max) return id;
  const marks = Array.from(ellipsis).length;
  if (max <= marks + 1) return chars.slice(0, Math.max(0, max)).join('');
  const keep = max - marks;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return chars.slice(0, head).join('') + ellipsis + chars.slice(-tail).join('');
}

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI_SGR = /\x1b\[[0-9;]*m/g;

/** The length of `text` as a terminal shows it, ignoring colour codes. */
export function visibleLength(text: string): number {
  return Array.from(text.replace(ANSI_SGR, '')).length;
}

/**
 * Cuts `text` to `width` visible characters, keeping colour codes intact and
 * resetting colour after a cut so that it cannot bleed into the next line.
 */
export function truncateVisible(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = '';
  let seen = 0;
  let index = 0;
  for (const match of text.matchAll(ANSI_SGR)) {
    const before = Array.from(text.slice(index, match.index));
    const room = width - seen;
    if (before.length > room) {
      return `${out}${before.slice(0, Math.max(0, room)).join('')}\x1b[0m`;
    }
    out += before.join('') + match[0];
    seen += before.length;
    index = match.index + match[0].length;
  }
  const rest = Array.from(text.slice(index)).slice(
    0,
    Math.max(0, width - seen),
  );
  const reset = out.includes('\x1b[') ? '\x1b[0m' : '';
  return out + rest.join('') + reset;
}

/** Colour helpers that are identities when colour is off. */
export interface Palette {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

/** Builds a palette; with `enabled` false every helper returns its input. */
export function palette(enabled: boolean): Palette {
  const sgr = (open: number, close: number) => (s: string) =>
    enabled && s !== '' ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

/**
 * The run summary: `12 ran, 3 restored, 40 fresh, 0 failed in 2.3 s`.
 * Skipped jobs are only mentioned when there are some.
 */
export function formatSummary(end: RunEnd): string {
  const parts = [
    `${end.ran} ran`,
    `${end.restored} restored`,
    `${end.fresh} fresh`,
    `${end.failed} failed`,
  ];
  if (end.skipped > 0) parts.push(`${end.skipped} skipped`);
  const tail = end.interrupted ? ' (interrupted)' : '';
  return `${parts.join(', ')} in ${formatDuration(end.ms)}${tail}`;
}

function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/**
 * The fallback rendering of a diagnostic, used until a richer printer (with
 * the source line and an underline) is passed in:
 * `file:line:col - error: message`, then the hint and related places.
 */
export function formatDiagnosticFallback(d: Diagnostic, color = false): string {
  const p = palette(color);
  const label =
    d.severity === 'error' ? p.red(p.bold('error')) : p.yellow('warning');
  const where = d.location ? `${formatLocation(d.location)} - ` : '';
  const lines = [`${where}${label}: ${d.message}`];
  for (const r of d.related ?? []) {
    lines.push(
      `  ${formatLocation(r.location)} - ${p.dim('note')}: ${r.message}`,
    );
  }
  if (d.hint !== undefined && d.hint !== '') lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

/**
 * Renders a batch of diagnostics, one after the other, followed by a count
 * such as `2 errors, 1 warning`. The result ends with a newline.
 */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  format: DiagnosticFormatter = (d) => formatDiagnosticFallback(d),
): string {
  if (diagnostics.length === 0) return '';
  const body = diagnostics.map((d) => format(d).replace(/\n+$/, ''));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const counts = [];
  if (errors > 0) counts.push(formatCount(errors, 'error'));
  if (warnings > 0) counts.push(formatCount(warnings, 'warning'));
  return `${body.join('\n')}\n${counts.join(', ')}\n`;
}
