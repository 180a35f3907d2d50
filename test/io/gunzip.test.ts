import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {crc32, deflateRawSync, gunzipSync, gzipSync} from 'node:zlib';

import {plausibleDynamicBlock} from '../../src/io/deflate-block.js';
import {FormatError} from '../../src/io/format-error.js';
import {gunzipChunks, gunzipWhole, parseGzip} from '../../src/io/gunzip.js';
import {readNifti, readNiftiFrames} from '../../src/io/nifti-read.js';
import {writeNifti1} from '../../src/io/nifti-write.js';
import {withTempDir} from './helpers.js';

/** A deterministic pseudo-random byte stream (xorshift32). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * int16-like noisy data: a smooth high byte and a random low byte, which
 * deflate codes in dynamic blocks at about 1.6:1, like a BOLD run.
 */
function noisyInt16(values: number, seed = 7): Int16Array {
  const next = random(seed);
  const out = new Int16Array(values);
  for (let i = 0; i < values; i++) {
    out[i] = 800 + Math.round(200 * Math.sin(i / 5000)) + (next() & 255);
  }
  return out;
}

function bytesOf(a: Int16Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const BIG = bytesOf(noisyInt16(4_000_000));
const BIG_GZ = gzipSync(BIG, {level: 6});

void test('the gzip layout: deflate body after the header, CRC and ISIZE from the trailer', () => {
  const m = parseGzip(BIG_GZ)!;
  assert.equal(m.body, 10);
  assert.equal(m.trailer, BIG_GZ.length - 8);
  assert.equal(m.isize, BIG.length);
  // FNAME: the body starts after the zero-terminated name.
  const text = Buffer.from('hello, gzip');
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(text), 0);
  trailer.writeUInt32LE(text.length, 4);
  const named = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]),
    Buffer.from('run.nii\0', 'latin1'),
    deflateRawSync(text),
    trailer,
  ]);
  assert.equal(parseGzip(named)!.body, 18);
  assert.ok(gunzipSync(named).equals(text));
  assert.equal(parseGzip(named.subarray(0, 12)), undefined);
});

void test('a block start is recognised; random positions are not', () => {
  // A raw deflate stream starts with a block header; big data: not final.
  const raw = deflateRawSync(BIG.subarray(0, 1 << 20));
  assert.equal(plausibleDynamicBlock(raw, 0, raw.length), true);
  const next = random(3);
  const junk = Buffer.alloc(1 << 16);
  for (let i = 0; i < junk.length; i++) junk[i] = next() & 255;
  let hits = 0;
  for (let q = 0; q < junk.length - 300; q++) {
    if (plausibleDynamicBlock(junk, q, junk.length)) hits++;
  }
  assert.ok(hits <= 1, `${hits} false block starts in 64 KiB of noise`);
});

void test('two-core inflate gives exactly what zlib gives, in pieces', async () => {
  assert.ok(BIG_GZ.length >= 4 << 20, `${BIG_GZ.length} bytes compressed`);
  const pieces = await gunzipChunks(BIG_GZ, 'big.gz', {parallel: true});
  assert.ok(pieces.length >= 2, 'the parallel path was taken');
  assert.ok(Buffer.concat(pieces).equals(BIG));
  assert.ok(
    (await gunzipWhole(BIG_GZ, 'big.gz', {parallel: true})).equals(BIG),
  );
  const serial = await gunzipChunks(BIG_GZ, 'big.gz', {parallel: false});
  assert.equal(serial.length, 1);
  assert.ok(serial[0]!.equals(BIG));
});

void test('long-range copies through the cut still come out exact', async () => {
  // Each 30000-byte block is the previous one with 1 byte in 16 changed, so
  // part B keeps copying (through itself) from bytes before the cut.
  const next = random(11);
  const block = 30000;
  const data = Buffer.alloc(block * 1100);
  for (let i = 0; i < block; i++) data[i] = next() & 255;
  for (let i = block; i < data.length; i++) {
    data[i] = (next() & 15) === 0 ? next() & 255 : data[i - block]!;
  }
  const gz = gzipSync(data, {level: 6});
  assert.ok(gz.length >= 4 << 20, `${gz.length} bytes compressed`);
  const out = await gunzipWhole(gz, 'chain.gz', {parallel: true});
  assert.ok(out.equals(data));
});

void test('several gzip members fall back to one plain inflate', async () => {
  const half = BIG.length / 2;
  const gz = Buffer.concat([
    gzipSync(BIG.subarray(0, half)),
    gzipSync(BIG.subarray(half)),
  ]);
  assert.ok((await gunzipWhole(gz, 'two.gz', {parallel: true})).equals(BIG));
  assert.ok(gunzipSync(gz).equals(BIG));
});

void test('corruption past the cut is a gzip FormatError naming the file', async () => {
  const gz = Buffer.from(BIG_GZ);
  for (let i = 0; i < 64; i++) gz[Math.floor(gz.length * 0.75) + i] = 0xff;
  await assert.rejects(
    gunzipWhole(gz, 'bad.nii.gz', {parallel: true}),
    (e: unknown) =>
      e instanceof FormatError && e.field === 'gzip' && e.file === 'bad.nii.gz',
  );
  const crc = Buffer.from(BIG_GZ);
  crc[crc.length - 8]! ^= 1;
  await assert.rejects(
    gunzipWhole(crc, 'crc.nii.gz', {parallel: true}),
    /crc\.nii\.gz: gzip/,
  );
});

void test('a big .nii.gz reads the same whole, frame by frame, on one or two cores', async () => {
  await withTempDir(async (dir) => {
    const shape = [64, 64, 30, 40];
    const data = noisyInt16(64 * 64 * 30 * 40, 5);
    const file = join(dir, 'big.nii.gz');
    await writeNifti1(file, {
      shape,
      affine: [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1],
      data,
      gzip: true,
    });
    for (const parallel of [true, false]) {
      const whole = await readNifti(file, {parallel});
      assert.ok(bytesOf(whole.data as Int16Array).equals(bytesOf(data)));
      const n = 64 * 64 * 30;
      let same = true;
      await readNiftiFrames(
        file,
        (frame, t) => {
          for (let i = 0; i < n; i++)
            if (frame[i] !== data[t * n + i]) same = false;
        },
        {parallel},
      );
      assert.ok(same, `frames (parallel ${parallel})`);
    }
    // A plain .nii is read straight into place too.
    const plain = join(dir, 'big.nii');
    await writeFile(plain, gunzipSync(await readFile(file)));
    assert.ok(
      bytesOf((await readNifti(plain)).data as Int16Array).equals(
        bytesOf(data),
      ),
    );
  });
});
