import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {gunzipSync, gzipSync} from 'node:zlib';

import {FormatError} from '../../src/io/format-error.js';
import {readNifti} from '../../src/io/nifti-read.js';
import {fixture, withTempDir} from './helpers.js';

/** The uncompressed bytes of the int16 fixture (4×3×2×5, vox_offset 352). */
async function goodBytes(): Promise<Buffer> {
  return gunzipSync(await readFile(fixture('tiny-int16.nii.gz')));
}

/** Writes `bytes` to a temp file and expects readNifti to fail on `field`. */
async function expectFailure(
  name: string,
  bytes: Buffer,
  field: RegExp,
): Promise<void> {
  await withTempDir(async (dir) => {
    const file = join(dir, name);
    await writeFile(file, bytes);
    await assert.rejects(readNifti(file), (e: unknown) => {
      assert.ok(
        e instanceof FormatError,
        `expected a FormatError, got ${String(e)}`,
      );
      assert.ok(
        e.message.includes(file),
        `message names the file: ${e.message}`,
      );
      assert.match(e.field, field);
      return true;
    });
  });
}

void test('a file shorter than the header names the header', async () => {
  await expectFailure(
    'short.nii',
    (await goodBytes()).subarray(0, 200),
    /header/,
  );
});

void test('an empty file names sizeof_hdr', async () => {
  await expectFailure('empty.nii', Buffer.alloc(0), /sizeof_hdr/);
});

void test('a bad sizeof_hdr is reported with the value found', async () => {
  const b = await goodBytes();
  b.writeInt32LE(123, 0);
  await expectFailure('sizeof.nii', b, /sizeof_hdr/);
});

void test('a bad magic is reported', async () => {
  const b = await goodBytes();
  b.write('xyz\0', 344, 'latin1');
  await expectFailure('magic.nii', b, /magic/);
});

void test('data shorter than the dims say (plain file)', async () => {
  const b = await goodBytes();
  await expectFailure('shortdata.nii', b.subarray(0, b.length - 10), /^data$/);
});

void test('data shorter than the dims say (gzip file, checked after inflating)', async () => {
  const b = await goodBytes();
  await expectFailure(
    'shortdata.nii.gz',
    gzipSync(b.subarray(0, b.length - 10)),
    /^data$/,
  );
});

void test('non-positive dims name the dim', async () => {
  const b = await goodBytes();
  b.writeInt16LE(0, 44); // dim[2]
  await expectFailure('zerodim.nii', b, /dim\[2\]/);
  b.writeInt16LE(-4, 44);
  await expectFailure('negdim.nii', b, /dim\[2\]/);
});

void test('dim[0] outside 1..7 is refused', async () => {
  const b = await goodBytes();
  b.writeInt16LE(9, 40);
  await expectFailure('dim0.nii', b, /dim\[0\]/);
});

void test('absurd dims are refused before allocating', async () => {
  const b = await goodBytes();
  for (let i = 1; i <= 4; i++) b.writeInt16LE(30000, 40 + 2 * i);
  await expectFailure('huge.nii.gz', gzipSync(b), /dim/);
  await expectFailure('huge.nii', b, /data|dim/);
});

void test('a truncated gzip stream is a gzip error, not a hang', async () => {
  const gz = await readFile(fixture('tiny-int16.nii.gz'));
  await expectFailure(
    'trunc.nii.gz',
    gz.subarray(0, gz.length - 20),
    /gzip|data/,
  );
});

void test('corrupt gzip data is a gzip error', async () => {
  const gz = Buffer.from(await readFile(fixture('tiny-int16.nii.gz')));
  for (let i = 30; i < 60; i++) gz[i] = 0xff;
  await expectFailure('corrupt.nii.gz', gz, /gzip/);
});

void test('an unsupported datatype names its code', async () => {
  const b = await goodBytes();
  b.writeInt16LE(32, 70); // complex64
  await expectFailure('complex.nii', b, /datatype/);
  await withTempDir(async (dir) => {
    const file = join(dir, 'rgb.nii');
    b.writeInt16LE(128, 70);
    await writeFile(file, b);
    await assert.rejects(
      readNifti(file),
      /code 128 \(rgb24\) is not supported/,
    );
  });
});

void test('vox_offset beyond the end of the file is reported', async () => {
  const b = await goodBytes();
  b.writeFloatLE(1e6, 108);
  await expectFailure('voxoff.nii', b, /vox_offset|data/);
});

void test('a corrupt extension size is reported', async () => {
  const b = await readFile(fixture('tiny-qform-msec-ext.nii'));
  const c = Buffer.from(b);
  c.writeInt32LE(7, 352);
  await expectFailure('ext.nii', c, /extension/);
});
