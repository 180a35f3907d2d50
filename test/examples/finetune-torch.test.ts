import assert from 'node:assert/strict';
import {execFile, spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

import {readModelFileInfo} from '../../src/models/onnx-file-info.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import encode from '../../src/tasks/model/encode.js';
import {writeTokenizer} from '../models/helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(
  new URL('../../../examples/finetune-torch/finetune.py', import.meta.url),
);

/** Why the test cannot run here, or undefined when torch imports. */
function torchMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], {encoding: 'utf8'});
  if (r.error !== undefined) return `${PYTHON}: ${r.error.message}`;
  if (r.status !== 0) {
    return `${PYTHON} cannot import torch (install Debian's python3-torch)`;
  }
  return undefined;
}

const skip = torchMissing();
const LAYERS = 2;
const HIDDEN = 32;
const PARCELS = 4;

let dir = '';
let tokenizer = '';

before(async () => {
  if (skip !== undefined) return;
  dir = await mkdtemp(join(tmpdir(), 'nm-finetune-torch-'));
  tokenizer = await writeTokenizer(dir);
  // Separable ETHICS rows: "cats" sentences are wrong (label 1).
  const rows = ['label,input'];
  for (let i = 0; i < 24; i++) {
    rows.push(i % 2 === 0 ? '0,the cat sat on the mat.' : '1,the cats sat.');
  }
  await writeFile(join(dir, 'ethics.csv'), `${rows.join('\n')}\n`);
  const trial = (i: number) =>
    JSON.stringify({
      text: i % 2 === 0 ? 'the cat sat.' : 'on the mat.',
      fmri: Array.from({length: PARCELS}, (_, k) => (i % 2) + k / 10),
    });
  const trials = Array.from({length: 8}, (_, i) => trial(i)).join('\n');
  await writeFile(join(dir, 'fmri.jsonl'), `${trials}\n`);
  const texts = ['the cat sat.', 'on the mat.', 'the cats sat on the mat.'];
  await writeFile(
    join(dir, 'texts.jsonl'),
    `${texts.map((text) => JSON.stringify({text})).join('\n')}\n`,
  );
});

after(async () => {
  if (dir !== '') await rm(dir, {recursive: true, force: true});
});

/** Runs finetune.py for one order into `dir/<order>`. */
async function finetune(order: string): Promise<string> {
  const out = join(dir, order);
  await promisify(execFile)(
    PYTHON,
    [
      SCRIPT,
      ...['--tokenizer', tokenizer],
      ...['--ethics-test', join(dir, 'ethics.csv')],
      ...['--fmri-train', join(dir, 'fmri.jsonl')],
      ...['--fmri-validation', join(dir, 'fmri.jsonl')],
      ...['--order', order, '--seed', '3'],
      ...['--epochs-ethics', '2', '--epochs-fmri', '2', '--epochs-joint', '1'],
      ...['--layers', String(LAYERS), '--hidden-size', String(HIDDEN)],
      ...['--lr', '1e-3', '--threads', '1', '--out-dir', out],
    ],
    {env: {...process.env, CUDA_VISIBLE_DEVICES: ''}},
  );
  return out;
}

void test(
  'finetune.py exports a contract encoder that model.encode runs',
  {skip: skip ?? false, timeout: 60_000},
  async () => {
    const ethics = await finetune('ethics');
    const fmri = await finetune('fmri');

    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(
      join(ethics, 'model.onnx'),
    );
    assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask']);
    assert.deepEqual(session.outputNames, [
      'last_hidden_state',
      ...Array.from({length: LAYERS + 1}, (_, i) => `hidden_states.${i}`),
    ]);
    const info = await readModelFileInfo(join(ethics, 'model.onnx'));
    assert.match(info.docString ?? '', /FINE-TUNED FROM AN UNTRAINED/);
    assert.equal(info.metadata['finetune_order'], 'ethics');
    assert.equal(info.metadata['untrained'], 'true');

    const result = await runStandalone(
      encode,
      {
        model: join(ethics, 'model.onnx'),
        tokenizer: join(ethics, 'tokenizer.json'),
        texts: join(dir, 'texts.jsonl'),
      },
      {
        activations: join(dir, 'activations.npy'),
        sidecar: join(dir, 'activations.json'),
      },
    );
    assert.ok(result.warnings.some((w) => w.includes('UNTRAINED')));
    const sidecar = JSON.parse(
      await readFile(join(dir, 'activations.json'), 'utf8'),
    ) as {shape: number[]; unknown_tokens: number};
    assert.deepEqual(sidecar.shape, [3, LAYERS + 1, HIDDEN]);
    assert.equal(sidecar.unknown_tokens, 0);

    type Metrics = {
      label: string;
      order: string;
      seed: number;
      device: string;
      ethics: {test: {n: number; accuracy: number; auroc: number | null}};
      fmri: {validation: {n: number; mse: number; cosine: number}};
    };
    const read = async (d: string) =>
      JSON.parse(await readFile(join(d, 'metrics.json'), 'utf8')) as Metrics;
    const [m1, m2] = [await read(ethics), await read(fmri)];
    assert.equal(m1.label, 'FINE-TUNED FROM AN UNTRAINED TINY ENCODER');
    assert.equal(m1.order, 'ethics');
    assert.equal(m1.seed, 3);
    assert.equal(m1.device, 'cpu');
    assert.equal(m1.ethics.test.n, 5);
    for (const v of [m1.ethics.test.accuracy, m1.fmri.validation.mse]) {
      assert.ok(Number.isFinite(v));
    }
    assert.equal(m1.fmri.validation.n, 8);
    assert.equal(typeof m1.fmri.validation.cosine, 'number');

    // The orders train different things: weights and metrics differ.
    const bytes = async (d: string) => readFile(join(d, 'model.onnx'));
    assert.notDeepEqual(await bytes(ethics), await bytes(fmri));
    assert.notEqual(m1.fmri.validation.mse, m2.fmri.validation.mse);
  },
);
