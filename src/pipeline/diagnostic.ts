/** A place in a source file: 1-based line and column, 0-based offset. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * A problem with the user's configuration, pointing at where it is. Printed
 * as `file:line:col`, the source line, an underline and the hint.
 */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly location: SourceLocation | undefined;
  /** How to fix it, when we can say. */
  readonly hint?: string | undefined;
  /** Other places that explain the problem (a cycle's edges, a duplicate). */
  readonly related?: readonly RelatedLocation[] | undefined;
}

/** A secondary location attached to a diagnostic. */
export interface RelatedLocation {
  readonly message: string;
  readonly location: SourceLocation;
}

/** Builds an error diagnostic. */
export function error(
  message: string,
  location: SourceLocation | undefined,
  hint?: string,
  related?: readonly RelatedLocation[],
): Diagnostic {
  return {severity: 'error', message, location, hint, related};
}
