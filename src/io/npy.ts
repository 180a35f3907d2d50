import {open, readFile, writeFile} from 'node:fs/promises';

import {FormatError} from './format-error.js';

/** Element types this module writes and reads. */
export type NpyArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** An array loaded from .npy: C-order data and its shape. */
export interface NpyData {
  readonly shape: readonly number[];
  readonly data: NpyArray;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

const DESCR: readonly [string, (n: number) => NpyArray, number][] = [
  ['<f4', (n) => new Float32Array(n), 4],
  ['<f8', (n) => new Float64Array(n), 8],
  ['<i4', (n) => new Int32Array(n), 4],
  ['|u1', (n) => new Uint8Array(n), 1],
];

function descrOf(data: NpyArray): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  return '|u1';
}

/**
 * Encodes a C-order array as .npy format version 1.0: magic, version,
 * little-endian header length, then a Python dict literal padded with
 * spaces so that the data start at a multiple of 64 bytes.
 */
export function encodeNpyHeader(
  descr: string,
  shape: readonly number[],
): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const text = dict + ' '.repeat(pad) + '\n';
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, 'latin1')]);
}

/** Writes `data` with `shape` as an .npy file that numpy.load reads. */
export async function writeNpy(
  file: string,
  data: NpyArray,
  shape: readonly number[],
): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new Error(
      `${file}: shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`,
    );
  }
  const header = encodeNpyHeader(descrOf(data), shape);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  await writeFile(file, Buffer.concat([header, body]));
}

/** Reads only the shape and dtype of an .npy file. */
export async function readNpyShape(
  file: string,
): Promise<{shape: number[]; descr: string}> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const {bytesRead} = await handle.read(head, 0, head.length, 0);
    const parsed = parseHeader(head.subarray(0, bytesRead), file);
    return {shape: parsed.shape, descr: parsed.descr};
  } finally {
    await handle.close();
  }
}

/** Reads an .npy file of float32, float64, int32 or uint8 in C order. */
export async function readNpy(file: string): Promise<NpyData> {
  const bytes = await readFile(file);
  const {shape, descr, dataOffset} = parseHeader(bytes, file);
  const kind = DESCR.find(([d]) => d === descr);
  if (kind === undefined) {
    throw new FormatError(
      file,
      'descr',
      `${descr} is not supported (use <f4, <f8, <i4 or |u1)`,
    );
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const need = n * kind[2];
  if (bytes.length - dataOffset < need) {
    throw new FormatError(
      file,
      'data',
      `holds ${bytes.length - dataOffset} bytes, shape (${shape.join(', ')}) needs ${need}`,
    );
  }
  const data = kind[1](n);
  new Uint8Array(data.buffer).set(
    bytes.subarray(dataOffset, dataOffset + need),
  );
  return {shape, data};
}

function parseHeader(
  bytes: Buffer,
  file: string,
): {shape: number[]; descr: string; dataOffset: number} {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) {
    throw new FormatError(file, 'magic', 'not an .npy file');
  }
  const major = bytes[6]!;
  const lenBytes = major === 1 ? 2 : 4;
  const len = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = 8 + lenBytes;
  if (bytes.length < start + len) {
    throw new FormatError(file, 'header', 'file ends inside the header');
  }
  const text = bytes.subarray(start, start + len).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FormatError(
      file,
      'header',
      `cannot parse ${JSON.stringify(text)}`,
    );
  }
  if (fortran === 'True') {
    throw new FormatError(
      file,
      'fortran_order',
      'Fortran-order arrays are not read',
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return {shape, descr, dataOffset: start + len};
}
