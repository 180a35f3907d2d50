import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {readNpy} from '../../src/io/npy.js';
import {buildEncoder} from '../../src/models/build-encoder.js';
import {DEFAULT_ENCODER} from '../../src/models/bert-weights.js';
import {tokenizerJson} from '../../src/models/tokenizer-files.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import encode from '../../src/tasks/model/encode.js';
import {dataFile, withTempDir} from '../io/helpers.js';
import {
  lookupModel,
  lookupRow,
  TINY_VOCAB,
  type LookupLayout,
} from './helpers.js';

const H = 4;
const LAYERS = 2;

/** Texts and their token ids under TINY_VOCAB with no special tokens. */
const TEXTS: [string, number[]][] = [
  ['the cat', [5, 6]],
  ['the cats sat on the mat .', [5, 6, 11, 7, 8, 5, 9, 10]],
  ['mat', [9]],
];

interface Sidecar {
  shape: number[];
  untrained: boolean;
  model: string;
  pooling: string;
  layer_indices: number[];
  layers: string[];
  ids: string[];
  items: unknown[];
}

/** Writes the lookup model, a tokenizer without [CLS]/[SEP], and texts. */
async function lookupFolder(dir: string, layout: LookupLayout) {
  await writeFile(
    join(dir, 'model.onnx'),
    lookupModel(TINY_VOCAB.length, H, LAYERS, layout),
  );
  // No post-processor: first and last then are real words, not [CLS]/[SEP].
  const json = {...(tokenizerJson(TINY_VOCAB) as object), post_processor: null};
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json));
  const texts = join(dir, 'texts.jsonl');
  await writeFile(
    texts,
    TEXTS.map(([text], i) => JSON.stringify({text, item: i + 1})).join('\n'),
  );
  return texts;
}

async function runEncode(
  dir: string,
  model: string,
  texts: string,
  params: Record<string, unknown>,
  gpus: readonly number[] = [],
) {
  const activations = join(dir, 'act.npy');
  const sidecar = join(dir, 'act.json');
  await runStandalone(encode, {model, texts}, {activations, sidecar}, params, {
    cpus: 1,
    gpus,
  });
  const npy = await readNpy(activations);
  const side = JSON.parse(await readFile(sidecar, 'utf8')) as Sidecar;
  return {npy, side};
}

for (const layout of ['underscore', 'stacked'] as const) {
  void test(`pooling first, last and mean match a hand computation (${layout})`, async () => {
    await withTempDir(async (dir) => {
      const texts = await lookupFolder(dir, layout);
      for (const pooling of ['first', 'last', 'mean'] as const) {
        // Batch 2 pads the first batch, so padding must not leak in.
        const {npy, side} = await runEncode(dir, dir, texts, {
          pooling,
          batch_size: 2,
        });
        assert.deepEqual(npy.shape, [3, LAYERS + 1, H]);
        assert.deepEqual(side.shape, [3, LAYERS + 1, H]);
        assert.equal(side.untrained, false);
        assert.deepEqual(side.items, ['1', '2', '3']);
        for (const [n, [, ids]] of TEXTS.entries()) {
          const want = (k: number, j: number) => {
            const rows =
              pooling === 'first'
                ? [ids[0]!]
                : pooling === 'last'
                  ? [ids[ids.length - 1]!]
                  : ids;
            const sum = rows.reduce((a, id) => a + lookupRow(id, H)[j]!, 0);
            return ((k + 1) * sum) / rows.length;
          };
          for (let k = 0; k <= LAYERS; k++) {
            for (let j = 0; j < H; j++) {
              const got = npy.data[(n * (LAYERS + 1) + k) * H + j]!;
              assert.ok(
                Math.abs(got - want(k, j)) < 1e-5,
                `${pooling} text ${n} layer ${k} dim ${j}: ${got} vs ${want(k, j)}`,
              );
            }
          }
        }
      }
    });
  });
}

void test('layers selects hidden states, negative from the end', async () => {
  await withTempDir(async (dir) => {
    const texts = await lookupFolder(dir, 'underscore');
    const all = await runEncode(dir, dir, texts, {});
    const some = await runEncode(dir, join(dir, 'model.onnx'), texts, {
      layers: [0, -1],
    });
    assert.deepEqual(some.npy.shape, [3, 2, H]);
    assert.deepEqual(some.side.layer_indices, [0, 2]);
    assert.deepEqual(some.side.layers, ['hidden_states_0', 'hidden_states_2']);
    for (let n = 0; n < 3; n++) {
      for (const [li, k] of [0, 2].entries()) {
        const a = all.npy.data.subarray((n * 3 + k) * H, (n * 3 + k + 1) * H);
        const b = some.npy.data.subarray(
          (n * 2 + li) * H,
          (n * 2 + li + 1) * H,
        );
        assert.deepEqual(a, b);
      }
    }
    await assert.rejects(
      runEncode(dir, dir, texts, {layers: [3]}),
      /param "layers": 3 is not a hidden state .* which has 3/,
    );
  });
});

