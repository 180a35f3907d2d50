import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {
  checkContract,
  ContractError,
} from '../../src/models/encoder-contract.js';
import {GraphBuilder} from '../../src/models/graph-builder.js';
import {encodeModel} from '../../src/models/onnx-model.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import encode from '../../src/tasks/model/encode.js';
import {withTempDir} from '../io/helpers.js';
import {stateOutput, tokenInput, writeTokenizer} from './helpers.js';

const ids = {name: 'input_ids', type: 'int64'};
const mask = {name: 'attention_mask', type: 'int64'};
const last = {name: 'last_hidden_state', type: 'float32'};
const hs = (i: number) => ({name: `hidden_states.${i}`, type: 'float32'});

void test('a conforming model passes, with or without token_type_ids', () => {
  const a = checkContract('m.onnx', [ids, mask], [last, hs(0), hs(1)]);
  assert.equal(a.tokenTypeIds, false);
  assert.deepEqual(a.hiddenStates, {
    kind: 'separate',
    names: ['hidden_states.0', 'hidden_states.1'],
  });
  const b = checkContract(
    'm.onnx',
    [ids, mask, {name: 'token_type_ids', type: 'int64'}],
    [last, {name: 'hidden_states', type: 'float32', shape: [5, 'b', 's', 8]}],
  );
  assert.equal(b.tokenTypeIds, true);
  assert.deepEqual(b.hiddenStates, {
    kind: 'stacked',
    name: 'hidden_states',
    count: 5,
  });
});

void test('each way of breaking the contract is named, with the file', () => {
  const broken = (
    inputs: Parameters<typeof checkContract>[1],
    outputs: Parameters<typeof checkContract>[2],
    message: RegExp,
  ) =>
    assert.throws(
      () => checkContract('/m/model.onnx', inputs, outputs),
      (e: unknown) =>
        e instanceof ContractError &&
        e.message.startsWith('/m/model.onnx breaks the encoder contract') &&
        message.test(e.message),
    );
  broken([ids], [last, hs(0)], /has no input "attention_mask"/);
  broken(
    [{name: 'input_ids', type: 'int32'}, mask],
    [last, hs(0)],
    /input "input_ids" is int32, the contract says int64/,
  );
  broken(
    [ids, mask, {name: 'position_ids', type: 'int64'}],
    [last, hs(0)],
    /has input "position_ids", which the contract does not feed/,
  );
  broken([ids, mask], [hs(0)], /has no output "last_hidden_state"/);
  broken([ids, mask], [last], /has no per-layer hidden states/);
  broken([ids, mask], [last, hs(0), hs(2)], /skip index 1/);
  broken(
    [ids, mask],
    [{name: 'last_hidden_state', type: 'float16'}, hs(0)],
    /output "last_hidden_state" is float16, the contract says float32/,
  );
});

void test('model.encode refuses a model without hidden states, naming its file', async () => {
  await withTempDir(async (dir) => {
    const g = new GraphBuilder();
    const table = new Float32Array(12 * 4).fill(0.5);
    g.op(
      'emb',
      'Gather',
      [g.weight('table', [12, 4], table), 'input_ids'],
      undefined,
      'last_hidden_state',
    );
    const model = join(dir, 'plain.onnx');
    await writeFile(
      model,
      encodeModel({
        graphName: 'plain',
        nodes: g.nodes,
        initializers: g.initializers,
        inputs: [tokenInput('input_ids'), tokenInput('attention_mask')],
        outputs: [stateOutput('last_hidden_state', 4)],
        opset: 17,
        producerName: 'test',
        producerVersion: '1',
        docString: '',
        metadata: {},
      }),
    );
    const tokenizer = await writeTokenizer(dir);
    const texts = join(dir, 't.jsonl');
    await writeFile(texts, '{"text": "the cat"}\n');
    await assert.rejects(
      runStandalone(
        encode,
        {model, tokenizer, texts},
        {activations: join(dir, 'a.npy'), sidecar: join(dir, 'a.json')},
      ),
      (e: unknown) =>
        e instanceof ContractError &&
        e.message.includes(`${model} breaks the encoder contract`) &&
        /no per-layer hidden states/.test(e.message),
    );
  });
});

void test('model.encode says which file is missing', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      runStandalone(
        encode,
        {model: dir, texts: join(dir, 't.jsonl')},
        {activations: join(dir, 'a.npy'), sidecar: join(dir, 'a.json')},
      ),
      new RegExp(`model file ${join(dir, 'model.onnx')} does not exist`),
    );
  });
});
