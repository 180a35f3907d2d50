/**
 * `text` without a leading byte-order mark, which some Windows editors
 * write: left in, it counts as a character of the first line, and every
 * column reported on that line would be one off.
 */
export function withoutBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
