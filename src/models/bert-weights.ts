import {Random} from '../tasks/synth/random.js';

/**
 * The size of a BERT-style encoder; field meanings follow Hugging Face's
 * BertConfig (written to config.json under those names).
 */
export interface EncoderConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  /** Std of the normal initialisation, as BertConfig.initializer_range. */
  readonly initializerRange: number;
  readonly padTokenId: number;
}

/** The default encoder's shape (vocabulary size comes from the texts). */
export const DEFAULT_ENCODER: Omit<EncoderConfig, 'vocabSize'> = {
  hiddenSize: 128,
  layers: 4,
  heads: 4,
  intermediateSize: 512,
  maxPositions: 128,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  initializerRange: 0.02,
  padTokenId: 0,
};

/** A dense layer y = x·W + b, W stored [in, out] (the MatMul layout). */
export interface Dense {
  readonly w: Float32Array;
  readonly b: Float32Array;
}

/** A LayerNormalization's scale and bias. */
export interface Norm {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
}

/** One transformer block (post-LN, as in BERT). */
export interface LayerWeights {
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly attentionOut: Dense;
  readonly attentionNorm: Norm;
  readonly intermediate: Dense;
  readonly output: Dense;
  readonly outputNorm: Norm;
}

/** All weights of a BERT-style encoder. */
export interface BertWeights {
  /** [vocab, H] */
  readonly wordEmbeddings: Float32Array;
  /** [maxPositions, H] */
  readonly positionEmbeddings: Float32Array;
  /** [typeVocab, H] */
  readonly tokenTypeEmbeddings: Float32Array;
  readonly embeddingNorm: Norm;
  readonly layers: readonly LayerWeights[];
}

/**
 * Weights drawn as Hugging Face initialises an untrained BertModel: normal
 * (0, initializer_range) matrices and embeddings, zero biases, unit norms,
 * and a zero row for the padding token. Seeded, so the same seed gives the
 * same bytes on every machine.
 */
export function randomBertWeights(
  config: EncoderConfig,
  seed: string,
): BertWeights {
  const rng = new Random(`neuromake-encoder/${seed}`);
  const h = config.hiddenSize;
  const normal = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.normal() * config.initializerRange;
    return out;
  };
  const dense = (inDim: number, outDim: number): Dense => ({
    w: normal(inDim * outDim),
    b: new Float32Array(outDim),
  });
  const norm = (): Norm => ({
    gamma: new Float32Array(h).fill(1),
    beta: new Float32Array(h),
  });
  const wordEmbeddings = normal(config.vocabSize * h);
  wordEmbeddings.fill(0, config.padTokenId * h, (config.padTokenId + 1) * h);
  const positionEmbeddings = normal(config.maxPositions * h);
  const tokenTypeEmbeddings = normal(config.typeVocabSize * h);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      query: dense(h, h),
      key: dense(h, h),
      value: dense(h, h),
      attentionOut: dense(h, h),
      attentionNorm: norm(),
      intermediate: dense(h, config.intermediateSize),
      output: dense(config.intermediateSize, h),
      outputNorm: norm(),
    });
  }
  return {
    wordEmbeddings,
    positionEmbeddings,
    tokenTypeEmbeddings,
    embeddingNorm: norm(),
    layers,
  };
}
