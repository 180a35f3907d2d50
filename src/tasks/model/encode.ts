import {readFile, stat, writeFile} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';

import {writeNpy} from '../../io/npy.js';
import {UNTRAINED_KEY} from '../../models/build-encoder.js';
import {encodeTexts} from '../../models/encode-texts.js';
import {openEncoder, PROVIDERS} from '../../models/encoder-session.js';
import {loadTokenizer} from '../../models/hf-tokenizer.js';
import {readModelFileInfo} from '../../models/onnx-file-info.js';
import {POOLING_RULES} from '../../models/pooling.js';
import {
  readTexts,
  SCENARIO_TEXTS,
  TEXT_FORMATS,
  type TextItem,
} from '../../models/text-source.js';
import {
  integerParam,
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskContext,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';

/** model.onnx and tokenizer.json from a folder, a file, or both inputs. */
async function modelFiles(
  context: TaskContext,
): Promise<{model: string; tokenizer: string}> {
  const given = singleInput(context, 'model');
  const isDir = (await stat(given).catch(() => undefined))?.isDirectory();
  const model = isDir === true ? join(given, 'model.onnx') : given;
  const tokenizer =
    optionalInput(context, 'tokenizer') ??
    join(dirname(model), 'tokenizer.json');
  for (const [what, file] of [
    ['model', model],
    ['tokenizer', tokenizer],
  ] as const) {
    if ((await stat(file).catch(() => undefined)) === undefined) {
      throw new TaskInputError(`${what} file ${file} does not exist`);
    }
  }
  return {model, tokenizer};
}

/** The model's name: its metadata, config.json beside it, or its folder. */
async function modelName(
  model: string,
  metadata: Record<string, string>,
): Promise<string> {
  if (metadata['name'] !== undefined) return metadata['name'];
  try {
    const config = JSON.parse(
      await readFile(join(dirname(model), 'config.json'), 'utf8'),
    ) as {_name_or_path?: unknown};
    if (typeof config._name_or_path === 'string') return config._name_or_path;
  } catch {
    // No readable config.json: fall back to the folder's name.
  }
  return basename(dirname(model));
}

/**
 * A text's entry in the sidecar's `items`: its scenario item, or an object
 * {item, condition, sentence} for a trial row, or null (then `ids` says).
 */
function sidecarItem(t: TextItem): string | Record<string, string> | null {
  if (t.condition === undefined && t.sentence === undefined) {
    return t.item ?? null;
  }
  return {
    ...(t.item === undefined ? {} : {item: t.item}),
    ...(t.condition === undefined ? {} : {condition: t.condition}),
    ...(t.sentence === undefined ? {} : {sentence: t.sentence}),
  };
}

/** Runs an ONNX encoder over texts and pools one vector per text per layer. */
const encode: TaskDefinition = {
  name: 'model.encode',
  description:
    'Encode texts with an ONNX encoder (onnxruntime-node, Hugging Face tokenizer.json): pooled hidden states of every layer as float32 .npy [N, L, H] + a JSON sidecar (model, untrained flag, pooling, layers, text ids).',
  inputs: {
    model: {
      description:
        'model.onnx following the encoder contract (docs/models.md), or its folder.',
    },
    tokenizer: {
      description: "tokenizer.json; default: the model folder's.",
      optional: true,
    },
    texts: {
      description:
        'Texts: JSONL (key text_field), CSV (column text_field) or ds000212 scenarios.csv.',
    },
  },
  outputs: {
    activations: {description: 'float32 .npy [N, L, H].'},
    sidecar: {description: 'JSON: model, untrained, pooling, layers, ids.'},
  },
  params: {
    format: {
      type: 'string',
      description: 'Texts format; auto = by extension and columns.',
      default: 'auto',
      enum: [...TEXT_FORMATS],
    },
    text_field: {
      type: 'string',
      description: 'JSONL key or CSV column holding the text.',
      default: 'text',
    },
    id_field: {
      type: 'string',
      description: "JSONL key or CSV column used as id ('' = row index).",
      default: '',
    },
    scenario_text: {
      type: 'string',
      description:
        'For scenarios.csv: shared (background+action+outcome), accidental, intentional, or both (two rows per scenario).',
      default: 'shared',
      enum: [...SCENARIO_TEXTS],
    },
    batch_size: {
      type: 'integer',
      description: 'Texts per batch.',
      default: 32,
      minimum: 1,
    },
    max_length: {
      type: 'integer',
      description: 'Longest input in tokens (special tokens included).',
      default: 128,
      minimum: 2,
    },
    pooling: {
      type: 'string',
      description:
        'first token, last non-padding token (the study), or mean over tokens.',
      default: 'last',
      enum: [...POOLING_RULES],
    },
    layers: {
      type: 'array',
      description:
        'Hidden-state indices (0 = embeddings, negative from the end); [] = all.',
      default: [],
    },
    threads: {
      type: 'integer',
      description: 'onnxruntime intra-op threads.',
      default: 1,
      minimum: 1,
    },
    provider: {
      type: 'string',
      description:
        'Execution provider; cuda needs its libraries (docs/models.md).',
      default: 'cpu',
      enum: [...PROVIDERS],
    },
  },
  async run(context) {
    const {model, tokenizer: tokenizerFile} = await modelFiles(context);
    const textsFile = singleInput(context, 'texts');
    const layers = context.params['layers'] ?? [];
    if (!Array.isArray(layers) || !layers.every((l) => Number.isInteger(l))) {
      throw new TaskInputError(
        'param "layers" must be a list of whole numbers',
      );
    }
    const provider = stringParam(context, 'provider', 'cpu', PROVIDERS);
    if (provider === 'cuda' && context.resources.gpus.length === 0) {
      throw new TaskInputError(
        'param "provider" is cuda but the step holds no GPU: declare `resources: {gpus: 1}` on the step (and run with --gpus where none are detected)',
      );
    }
    const pooling = stringParam(context, 'pooling', 'last', POOLING_RULES);
    const maxLength = integerParam(context, 'max_length', 128, 1);
    const items = await readTexts(textsFile, {
      format: stringParam(context, 'format', 'auto', TEXT_FORMATS),
      textField: stringParam(context, 'text_field', 'text'),
      idField: stringParam(context, 'id_field', ''),
      scenarioText: stringParam(
        context,
        'scenario_text',
        'shared',
        SCENARIO_TEXTS,
      ),
    });
    const info = await readModelFileInfo(model);
    const untrained = info.metadata[UNTRAINED_KEY] === 'true';
    const name = await modelName(model, info.metadata);
    if (untrained) {
      context.warn(
        `${name} is UNTRAINED (random weights): its activations test the pipeline only`,
      );
    }
    const tokenizer = await loadTokenizer(tokenizerFile, maxLength);
    const session = await openEncoder(model, {
      threads: integerParam(context, 'threads', 1, 1),
      provider,
    });
    try {
      const started = performance.now();
      const result = await encodeTexts(
        session,
        tokenizer,
        items.map((i) => i.text),
        {
          batchSize: integerParam(context, 'batch_size', 32, 1),
          pooling,
          layers: layers as number[],
          signal: context.signal,
          onBatch: (done, total) => context.progress(done, total, 'texts'),
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const shape = [result.n, result.layers.length, result.hidden];
      await writeNpy(outputPath(context, 'activations'), result.data, shape);
      const sidecar = {
        model: name,
        untrained,
        ...(untrained
          ? {warning: 'UNTRAINED model: random weights, not a language model'}
          : {}),
        model_file: basename(model),
        tokenizer_file: basename(tokenizerFile),
        texts_file: basename(textsFile),
        dtype: 'float32',
        shape,
        n: result.n,
        hidden_size: result.hidden,
        pooling,
        layer_indices: result.layers.map((l) => l.index),
        layers: result.layers.map((l) => l.name),
        max_length: maxLength,
        tokens: result.tokens,
        unknown_tokens: result.unknownTokens,
        truncated_texts: result.truncated,
        provider,
        ids: items.map((i) => i.id),
        items: items.map(sidecarItem),
      };
      await writeFile(
        outputPath(context, 'sidecar'),
        `${JSON.stringify(sidecar, null, 2)}\n`,
      );
      context.log(
        `${result.n} texts in ${seconds.toFixed(2)} s (${(result.n / seconds).toFixed(1)} texts/s), ${result.unknownTokens} unknown tokens, ${result.truncated} texts truncated to ${maxLength}`,
      );
      if (result.truncated > 0) {
        context.warn(
          `${result.truncated} texts were longer than ${maxLength} tokens and were cut`,
        );
      }
    } finally {
      await session.release();
    }
  },
};

export default encode;
