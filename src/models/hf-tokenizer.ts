import {readFile} from 'node:fs/promises';

import {FormatError} from '../io/format-error.js';

/**
 * A Hugging Face tokenizer.json read through the `tokenizers` package (the
 * Rust library behind Python's fast tokenizers, as a native Node addon), so
 * that ids match what `AutoTokenizer` gives for the same file. Loaded
 * lazily: the addon is heavy and task modules load on the main thread.
 */

/** One padded batch of token ids, each array [batch × length], row major. */
export interface TokenBatch {
  readonly batch: number;
  readonly length: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
  /** Tokens that became the unknown token. */
  readonly unknown: number;
  /** Texts cut at the maximum length. */
  readonly truncated: number;
}

/** Encodes texts into padded batches. */
export interface TextTokenizer {
  encodeBatch(texts: readonly string[]): Promise<TokenBatch>;
}

interface TokenizerJson {
  padding?: {pad_id?: number; pad_token?: string} | null;
  model?: {unk_token?: string};
}

/** The pad token: the file's padding config, else a conventional name. */
function padToken(
  json: TokenizerJson,
  tokenToId: (t: string) => number | null,
): {id: number; token: string} {
  const p = json.padding;
  if (p?.pad_id !== undefined && p.pad_token !== undefined) {
    return {id: p.pad_id, token: p.pad_token};
  }
  for (const token of ['[PAD]', '<pad>', '<|padding|>']) {
    const id = tokenToId(token);
    if (id !== null) return {id, token};
  }
  // No pad token (GPT-style): padded positions are masked out anyway.
  return {id: 0, token: '[PAD]'};
}

/**
 * Loads `file` (a tokenizer.json), truncating to `maxLength` tokens and
 * padding each batch to its longest text on the right.
 */
export async function loadTokenizer(
  file: string,
  maxLength: number,
): Promise<TextTokenizer> {
  let json: TokenizerJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as TokenizerJson;
  } catch (e) {
    throw new FormatError(
      file,
      'tokenizer.json',
      e instanceof Error ? e.message : String(e),
    );
  }
  const {Tokenizer} = await import('tokenizers');
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = Tokenizer.fromFile(file);
  } catch (e) {
    throw new FormatError(
      file,
      'tokenizer.json',
      `the tokenizers library cannot load it: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const tokenToId = (t: string) => tokenizer.tokenToId(t);
  const pad = padToken(json, tokenToId);
  tokenizer.setTruncation(maxLength);
  tokenizer.setPadding({padId: pad.id, padToken: pad.token});
  const unkToken = json.model?.unk_token;
  const unkId = unkToken === undefined ? null : tokenToId(unkToken);
  return {
    async encodeBatch(texts) {
      const encodings = await tokenizer.encodeBatch([...texts]);
      const batch = encodings.length;
      const length = encodings[0]?.getLength() ?? 0;
      const inputIds = new BigInt64Array(batch * length);
      const attentionMask = new BigInt64Array(batch * length);
      const tokenTypeIds = new BigInt64Array(batch * length);
      let unknown = 0;
      let truncated = 0;
      for (const [b, e] of encodings.entries()) {
        const ids = e.getIds();
        const mask = e.getAttentionMask();
        const types = e.getTypeIds();
        for (let i = 0; i < length; i++) {
          const id = ids[i]!;
          inputIds[b * length + i] = BigInt(id);
          attentionMask[b * length + i] = BigInt(mask[i]!);
          tokenTypeIds[b * length + i] = BigInt(types[i]!);
          if (id === unkId && mask[i] === 1) unknown++;
        }
        if (e.getOverflowing().length > 0) truncated++;
      }
      return {
        batch,
        length,
        inputIds,
        attentionMask,
        tokenTypeIds,
        unknown,
        truncated,
      };
    },
  };
}
