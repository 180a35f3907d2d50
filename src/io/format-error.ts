/**
 * An error in the contents of a data file: names the file and the header
 * field (or structure) that was wrong, so a user can find the culprit without
 * a stack trace.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';

  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
  }
}
