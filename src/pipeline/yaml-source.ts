import type {Document, LineCounter, Node} from 'yaml';

import {
  error,
  type Diagnostic,
  type RelatedLocation,
  type SourceLocation,
} from './diagnostic.js';
import type {Located} from './spec.js';

/**
 * Everything the parsing passes share: the file, its YAML document, a way to
 * turn offsets into line and column, and the list diagnostics are added to.
 */
export class ParseContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** The location of the characters from `start` up to `end`. */
  span(start: number, end: number): SourceLocation {
    const clamped = Math.max(0, Math.min(start, this.text.length));
    const {line, col} = this.lines.linePos(clamped);
    return {
      file: this.file,
      line: Math.max(line, 1),
      column: Math.max(col, 1),
      offset: clamped,
      length: Math.max(0, Math.min(end, this.text.length) - clamped),
    };
  }

  /**
   * Where a node is written, without trailing comments or blank lines. A
   * node without a range (built by yaml, not parsed) falls back to `near`.
   */
  locate(node: Node | null | undefined, near?: SourceLocation): SourceLocation {
    const range = node?.range;
    if (range == null) return near ?? this.span(0, 0);
    if (range[1] <= range[0] && near !== undefined) return near;
    return this.span(range[0], range[1]);
  }

  /** Adds an error. */
  report(
    message: string,
    location: SourceLocation | undefined,
    hint?: string,
    related?: readonly RelatedLocation[],
  ): void {
    this.diagnostics.push(error(message, location, hint, related));
  }

  /** True once any error has been reported. */
  get failed(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  /**
   * The location of `length` characters at `offset` inside a string value.
   *
   * YAML quoting, escapes, folding and block indentation make value offsets
   * and source offsets differ, so instead of modelling every style we find
   * the character by how many times it occurs before: the n-th `{` of the
   * value is the n-th `{` of its source text. That holds for the characters
   * we point at (braces, dots, slashes), which YAML never rewrites. When the
   * counts disagree we fall back to the whole value.
   */
  within(
    located: Located<string>,
    offset: number,
    length: number,
  ): SourceLocation {
    const whole = located.location;
    const ch = located.value[offset];
    if (ch === undefined) return whole;
    const raw = this.text.slice(whole.offset, whole.offset + whole.length);
    // A block scalar's header line (`|`, `>-`, maybe a comment) is not text.
    const bodyStart = /^[|>]/.test(raw) ? raw.indexOf('\n') + 1 : 0;
    const body = raw.slice(bodyStart);
    if (count(body, ch) !== count(located.value, ch)) return whole;
    const nth = count(located.value.slice(0, offset), ch);
    let at = -1;
    for (let i = 0; i <= nth; i++) at = body.indexOf(ch, at + 1);
    const start = whole.offset + bodyStart + at;
    return this.span(
      start,
      Math.min(start + length, whole.offset + whole.length),
    );
  }
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}
