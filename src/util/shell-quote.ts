/**
 * Quotes a word for sh only when it needs it: commands' rendered paths and
 * values (part of job keys, so fresh-stamp.ts lists this module), and paths
 * printed for pasting into a shell.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./=:,+@%^-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
