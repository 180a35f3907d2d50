import {writeFile} from 'node:fs/promises';

import {readTable} from '../../io/delimited.js';
import {FormatError} from '../../io/format-error.js';
import {DEFAULT_ENCODER} from '../../models/bert-weights.js';
import {buildEncoder, type BuiltEncoder} from '../../models/build-encoder.js';
import {DEFAULT_VOCAB} from '../../models/wordpiece-vocab.js';
import {
  integerParam,
  listInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskContext,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';

const SCENARIO_COLUMNS = [
  'background',
  'action',
  'outcome',
  'accidental',
  'intentional',
];

/** The vocabulary's source texts: every scenario sentence, ETHICS inputs. */
async function sourceTexts(
  scenarios: string,
  ethics: readonly string[],
): Promise<string[]> {
  const texts: string[] = [];
  const table = await readTable(scenarios);
  for (const c of SCENARIO_COLUMNS) {
    if (!table.columns.includes(c)) {
      throw new FormatError(scenarios, 'header', `needs column "${c}"`);
    }
  }
  for (const row of table.rows) {
    for (const c of SCENARIO_COLUMNS) texts.push(row[c] ?? '');
  }
  for (const file of ethics) {
    const t = await readTable(file);
    if (!t.columns.includes('input')) {
      throw new FormatError(file, 'header', 'an ETHICS csv needs "input"');
    }
    for (const row of t.rows) texts.push(row['input'] ?? '');
  }
  return texts;
}

/**
 * Builds neuromake's default encoder: an UNTRAINED BERT-style transformer
 * with seeded random weights, written as ONNX, and a WordPiece tokenizer
 * from the ds000212 scenarios and ETHICS texts. No download.
 */
const buildEncoderTask: TaskDefinition = {
  name: 'model.build-encoder',
  description:
    'Build the default encoder (UNTRAINED: seeded random weights): a small BERT-style transformer as model.onnx with a WordPiece tokenizer.json built from the scenario and ETHICS texts, plus Hugging Face config files.',
  inputs: {
    scenarios: {description: 'ds000212 stimuli/scenarios.csv.'},
    ethics: {
      description: 'ETHICS commonsense CSVs (column "input").',
      list: true,
      optional: true,
    },
  },
  outputs: {
    model: {description: 'model.onnx (opset 17), the encoder contract.'},
    tokenizer: {description: 'tokenizer.json (Hugging Face tokenizers).'},
    config: {description: 'config.json (BertConfig, untrained: true).'},
    tokenizer_config: {
      description: 'tokenizer_config.json.',
      optional: true,
    },
    special_tokens_map: {
      description: 'special_tokens_map.json.',
      optional: true,
    },
    vocab: {description: 'vocab.txt.', optional: true},
  },
  params: {
    seed: {type: 'string', description: 'Weight seed.', default: '5'},
    layers: {
      type: 'integer',
      description: 'Transformer layers.',
      default: DEFAULT_ENCODER.layers,
      minimum: 1,
      maximum: 48,
    },
    hidden_size: {
      type: 'integer',
      description: 'Hidden size H (a multiple of heads).',
      default: DEFAULT_ENCODER.hiddenSize,
      minimum: 8,
      maximum: 4096,
    },
    heads: {
      type: 'integer',
      description: 'Attention heads.',
      default: DEFAULT_ENCODER.heads,
      minimum: 1,
      maximum: 64,
    },
    intermediate_size: {
      type: 'integer',
      description: 'Feed-forward size; 0 = 4 × hidden_size.',
      default: 0,
      minimum: 0,
    },
    max_length: {
      type: 'integer',
      description: 'Position embeddings (longest input in tokens).',
      default: DEFAULT_ENCODER.maxPositions,
      minimum: 8,
      maximum: 8192,
    },
    vocab_size: {
      type: 'integer',
      description: 'Most WordPiece tokens, special tokens included.',
      default: DEFAULT_VOCAB.size,
      minimum: 64,
    },
  },
  async run(context) {
    const scenarios = singleInput(context, 'scenarios');
    const ethics = listInput(context, 'ethics');
    const hidden = integerParam(
      context,
      'hidden_size',
      DEFAULT_ENCODER.hiddenSize,
      0,
    );
    const heads = integerParam(context, 'heads', DEFAULT_ENCODER.heads, 0);
    if (hidden % heads !== 0) {
      throw new TaskInputError(
        `param "hidden_size" (${hidden}) must be a multiple of "heads" (${heads})`,
      );
    }
    const texts = await sourceTexts(scenarios, ethics);
    context.progress(1, 3, `vocabulary from ${texts.length} texts`);
    const built = buildEncoder(texts, {
      seed: stringParam(context, 'seed', '5'),
      shape: {
        ...DEFAULT_ENCODER,
        layers: integerParam(context, 'layers', DEFAULT_ENCODER.layers, 0),
        hiddenSize: hidden,
        heads,
        intermediateSize:
          integerParam(context, 'intermediate_size', 0, 0) || 4 * hidden,
        maxPositions: integerParam(
          context,
          'max_length',
          DEFAULT_ENCODER.maxPositions,
          0,
        ),
      },
      vocab: {
        ...DEFAULT_VOCAB,
        size: integerParam(context, 'vocab_size', DEFAULT_VOCAB.size, 0),
      },
    });
    context.progress(2, 3, 'writing files');
    await writeOutputs(context, built);
    context.warn(
      `${built.name} is UNTRAINED (random weights, seed ${stringParam(context, 'seed', '5')}): its activations test the pipeline, they say nothing about language models`,
    );
    context.log(
      `${built.name}: vocabulary ${built.config.vocabSize}, ${built.files['model.onnx'].length} bytes of ONNX`,
    );
    context.progress(3, 3);
  },
};

const FILES: readonly [string, keyof BuiltEncoder['files']][] = [
  ['model', 'model.onnx'],
  ['tokenizer', 'tokenizer.json'],
  ['config', 'config.json'],
  ['tokenizer_config', 'tokenizer_config.json'],
  ['special_tokens_map', 'special_tokens_map.json'],
  ['vocab', 'vocab.txt'],
];

async function writeOutputs(
  context: TaskContext,
  built: BuiltEncoder,
): Promise<void> {
  for (const [port, file] of FILES) {
    const required =
      port === 'model' || port === 'tokenizer' || port === 'config';
    if (!required && context.outputs[port] === undefined) continue;
    await writeFile(outputPath(context, port), built.files[file]);
  }
}

export default buildEncoderTask;
