import {CONTINUATION, SPECIAL_TOKENS} from './wordpiece-vocab.js';

/**
 * Hugging Face tokenizer files for a WordPiece vocabulary, as
 * `BertTokenizerFast.save_pretrained` writes them for an uncased BERT:
 * tokenizer.json (the fast tokenizer's full pipeline), tokenizer_config.json,
 * special_tokens_map.json and vocab.txt.
 */

const [PAD, UNK, CLS, SEP, MASK] = SPECIAL_TOKENS;

/** tokenizer.json: BertNormalizer → BertPreTokenizer → WordPiece → [CLS] A [SEP]. */
export function tokenizerJson(vocab: readonly string[]): unknown {
  const ids: Record<string, number> = {};
  for (const [i, t] of vocab.entries()) ids[t] = i;
  const id = (t: string) => {
    const v = ids[t];
    if (v === undefined) throw new Error(`vocabulary lacks ${t}`);
    return v;
  };
  const special = (t: string) => ({
    id: id(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const token = (t: string, typeId: number) => ({
    SpecialToken: {id: t, type_id: typeId},
  });
  const sequence = (s: 'A' | 'B', typeId: number) => ({
    Sequence: {id: s, type_id: typeId},
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: {type: 'BertPreTokenizer'},
    post_processor: {
      type: 'TemplateProcessing',
      single: [token(CLS, 0), sequence('A', 0), token(SEP, 0)],
      pair: [
        token(CLS, 0),
        sequence('A', 0),
        token(SEP, 0),
        sequence('B', 1),
        token(SEP, 1),
      ],
      special_tokens: Object.fromEntries(
        [CLS, SEP].map((t) => [t, {id: t, ids: [id(t)], tokens: [t]}]),
      ),
    },
    decoder: {type: 'WordPiece', prefix: CONTINUATION, cleanup: true},
    model: {
      type: 'WordPiece',
      unk_token: UNK,
      continuing_subword_prefix: CONTINUATION,
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** tokenizer_config.json, for AutoTokenizer.from_pretrained. */
export function tokenizerConfig(maxLength: number): unknown {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
    model_max_length: maxLength,
    pad_token: PAD,
    unk_token: UNK,
    cls_token: CLS,
    sep_token: SEP,
    mask_token: MASK,
    clean_up_tokenization_spaces: true,
  };
}

/** special_tokens_map.json. */
export function specialTokensMap(): unknown {
  return {
    pad_token: PAD,
    unk_token: UNK,
    cls_token: CLS,
    sep_token: SEP,
    mask_token: MASK,
  };
}

/** vocab.txt: one token per line, line number = id. */
export function vocabText(vocab: readonly string[]): string {
  return vocab.map((t) => `${t}\n`).join('');
}
