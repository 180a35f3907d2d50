/**
 * Words as BERT's tokenizer sees them: Hugging Face's BertNormalizer
 * (clean text, space around CJK ideographs, lowercase and strip accents)
 * then BertPreTokenizer (split on whitespace, each punctuation character a
 * word of its own). Used only to build the default encoder's vocabulary;
 * encoding always goes through the tokenizer library reading tokenizer.json.
 */

const CONTROL = /\p{Cc}|\p{Cf}/u;
const WHITESPACE = /\s/u;
const MARK = /\p{Mn}/u;
const PUNCTUATION = /\p{P}/u;

/** BERT also counts ASCII symbols such as $ + < = > ^ ` | ~ as punctuation. */
function isPunctuation(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    (c >= 33 && c <= 47) ||
    (c >= 58 && c <= 64) ||
    (c >= 91 && c <= 96) ||
    (c >= 123 && c <= 126) ||
    PUNCTUATION.test(ch)
  );
}

function isCjk(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x20000 && c <= 0x2a6df) ||
    (c >= 0x2a700 && c <= 0x2b81f) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x2f800 && c <= 0x2fa1f)
  );
}

/** BertNormalizer with lowercase (and so accent stripping) on. */
function bertNormalize(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (WHITESPACE.test(ch)) out += ' ';
    else if (c === 0 || c === 0xfffd || CONTROL.test(ch)) continue;
    else if (isCjk(c)) out += ` ${ch} `;
    else out += ch;
  }
  let stripped = '';
  for (const ch of out.normalize('NFD')) {
    if (!MARK.test(ch)) stripped += ch;
  }
  return stripped.toLowerCase();
}

/** Normalizes then splits `text` into BERT's pre-tokenized words. */
export function bertWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  const flush = () => {
    if (current !== '') words.push(current);
    current = '';
  };
  for (const ch of bertNormalize(text)) {
    if (ch === ' ') flush();
    else if (isPunctuation(ch)) {
      flush();
      words.push(ch);
    } else current += ch;
  }
  flush();
  return words;
}
