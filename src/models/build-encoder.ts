import {bertModel, type ModelLabel} from './bert-graph.js';
import {
  DEFAULT_ENCODER,
  randomBertWeights,
  type BertWeights,
  type EncoderConfig,
} from './bert-weights.js';
import {encodeModel} from './onnx-model.js';
import {
  specialTokensMap,
  tokenizerConfig,
  tokenizerJson,
  vocabText,
} from './tokenizer-files.js';
import {
  buildVocab,
  DEFAULT_VOCAB,
  type VocabOptions,
} from './wordpiece-vocab.js';

/** The model metadata key that marks an encoder as untrained. */
export const UNTRAINED_KEY = 'untrained';

/** What to build: the encoder's shape, seed and vocabulary. */
export interface BuildOptions {
  readonly seed: string;
  readonly shape: Omit<EncoderConfig, 'vocabSize'>;
  readonly vocab: VocabOptions;
}

const DEFAULT_BUILD: BuildOptions = {
  seed: '5',
  shape: DEFAULT_ENCODER,
  vocab: DEFAULT_VOCAB,
};

/** The files of a built encoder folder, by file name. */
export interface BuiltEncoder {
  readonly name: string;
  readonly config: EncoderConfig;
  readonly files: {
    readonly 'model.onnx': Uint8Array;
    readonly 'tokenizer.json': string;
    readonly 'config.json': string;
    readonly 'tokenizer_config.json': string;
    readonly 'special_tokens_map.json': string;
    readonly 'vocab.txt': string;
  };
}

/** The name a built encoder goes by, which says it is untrained. */
function encoderName(c: Omit<EncoderConfig, 'vocabSize'>): string {
  return `neuromake-untrained-bert-L${c.layers}-H${c.hiddenSize}-A${c.heads}`;
}

/** The label written into model.onnx (doc string and metadata_props). */
export function untrainedLabel(
  config: EncoderConfig,
  seed: string,
): ModelLabel {
  return {
    name: encoderName(config),
    docString:
      `UNTRAINED: a BERT-style encoder with random weights (seed ${seed}), ` +
      'built by neuromake to exercise the encode path. Not a language model.',
    metadata: {
      [UNTRAINED_KEY]: 'true',
      name: encoderName(config),
      seed,
      config: JSON.stringify(config),
    },
  };
}

/** ONNX bytes of a BERT encoder with the given weights (tests use this). */
export function encoderOnnx(
  config: EncoderConfig,
  weights: BertWeights,
  label: ModelLabel,
): Uint8Array {
  return encodeModel(bertModel(config, weights, label));
}

/** config.json as Hugging Face's BertConfig names things, plus ours. */
function configJson(config: EncoderConfig, seed: string): unknown {
  return {
    _name_or_path: encoderName(config),
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    intermediate_size: config.intermediateSize,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: config.maxPositions,
    type_vocab_size: config.typeVocabSize,
    initializer_range: config.initializerRange,
    layer_norm_eps: config.layerNormEps,
    pad_token_id: config.padTokenId,
    position_embedding_type: 'absolute',
    output_hidden_states: true,
    neuromake: {
      untrained: true,
      note: 'UNTRAINED: random weights; built by neuromake (model.build-encoder).',
      seed,
      onnx_outputs: 'last_hidden_state, hidden_states.0 … hidden_states.L',
    },
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Builds the default encoder from `texts` (the vocabulary's source): a
 * WordPiece vocabulary, seeded random weights, and every file of a Hugging
 * Face-style model folder. Pure: the same texts and options give the same
 * bytes.
 */
export function buildEncoder(
  texts: Iterable<string>,
  options: BuildOptions = DEFAULT_BUILD,
): BuiltEncoder {
  const vocab = buildVocab(texts, options.vocab);
  const config: EncoderConfig = {...options.shape, vocabSize: vocab.length};
  const weights = randomBertWeights(config, options.seed);
  const label = untrainedLabel(config, options.seed);
  return {
    name: label.name,
    config,
    files: {
      'model.onnx': encoderOnnx(config, weights, label),
      'tokenizer.json': json(tokenizerJson(vocab)),
      'config.json': json(configJson(config, options.seed)),
      'tokenizer_config.json': json(tokenizerConfig(config.maxPositions)),
      'special_tokens_map.json': json(specialTokensMap()),
      'vocab.txt': vocabText(vocab),
    },
  };
}
