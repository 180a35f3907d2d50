import {readFile, writeFile} from 'node:fs/promises';

import {FormatError} from './format-error.js';

/** Typed arrays a bundle can hold. */
export type BundleArray = Float64Array | Float32Array | Int32Array | Uint8Array;

const MAGIC = 'NMBUNDL1';
const KINDS = {
  f8: Float64Array,
  f4: Float32Array,
  i4: Int32Array,
  u1: Uint8Array,
} as const;
type Kind = keyof typeof KINDS;

function kindOf(a: BundleArray): Kind {
  if (a instanceof Float64Array) return 'f8';
  if (a instanceof Float32Array) return 'f4';
  if (a instanceof Int32Array) return 'i4';
  return 'u1';
}

/**
 * Writes a JSON document plus named typed arrays as one file: the magic
 * "NMBUNDL1", a uint32 JSON length, the JSON (which lists each array's
 * kind, offset and length), then the arrays, each 8-byte aligned, so that
 * reading them back is one read and no parsing.
 */
export async function writeBundle(
  file: string,
  meta: Record<string, unknown>,
  arrays: Record<string, BundleArray>,
): Promise<void> {
  const index: Record<string, {kind: Kind; offset: number; length: number}> =
    {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    index[name] = {kind: kindOf(a), offset, length: a.length};
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const json = Buffer.from(JSON.stringify({meta, arrays: index}), 'utf8');
  const headLen = Math.ceil((12 + json.length) / 8) * 8;
  const out = Buffer.alloc(headLen + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  for (const [name, a] of Object.entries(arrays)) {
    const at = headLen + index[name]!.offset;
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
  }
  await writeFile(file, out);
}

/** Reads a bundle written by `writeBundle`. */
export async function readBundle(file: string): Promise<{
  meta: Record<string, unknown>;
  arrays: Record<string, BundleArray>;
}> {
  const bytes = await readFile(file);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) {
    throw new FormatError(
      file,
      'magic',
      `not a neuromake bundle (expected ${MAGIC})`,
    );
  }
  const jsonLen = bytes.readUInt32LE(8);
  if (12 + jsonLen > bytes.length)
    throw new FormatError(file, 'header', 'file is truncated');
  const head = JSON.parse(bytes.toString('utf8', 12, 12 + jsonLen)) as {
    meta: Record<string, unknown>;
    arrays: Record<string, {kind: Kind; offset: number; length: number}>;
  };
  const headLen = Math.ceil((12 + jsonLen) / 8) * 8;
  const arrays: Record<string, BundleArray> = {};
  for (const [name, {kind, offset, length}] of Object.entries(head.arrays)) {
    const Ctor = KINDS[kind];
    const start = headLen + offset;
    if (start + length * Ctor.BYTES_PER_ELEMENT > bytes.length) {
      throw new FormatError(file, name, 'array runs past the end of the file');
    }
    const a = new Ctor(length);
    new Uint8Array(a.buffer).set(bytes.subarray(start, start + a.byteLength));
    arrays[name] = a;
  }
  return {meta: head.meta, arrays};
}
