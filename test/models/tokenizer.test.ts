import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';

import {parseCsv} from '../../src/io/delimited.js';
import {bertWords} from '../../src/models/bert-pretokenize.js';
import {loadTokenizer} from '../../src/models/hf-tokenizer.js';
import {buildVocab} from '../../src/models/wordpiece-vocab.js';
import {dataFile, withTempDir} from '../io/helpers.js';
import {TINY_VOCAB, writeTokenizer} from './helpers.js';

const tokens = (ids: BigInt64Array, from: number, to: number) =>
  [...ids.subarray(from, to)].map((id) => TINY_VOCAB[Number(id)]);

void test('WordPiece splits, lowercases, pads and marks unknown tokens', async () => {
  await withTempDir(async (dir) => {
    const file = await writeTokenizer(dir);
    const tok = await loadTokenizer(file, 32);
    const b = await tok.encodeBatch([
      'The CATS sat.',
      'the dog sat on the mat',
    ]);
    assert.equal(b.batch, 2);
    assert.equal(b.length, 8);
    assert.deepEqual(tokens(b.inputIds, 0, 8), [
      '[CLS]',
      'the',
      'cat',
      '##s',
      'sat',
      '.',
      '[SEP]',
      '[PAD]',
    ]);
    assert.deepEqual(tokens(b.inputIds, 8, 16), [
      '[CLS]',
      'the',
      '[UNK]',
      'sat',
      'on',
      'the',
      'mat',
      '[SEP]',
    ]);
    assert.deepEqual(
      [...b.attentionMask].map(Number),
      [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    );
    assert.equal(b.unknown, 1);
    assert.equal(b.truncated, 0);
    // A word with one unknown character is one [UNK] (WordPiece rule),
    // as is a character never seen; accents are stripped first.
    const u = await tok.encodeBatch(['catx sât ☃']);
    assert.deepEqual(tokens(u.inputIds, 0, u.length), [
      '[CLS]',
      '[UNK]',
      'sat',
      '[UNK]',
      '[SEP]',
    ]);
    assert.equal(u.unknown, 2);
  });
});

void test('encoding round-trips through decode and truncates at max length', async () => {
  await withTempDir(async (dir) => {
    const file = await writeTokenizer(dir);
    const {Tokenizer} = await import('tokenizers');
    const lib = Tokenizer.fromFile(file);
    const tok = await loadTokenizer(file, 32);
    const b = await tok.encodeBatch(['The cats sat on the mat.']);
    const text = await lib.decode([...b.inputIds].map(Number), true);
    assert.equal(text, 'the cats sat on the mat.');
    const short = await loadTokenizer(file, 4);
    const t = await short.encodeBatch(['the cat sat on the mat', 'the']);
    assert.equal(t.length, 4);
    assert.deepEqual(tokens(t.inputIds, 0, 4), [
      '[CLS]',
      'the',
      'cat',
      '[SEP]',
    ]);
    assert.equal(t.truncated, 1);
  });
});

void test('the built vocabulary covers every scenario word and agrees with the library', async () => {
  const csv = dataFile('ds000212/stimuli/scenarios.csv');
  const table = parseCsv(await readFile(csv, 'utf8'), csv);
  const texts = table.rows.flatMap((r) =>
    ['background', 'action', 'outcome', 'accidental', 'intentional'].map(
      (c) => r[c] ?? '',
    ),
  );
  const vocab = buildVocab(texts, {size: 2000, minCount: 2, pieceShare: 0.25});
  assert.ok(vocab.length <= 2000);
  assert.equal(new Set(vocab).size, vocab.length);
  await withTempDir(async (dir) => {
    const file = await writeTokenizer(dir, vocab);
    const {Tokenizer} = await import('tokenizers');
    const lib = Tokenizer.fromFile(file);
    const normalizer = lib.getNormalizer()!;
    const pre = lib.getPreTokenizer()!;
    for (const t of [...texts, 'Café NAÏVE “quotes” — dash\tTab 日本']) {
      const words = pre
        .preTokenizeString(normalizer.normalizeString(t))
        .map(([w]) => w);
      assert.deepEqual(bertWords(t), words, t);
    }
    const tok = await loadTokenizer(file, 512);
    const b = await tok.encodeBatch(texts);
    assert.equal(b.unknown, 0);
  });
});
