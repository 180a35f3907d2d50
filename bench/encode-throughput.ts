import {mkdir, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {readTable} from '../src/io/delimited.js';
import {buildEncoder} from '../src/models/build-encoder.js';
import {encodeTexts} from '../src/models/encode-texts.js';
import {openEncoder} from '../src/models/encoder-session.js';
import {loadTokenizer} from '../src/models/hf-tokenizer.js';
import {readTexts} from '../src/models/text-source.js';
import {best, isMain, repoFile} from './fmri-common.js';

const BATCH = 32;
const REPEAT = 3;

/**
 * Encode throughput of the default (UNTRAINED) encoder, 4 layers × H 128,
 * built as the pipeline builds it: texts/s at batch 32 with 1 and 2
 * onnxruntime threads, pooling the last token of all 5 hidden states. The
 * texts are the 120 full scenario versions (accidental and intentional,
 * ~75 tokens each) repeated to 480, so every batch is full.
 */
export async function main(): Promise<Record<string, number>> {
  const dir = join(tmpdir(), 'neuromake-bench-encode');
  await mkdir(dir, {recursive: true});
  const scenarios = repoFile('data/ds000212/stimuli/scenarios.csv');
  const sources: string[] = [];
  for (const row of (await readTable(scenarios)).rows) {
    const columns = ['background', 'action', 'outcome', 'accidental'];
    for (const c of [...columns, 'intentional']) sources.push(row[c] ?? '');
  }
  for (const f of ['cm_test.csv', 'cm_test_hard.csv']) {
    const t = await readTable(repoFile(`data/ethics/commonsense/${f}`));
    for (const row of t.rows) sources.push(row['input'] ?? '');
  }
  const buildStart = performance.now();
  const built = buildEncoder(sources);
  const buildSeconds = (performance.now() - buildStart) / 1000;
  for (const [name, data] of Object.entries(built.files)) {
    await writeFile(join(dir, name), data);
  }
  const items = await readTexts(scenarios, {
    format: 'scenarios',
    textField: 'text',
    idField: '',
    scenarioText: 'both',
  });
  const texts = Array.from({length: 4}, () => items.map((i) => i.text)).flat();
  const tokenizer = await loadTokenizer(join(dir, 'tokenizer.json'), 128);
  const out: Record<string, number> = {
    texts: texts.length,
    batch_size: BATCH,
    layers: built.config.layers + 1,
    hidden_size: built.config.hiddenSize,
    vocab_size: built.config.vocabSize,
    build_seconds: buildSeconds,
  };
  for (const threads of [1, 2]) {
    const session = await openEncoder(join(dir, 'model.onnx'), {
      threads,
      provider: 'cpu',
    });
    const run = () =>
      encodeTexts(session, tokenizer, texts, {
        batchSize: BATCH,
        pooling: 'last',
        layers: [],
      });
    const warm = await run();
    out['tokens_per_text'] = warm.tokens / texts.length;
    const seconds = await best(REPEAT, run);
    out[`texts_per_second_${threads}_thread${threads > 1 ? 's' : ''}`] =
      texts.length / seconds;
    await session.release();
  }
  // Tokenizing alone, to show what share of the time the model takes.
  const tokenSeconds = await best(REPEAT, async () => {
    for (let s = 0; s < texts.length; s += BATCH) {
      await tokenizer.encodeBatch(texts.slice(s, s + BATCH));
    }
  });
  out['tokenize_texts_per_second'] = texts.length / tokenSeconds;
  console.log(`encode-throughput: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
