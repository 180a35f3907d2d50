import {bertWords} from './bert-pretokenize.js';

/** BERT's special tokens, in the order they take ids 0…4. */
export const SPECIAL_TOKENS = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
] as const;

/** The WordPiece prefix of a piece that continues a word. */
export const CONTINUATION = '##';

/** How the vocabulary is built. */
export interface VocabOptions {
  /** Total size, special tokens included. */
  readonly size: number;
  /** A whole word needs at least this many occurrences. */
  readonly minCount: number;
  /** Share of the non-character budget kept for word pieces. */
  readonly pieceShare: number;
}

export const DEFAULT_VOCAB: VocabOptions = {
  size: 8000,
  minCount: 2,
  pieceShare: 0.25,
};

/** WordPiece works on code points (Rust chars), not UTF-16 units. */
const codePoints = (s: string): string[] => Array.from(s);

/** Sorts [token, count] by count (descending), then by code unit order. */
function byCount(entries: Iterable<[string, number]>): [string, number][] {
  return [...entries].sort((a, b) =>
    b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  );
}

/**
 * A WordPiece vocabulary from `texts`, deterministic for the same texts and
 * options: the special tokens; every character seen, alone and as a
 * continuation (so that only characters never seen become [UNK]); the most
 * frequent whole words; then the most frequent word-initial and word-final
 * pieces (2–6 characters) of the words left out, so those split into a few
 * pieces rather than into characters.
 *
 * Not Hugging Face's likelihood-driven WordPiece trainer: a frequency
 * heuristic, enough for an untrained encoder whose job is to exercise the
 * code path. TODO(#5): train with the tokenizers library's WordPiece
 * trainer once its Node binding exposes one.
 */
export function buildVocab(
  texts: Iterable<string>,
  options: VocabOptions = DEFAULT_VOCAB,
): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) {
    for (const w of bertWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocab);
  const add = (token: string) => {
    if (seen.has(token) || vocab.length >= options.size) return;
    seen.add(token);
    vocab.push(token);
  };
  const chars = new Set<string>();
  for (const w of counts.keys()) for (const ch of w) chars.add(ch);
  const sortedChars = [...chars].sort(
    (a, b) => a.codePointAt(0)! - b.codePointAt(0)!,
  );
  for (const ch of sortedChars) add(ch);
  for (const ch of sortedChars) add(CONTINUATION + ch);

  const budget = Math.max(0, options.size - vocab.length);
  const wordBudget = Math.round(budget * (1 - options.pieceShare));
  const ranked = byCount(counts).filter(
    ([w, c]) => c >= options.minCount && codePoints(w).length > 1,
  );
  for (const [w] of ranked.slice(0, wordBudget)) add(w);

  const pieces = new Map<string, number>();
  for (const [w, c] of counts) {
    if (seen.has(w)) continue;
    const cps = codePoints(w);
    for (let n = 2; n <= Math.min(6, cps.length - 1); n++) {
      const head = cps.slice(0, n).join('');
      const tail = CONTINUATION + cps.slice(cps.length - n).join('');
      pieces.set(head, (pieces.get(head) ?? 0) + c);
      pieces.set(tail, (pieces.get(tail) ?? 0) + c);
    }
  }
  for (const [p] of byCount(pieces)) {
    if (vocab.length >= options.size) break;
    add(p);
  }
  return vocab;
}
