import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import {attr, GraphBuilder} from '../../src/models/graph-builder.js';
import {
  DataType,
  encodeModel,
  type OnnxValueInfo,
} from '../../src/models/onnx-model.js';
import {tokenizerJson} from '../../src/models/tokenizer-files.js';
import {SPECIAL_TOKENS} from '../../src/models/wordpiece-vocab.js';

/** A tiny vocabulary: the special tokens, then these words. */
const TINY_WORDS = ['the', 'cat', 'sat', 'on', 'mat', '.', '##s'];
export const TINY_VOCAB = [...SPECIAL_TOKENS, ...TINY_WORDS];

/** Writes a tokenizer.json for `vocab` into `dir` and returns its path. */
export async function writeTokenizer(
  dir: string,
  vocab: readonly string[] = TINY_VOCAB,
): Promise<string> {
  const file = join(dir, 'tokenizer.json');
  await writeFile(file, JSON.stringify(tokenizerJson(vocab)));
  return file;
}

/** An int64 [batch, sequence] graph input. */
export const tokenInput = (name: string): OnnxValueInfo => ({
  name,
  elemType: DataType.INT64,
  shape: ['batch', 'sequence'],
});

/** A float32 [batch, sequence, h] graph output. */
export const stateOutput = (name: string, h: number): OnnxValueInfo => ({
  name,
  elemType: DataType.FLOAT,
  shape: ['batch', 'sequence', h],
});

/** Embedding row `id` of the lookup model: (id + 1) · (1, 2, …, h) / 10. */
export function lookupRow(id: number, h: number): number[] {
  return Array.from({length: h}, (_, j) => ((id + 1) * (j + 1)) / 10);
}

/** How the lookup model lays out its hidden states. */
export type LookupLayout = 'underscore' | 'stacked';

/**
 * A hand-checkable encoder: hidden state k is (k + 1) × the embedding row of
 * each token (`lookupRow`), k = 0 … layers; no mixing across tokens, so
 * pooled values can be computed by hand. Outputs hidden_states_k (the
 * underscore spelling) or one stacked hidden_states [L+1, B, S, H].
 */
export function lookupModel(
  vocabSize: number,
  h: number,
  layers: number,
  layout: LookupLayout,
): Uint8Array {
  const g = new GraphBuilder();
  const table = new Float32Array(vocabSize * h);
  for (let id = 0; id < vocabSize; id++) table.set(lookupRow(id, h), id * h);
  const emb = g.op('emb', 'Gather', [
    g.weight('table', [vocabSize, h], table),
    'input_ids',
  ]);
  const states: string[] = [];
  for (let k = 0; k <= layers; k++) {
    const scaled = g.op('layer', 'Mul', [emb, g.scalar(`k${k}`, k + 1)]);
    states.push(
      layout === 'underscore'
        ? g.op('layer', 'Identity', [scaled], undefined, `hidden_states_${k}`)
        : scaled,
    );
  }
  g.op('out', 'Identity', [states[layers]!], undefined, 'last_hidden_state');
  const outputs = [stateOutput('last_hidden_state', h)];
  if (layout === 'stacked') {
    const axes = g.int64([0]);
    const lifted = states.map((s) => g.op('stack', 'Unsqueeze', [s, axes]));
    g.op('stack', 'Concat', lifted, {axis: attr.int(0)}, 'hidden_states');
    outputs.push({
      name: 'hidden_states',
      elemType: DataType.FLOAT,
      shape: [layers + 1, 'batch', 'sequence', h],
    });
  } else {
    for (let k = 0; k <= layers; k++) {
      outputs.push(stateOutput(`hidden_states_${k}`, h));
    }
  }
  return encodeModel({
    graphName: 'lookup',
    nodes: g.nodes,
    initializers: g.initializers,
    // attention_mask is declared but unused, as the contract allows.
    inputs: [tokenInput('input_ids'), tokenInput('attention_mask')],
    outputs,
    opset: 17,
    producerName: 'neuromake-test',
    producerVersion: '1',
    docString: 'test lookup model',
    metadata: {name: 'lookup-test'},
  });
}