void test('the default encoder encodes the 60 scenarios, the same in any batch size', async () => {
  await withTempDir(async (dir) => {
    const csv = await readFile(
      dataFile('ds000212/stimuli/scenarios.csv'),
      'utf8',
    );
    const rows = csv.split('\n').slice(1, 20).join(' ');
    const shape = {...DEFAULT_ENCODER, layers: 2, hiddenSize: 32, heads: 2};
    const built = buildEncoder([rows], {
      seed: '1',
      shape: {...shape, intermediateSize: 64},
      vocab: {size: 1000, minCount: 1, pieceShare: 0.25},
    });
    for (const [name, data] of Object.entries(built.files)) {
      await writeFile(join(dir, name), data);
    }
    const texts = dataFile('ds000212/stimuli/scenarios.csv');
    const big = await runEncode(dir, dir, texts, {batch_size: 60});
    assert.deepEqual(big.npy.shape, [60, 3, 32]);
    assert.equal(big.side.untrained, true);
    assert.match(big.side.model, /untrained/);
    assert.equal(big.side.pooling, 'last');
    assert.deepEqual(big.side.layers, [
      'hidden_states.0',
      'hidden_states.1',
      'hidden_states.2',
    ]);
    assert.equal(big.side.ids[59], '60');
    const small = await runEncode(dir, dir, texts, {batch_size: 7, threads: 2});
    let worst = 0;
    for (let i = 0; i < big.npy.data.length; i++) {
      worst = Math.max(worst, Math.abs(big.npy.data[i]! - small.npy.data[i]!));
    }
    assert.ok(worst < 1e-4, `batching changed activations by ${worst}`);
    const both = await runEncode(dir, dir, texts, {scenario_text: 'both'});
    assert.equal(both.npy.shape[0], 120);
    assert.deepEqual(both.side.ids.slice(0, 2), [
      '1:accidental',
      '1:intentional',
    ]);
  });
});

void test('cuda is used or refused with a way to get it, never a silent CPU run', async () => {
  await withTempDir(async (dir) => {
    const texts = await lookupFolder(dir, 'underscore');
    try {
      const {side} = await runEncode(dir, dir, texts, {provider: 'cuda'}, [0]);
      assert.deepEqual(side.shape, [3, LAYERS + 1, H]);
    } catch (e) {
      assert.match(String(e), /CUDA execution provider did not load/);
      assert.match(String(e), /ONNXRUNTIME_NODE_INSTALL=cuda12/);
      assert.match(String(e), /docs\/models\.md/);
    }
  });
});

void test('cuda on a step that holds no GPU is refused, naming the fix', async () => {
  await withTempDir(async (dir) => {
    const texts = await lookupFolder(dir, 'underscore');
    await assert.rejects(
      runEncode(dir, dir, texts, {provider: 'cuda'}),
      /holds no GPU: declare `resources: \{gpus: 1\}`/,
    );
  });
});

void test('texts: a JSONL row without the text field is an error naming the row', async () => {
  await withTempDir(async (dir) => {
    await lookupFolder(dir, 'underscore');
    const texts = join(dir, 'bad.jsonl');
    await writeFile(texts, '{"text": "the cat"}\n{"sentence": "mat"}\n');
    await assert.rejects(
      runEncode(dir, dir, texts, {}),
      /bad\.jsonl: row 2: "text" is missing/,
    );
  });
});

void test('trial rows keep item, condition and sentence in the sidecar', async () => {
  await withTempDir(async (dir) => {
    await lookupFolder(dir, 'underscore');
    const texts = join(dir, 'trials.jsonl');
    const rows = [
      {text: 'the cat', item: '7', condition: 'A_PHA', subject: 'sub-03'},
      {text: 'mat', item: 8, condition: 'F_PHI', sentence: 2},
    ];
    await writeFile(texts, rows.map((r) => JSON.stringify(r)).join('\n'));
    const {side} = await runEncode(dir, dir, texts, {});
    assert.deepEqual(side.items, [
      {item: '7', condition: 'A_PHA'},
      {item: '8', condition: 'F_PHI', sentence: '2'},
    ]);
    assert.deepEqual(side.ids, ['0', '1']);
  });
});

void test('a text with no tokens to pool is an error naming its index', async () => {
  await withTempDir(async (dir) => {
    await lookupFolder(dir, 'underscore');
    const texts = join(dir, 'empty.jsonl');
    await writeFile(texts, '{"text": "the cat"}\n{"text": ""}\n');
    await assert.rejects(
      runEncode(dir, dir, texts, {}),
      /text 1 tokenizes to nothing/,
    );
  });
});
