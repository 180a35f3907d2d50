import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {
  randomBertWeights,
  type EncoderConfig,
} from '../../src/models/bert-weights.js';
import {
  buildEncoder,
  encoderOnnx,
  untrainedLabel,
  type BuildOptions,
} from '../../src/models/build-encoder.js';
import {readModelFileInfo} from '../../src/models/onnx-file-info.js';
import {readModelInfo} from '../../src/models/onnx-model.js';
import {ProtoWriter, readFields} from '../../src/models/proto-writer.js';
import {withTempDir} from '../io/helpers.js';
import {referenceBert} from './reference-bert.js';

const TINY: EncoderConfig = {
  vocabSize: 12,
  hiddenSize: 8,
  layers: 2,
  heads: 2,
  intermediateSize: 16,
  maxPositions: 16,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  // Wide weights so attention is far from uniform and the test has teeth.
  initializerRange: 0.5,
  padTokenId: 0,
};

const SMALL_BUILD: BuildOptions = {
  seed: 'test',
  shape: {...TINY, layers: 2, hiddenSize: 16, intermediateSize: 32},
  vocab: {size: 300, minCount: 1, pieceShare: 0.25},
};

const TEXTS = [
  'You take a look, turn off the detector, and leave the house.',
  'The detector detects dangerous levels of carbon monoxide.',
];

void test('varints, strings and negative int64 encode as protobuf does', () => {
  const w = new ProtoWriter().varint(1, 150).varint(2, -1).string(3, 'hi');
  const bytes = [...w.finish()];
  assert.deepEqual(bytes.slice(0, 3), [0x08, 0x96, 0x01]);
  // -1 as int64: ten bytes, 0xff × 9 then 0x01.
  assert.deepEqual(bytes.slice(3, 14), [
    0x10,
    ...new Array<number>(9).fill(0xff),
    0x01,
  ]);
  assert.deepEqual(bytes.slice(14), [0x1a, 2, 0x68, 0x69]);
  const fields = readFields(Uint8Array.from(bytes));
  assert.deepEqual(
    fields.map((f) => f.field),
    [1, 2, 3],
  );
  assert.equal(fields[0]!.value, 150n);
  assert.equal(fields[1]!.value, 2n ** 64n - 1n);
});

void test('onnxruntime loads the written BERT and matches a JS forward pass', async () => {
  const ort = await import('onnxruntime-node');
  const weights = randomBertWeights(TINY, '1');
  const bytes = encoderOnnx(TINY, weights, untrainedLabel(TINY, '1'));
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, [
    'input_ids',
    'attention_mask',
    'token_type_ids',
  ]);
  assert.deepEqual(session.outputNames, [
    'last_hidden_state',
    'hidden_states.0',
    'hidden_states.1',
    'hidden_states.2',
  ]);
  const ids = [
    [2, 5, 7, 9, 11, 3],
    [2, 6, 8, 3, 0, 0],
  ];
  const mask = ids.map((r) => r.map((id) => (id === 0 ? 0 : 1)));
  const tensor = (rows: number[][]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(rows.flat().map(BigInt)),
      [2, 6],
    );
  const out = await session.run({
    input_ids: tensor(ids),
    attention_mask: tensor(mask),
    token_type_ids: tensor(ids.map((r) => r.map(() => 0))),
  });
  const h = TINY.hiddenSize;
  let worst = 0;
  for (const [b, row] of ids.entries()) {
    const ref = referenceBert(TINY, weights, row, mask[b]!);
    for (let layer = 0; layer <= TINY.layers; layer++) {
      const got = out[`hidden_states.${layer}`]!.data as Float32Array;
      for (let t = 0; t < row.length; t++) {
        for (let j = 0; j < h; j++) {
          const diff = Math.abs(
            got[(b * 6 + t) * h + j]! - ref[layer]![t]![j]!,
          );
          worst = Math.max(worst, diff);
        }
      }
    }
  }
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
  const last = out['last_hidden_state']!.data as Float32Array;
  assert.deepEqual(last, out['hidden_states.2']!.data);
  await session.release();
});

void test('the model says it is untrained in its metadata', async () => {
  await withTempDir(async (dir) => {
    const built = buildEncoder(TEXTS, SMALL_BUILD);
    const info = readModelInfo(built.files['model.onnx']);
    assert.equal(info.metadata['untrained'], 'true');
    assert.match(info.docString, /^UNTRAINED/);
    assert.match(built.name, /untrained/);
    const file = join(dir, 'model.onnx');
    await writeFile(file, built.files['model.onnx']);
    assert.deepEqual(await readModelFileInfo(file), info);
    const config = JSON.parse(built.files['config.json']) as {
      neuromake: {untrained: boolean};
      num_hidden_layers: number;
    };
    assert.equal(config.neuromake.untrained, true);
    assert.equal(config.num_hidden_layers, 2);
  });
});

void test('the same seed gives byte-identical files, another seed does not', () => {
  const a = buildEncoder(TEXTS, SMALL_BUILD);
  const b = buildEncoder(TEXTS, SMALL_BUILD);
  assert.ok(Buffer.from(a.files['model.onnx']).equals(b.files['model.onnx']));
  assert.equal(a.files['tokenizer.json'], b.files['tokenizer.json']);
  const c = buildEncoder(TEXTS, {...SMALL_BUILD, seed: 'other'});
  assert.ok(!Buffer.from(a.files['model.onnx']).equals(c.files['model.onnx']));
  assert.equal(a.files['tokenizer.json'], c.files['tokenizer.json']);
});
