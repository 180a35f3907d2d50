import {TaskInputError} from '../tasks/task.js';
import {ContractError} from './encoder-contract.js';
import type {EncoderSession, OutputTensor} from './encoder-session.js';
import type {TextTokenizer} from './hf-tokenizer.js';
import {poolStates, type Pooling} from './pooling.js';

/** How texts are encoded. */
export interface EncodeOptions {
  readonly batchSize: number;
  readonly pooling: Pooling;
  /** Hidden-state indices (0 = embeddings, negative from the end); [] = all. */
  readonly layers: readonly number[];
  readonly onBatch?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** One pooled layer in the output. */
export interface LayerRef {
  /** Index into the model's hidden states (0 = embeddings). */
  readonly index: number;
  /** The output it came from (`hidden_states[i]` for a stacked output). */
  readonly name: string;
}

/** Pooled activations, float32 [N, L, H] row major. */
export interface Activations {
  readonly data: Float32Array;
  readonly n: number;
  readonly layers: readonly LayerRef[];
  readonly hidden: number;
  readonly tokens: number;
  readonly unknownTokens: number;
  readonly truncated: number;
}

/** Resolves the `layers` selection against `count` hidden states. */
function selectLayers(
  requested: readonly number[],
  count: number,
  file: string,
): number[] {
  if (requested.length === 0) return Array.from({length: count}, (_, i) => i);
  return requested.map((r) => {
    const i = r < 0 ? count + r : r;
    if (!Number.isInteger(r) || i < 0 || i >= count) {
      throw new TaskInputError(
        `param "layers": ${r} is not a hidden state of ${file}, which has ${count} (0 = embeddings … ${count - 1}; negative counts from the end)`,
      );
    }
    return i;
  });
}

/**
 * Tokenizes and runs `texts` through `session` in batches, pooling each
 * selected hidden state to one vector per text.
 */
export async function encodeTexts(
  session: EncoderSession,
  tokenizer: TextTokenizer,
  texts: readonly string[],
  options: EncodeOptions,
): Promise<Activations> {
  const {hiddenStates} = session.layout;
  const file = session.file;
  if (texts.length === 0)
    throw new TaskInputError('there are no texts to encode');
  const count =
    hiddenStates.kind === 'separate' ? hiddenStates.names.length : undefined;
  let indices =
    count === undefined ? undefined : selectLayers(options.layers, count, file);
  const fetch =
    hiddenStates.kind === 'separate'
      ? indices!.map((i) => hiddenStates.names[i]!)
      : [hiddenStates.name];
  let data: Float32Array | undefined;
  let hidden = 0;
  let tokens = 0;
  let unknownTokens = 0;
  let truncated = 0;
  const n = texts.length;
  for (let start = 0; start < n; start += options.batchSize) {
    if (options.signal?.aborted === true) throw new Error('cancelled');
    const batch = await tokenizer.encodeBatch(
      texts.slice(start, start + options.batchSize),
    );
    unknownTokens += batch.unknown;
    truncated += batch.truncated;
    for (let b = 0; b < batch.batch; b++) {
      let count = 0;
      for (let t = 0; t < batch.length; t++) {
        count += Number(batch.attentionMask[b * batch.length + t]);
      }
      if (count === 0) {
        throw new TaskInputError(
          `text ${start + b} tokenizes to nothing (empty, and the tokenizer adds no special tokens): it has no vector to pool`,
        );
      }
      tokens += count;
    }
    const outputs = await session.run(batch, fetch);
    const states = layerStates(outputs, fetch, batch.batch, batch.length, file);
    if (indices === undefined) {
      indices = selectLayers(options.layers, states.length, file);
    }
    const h = states[0]!.hidden;
    if (data === undefined) {
      hidden = h;
      data = new Float32Array(n * indices.length * h);
    }
    const layerCount = indices.length;
    for (const [li, layer] of indices.entries()) {
      // Separate outputs come in selection order; a stacked one holds all.
      const s = hiddenStates.kind === 'stacked' ? states[layer] : states[li];
      if (s?.hidden !== hidden) {
        throw new ContractError(
          `${file}: hidden state ${layer} is not [batch, sequence, ${hidden}] like the others`,
        );
      }
      poolStates(
        s.data,
        {batch: batch.batch, seq: batch.length, hidden},
        batch.attentionMask,
        options.pooling,
        data,
        (b) => ((start + b) * layerCount + li) * hidden,
      );
    }
    options.onBatch?.(Math.min(n, start + options.batchSize), n);
  }
  const layers = indices!.map((index) => ({
    index,
    name:
      hiddenStates.kind === 'separate'
        ? hiddenStates.names[index]!
        : `${hiddenStates.name}[${index}]`,
  }));
  return {
    data: data!,
    n,
    layers,
    hidden,
    tokens,
    unknownTokens,
    truncated,
  };
}

interface LayerState {
  readonly data: Float32Array;
  readonly hidden: number;
}

/**
 * The hidden states of one batch as [batch, seq, H] slices: for separate
 * outputs, one per fetched name (in `fetch` order, so index = position in
 * the selection); for a stacked output, one per hidden state.
 */
function layerStates(
  outputs: Record<string, OutputTensor>,
  fetch: readonly string[],
  batch: number,
  seq: number,
  file: string,
): LayerState[] {
  const bad = (name: string, dims: readonly number[], want: string) =>
    new ContractError(
      `${file}: output "${name}" has shape [${dims.join(', ')}], the contract says ${want} for a batch of ${batch} × ${seq} tokens`,
    );
  if (fetch.length === 1 && fetch[0] === 'hidden_states') {
    const t = outputs['hidden_states']!;
    const [c = 0, b, s, h = 0] = t.dims;
    if (t.dims.length !== 4 || b !== batch || s !== seq) {
      throw bad('hidden_states', t.dims, '[L+1, batch, sequence, H]');
    }
    const size = batch * seq * h;
    return Array.from({length: c}, (_, i) => ({
      data: t.data.subarray(i * size, (i + 1) * size),
      hidden: h,
    }));
  }
  return fetch.map((name) => {
    const t = outputs[name]!;
    const [b, s, h = 0] = t.dims;
    if (t.dims.length !== 3 || b !== batch || s !== seq) {
      throw bad(name, t.dims, '[batch, sequence, H]');
    }
    return {data: t.data, hidden: h};
  });
}
