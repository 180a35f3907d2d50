import type {BertWeights, EncoderConfig, Norm} from './bert-weights.js';
import {
  ATTENTION_MASK,
  INPUT_IDS,
  LAST_HIDDEN_STATE,
  TOKEN_TYPE_IDS,
  hiddenStateName,
} from './encoder-contract.js';
import {attr, GraphBuilder} from './graph-builder.js';
import {
  DataType,
  type OnnxModelSpec,
  type OnnxValueInfo,
} from './onnx-model.js';

/** Opset 17: the first with LayerNormalization in the default domain. */
const ENCODER_OPSET = 17;

/** What a built model says about itself (ONNX doc string and metadata). */
export interface ModelLabel {
  readonly name: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A BERT encoder (embeddings, then post-LN transformer blocks with erf-GELU)
 * as an ONNX graph that follows the encoder contract: int64 input_ids,
 * attention_mask and token_type_ids [batch, sequence]; float32 outputs
 * last_hidden_state and hidden_states.0 (embeddings) … hidden_states.L,
 * each [batch, sequence, H], as Hugging Face's output_hidden_states gives.
 */
export function bertModel(
  config: EncoderConfig,
  weights: BertWeights,
  label: ModelLabel,
): OnnxModelSpec {
  const h = config.hiddenSize;
  if (h % config.heads !== 0) {
    throw new Error(`hidden size ${h} is not a multiple of ${config.heads}`);
  }
  const headDim = h / config.heads;
  const g = new GraphBuilder();
  const layerNorm = (scope: string, x: string, n: Norm, out?: string) =>
    g.op(
      scope,
      'LayerNormalization',
      [
        x,
        g.weight(`${scope}.weight`, [h], n.gamma),
        g.weight(`${scope}.bias`, [h], n.beta),
      ],
      {axis: attr.int(-1), epsilon: attr.float(config.layerNormEps)},
      out,
    );
  const dense = (
    scope: string,
    x: string,
    d: {w: Float32Array; b: Float32Array},
    inDim: number,
    outDim: number,
  ) => {
    const w = g.weight(`${scope}.weight`, [inDim, outDim], d.w);
    const b = g.weight(`${scope}.bias`, [outDim], d.b);
    return g.op(scope, 'Add', [g.op(scope, 'MatMul', [x, w]), b]);
  };

  // Embeddings: word + token type + position (sliced to the sequence).
  const e = 'embeddings';
  const words = g.op(e, 'Gather', [
    g.weight(
      `${e}.word_embeddings`,
      [config.vocabSize, h],
      weights.wordEmbeddings,
    ),
    INPUT_IDS,
  ]);
  const types = g.op(e, 'Gather', [
    g.weight(
      `${e}.token_type_embeddings`,
      [config.typeVocabSize, h],
      weights.tokenTypeEmbeddings,
    ),
    TOKEN_TYPE_IDS,
  ]);
  const seqLen = g.op(e, 'Shape', [INPUT_IDS], {
    start: attr.int(1),
    end: attr.int(2),
  });
  const positions = g.op(e, 'Slice', [
    g.weight(
      `${e}.position_embeddings`,
      [config.maxPositions, h],
      weights.positionEmbeddings,
    ),
    g.int64([0]),
    seqLen,
    g.int64([0]),
  ]);
  const summed = g.op(e, 'Add', [g.op(e, 'Add', [words, types]), positions]);
  let x = layerNorm(
    `${e}.LayerNorm`,
    summed,
    weights.embeddingNorm,
    hiddenStateName(0),
  );

  // Padding becomes an additive bias on attention scores, [B, 1, 1, S]:
  // 0 where attention_mask is 1, -10000 where it is 0 (BERT's original
  // value; exp underflows to exactly 0 in float32 either way).
  const m = 'attention_mask';
  const one = g.scalar('const_one', 1);
  const maskFloat = g.op(m, 'Cast', [ATTENTION_MASK], {
    to: attr.int(DataType.FLOAT),
  });
  const maskBias = g.op(m, 'Unsqueeze', [
    g.op(m, 'Mul', [
      g.op(m, 'Sub', [one, maskFloat]),
      g.scalar('const_mask_value', -10000),
    ]),
    g.int64([1, 2]),
  ]);
  const scale = g.scalar('const_attention_scale', 1 / Math.sqrt(headDim));
  const half = g.scalar('const_half', 0.5);
  const invSqrt2 = g.scalar('const_inv_sqrt2', Math.SQRT1_2);
  const headShape = g.int64([0, 0, config.heads, headDim]);
  const mergedShape = g.int64([0, 0, h]);

  for (const [l, lw] of weights.layers.entries()) {
    const s = `encoder.layer.${l}`;
    const heads = (proj: string, perm: number[]) =>
      g.op(s, 'Transpose', [g.op(s, 'Reshape', [proj, headShape])], {
        perm: attr.ints(perm),
      });
    const a = `${s}.attention.self`;
    const q = heads(dense(`${a}.query`, x, lw.query, h, h), [0, 2, 1, 3]);
    const k = heads(dense(`${a}.key`, x, lw.key, h, h), [0, 2, 3, 1]);
    const v = heads(dense(`${a}.value`, x, lw.value, h, h), [0, 2, 1, 3]);
    const scores = g.op(a, 'Add', [
      g.op(a, 'Mul', [g.op(a, 'MatMul', [q, k]), scale]),
      maskBias,
    ]);
    const probs = g.op(a, 'Softmax', [scores], {axis: attr.int(-1)});
    const context = g.op(a, 'Reshape', [
      g.op(a, 'Transpose', [g.op(a, 'MatMul', [probs, v])], {
        perm: attr.ints([0, 2, 1, 3]),
      }),
      mergedShape,
    ]);
    const o = `${s}.attention.output`;
    const attended = dense(`${o}.dense`, context, lw.attentionOut, h, h);
    const normed = layerNorm(
      `${o}.LayerNorm`,
      g.op(o, 'Add', [attended, x]),
      lw.attentionNorm,
    );
    // GELU(z) = z/2 · (1 + erf(z/√2)), the exact form BERT uses.
    const i = `${s}.intermediate`;
    const z = dense(
      `${i}.dense`,
      normed,
      lw.intermediate,
      h,
      config.intermediateSize,
    );
    const erf = g.op(i, 'Erf', [g.op(i, 'Mul', [z, invSqrt2])]);
    const gelu = g.op(i, 'Mul', [
      g.op(i, 'Mul', [z, half]),
      g.op(i, 'Add', [erf, one]),
    ]);
    const out = `${s}.output`;
    const projected = dense(
      `${out}.dense`,
      gelu,
      lw.output,
      config.intermediateSize,
      h,
    );
    x = layerNorm(
      `${out}.LayerNorm`,
      g.op(out, 'Add', [projected, normed]),
      lw.outputNorm,
      hiddenStateName(l + 1),
    );
  }
  g.op('output', 'Identity', [x], undefined, LAST_HIDDEN_STATE);

  const tokens = (name: string): OnnxValueInfo => ({
    name,
    elemType: DataType.INT64,
    shape: ['batch', 'sequence'],
  });
  const states = (name: string): OnnxValueInfo => ({
    name,
    elemType: DataType.FLOAT,
    shape: ['batch', 'sequence', h],
  });
  return {
    graphName: label.name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [tokens(INPUT_IDS), tokens(ATTENTION_MASK), tokens(TOKEN_TYPE_IDS)],
    outputs: [
      states(LAST_HIDDEN_STATE),
      ...Array.from({length: config.layers + 1}, (_, j) =>
        states(hiddenStateName(j)),
      ),
    ],
    opset: ENCODER_OPSET,
    producerName: 'neuromake',
    producerVersion: '1',
    docString: label.docString,
    metadata: label.metadata,
  };
}
