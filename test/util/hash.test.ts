import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {test} from 'node:test';

import {sha256, sha256File} from '../../src/util/hash.js';

const expected = (data: Uint8Array) =>
  createHash('sha256').update(data).digest('hex');

void test('sha256File matches hashing the bytes in memory', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'neuromake-hash-'));
  try {
    // Empty, tiny, around the minimum buffer, and over one 4 MiB chunk.
    const sizes = [0, 1, 10, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1];
    sizes.push(4 * 1024 * 1024 - 1, 4 * 1024 * 1024, 9 * 1024 * 1024 + 7);
    for (const size of sizes) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
      const file = path.join(dir, `f${size}`);
      await writeFile(file, data);
      assert.equal(await sha256File(file), expected(data), `size ${size}`);
    }
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

void test('sha256File rejects for a missing file', async () => {
  await assert.rejects(sha256File(path.join(tmpdir(), 'no-such-file-nm')));
});

void test('sha256 hashes strings as UTF-8', () => {
  assert.equal(sha256('abc'), expected(Buffer.from('abc')));
});
