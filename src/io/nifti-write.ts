import {createWriteStream} from 'node:fs';
import {pipeline} from 'node:stream/promises';
import {createGzip} from 'node:zlib';

import {affineToQform, type Affine} from './nifti-affine.js';
import {
  NIFTI1_HEADER_SIZE,
  NIFTI_TYPE_FLOAT32,
  NIFTI_TYPE_FLOAT64,
  NIFTI_TYPE_INT16,
  NIFTI_TYPE_INT32,
  NIFTI_TYPE_INT8,
  NIFTI_TYPE_UINT16,
  NIFTI_TYPE_UINT32,
  NIFTI_TYPE_UINT8,
  NIFTI_UNITS_MM,
  NIFTI_UNITS_SEC,
  NIFTI_XFORM_SCANNER_ANAT,
} from './nifti-constants.js';
import type {VoxelArray} from './nifti-data.js';

/** What to write: geometry, datatype and either all data or frames. */
export interface NiftiWriteSpec {
  /** dim[1..], x fastest. */
  readonly shape: readonly number[];
  readonly affine: Affine;
  /**
   * The voxel values: one array in x-fastest order, or 3D frames in order
   * (an iterable, so a large 4D image need not be held at once).
   */
  readonly data: VoxelArray | Iterable<VoxelArray> | AsyncIterable<VoxelArray>;
  /** pixdim[4]: the time step in `timeUnits` (TR for fMRI). */
  readonly timeStep?: number;
  /** xyzt_units time code; default NIFTI_UNITS_SEC. */
  readonly timeUnits?: number;
  readonly sclSlope?: number;
  readonly sclInter?: number;
  readonly intentCode?: number;
  /** Up to 79 ASCII characters. */
  readonly descrip?: string;
  /** Applied to both sform_code and qform_code. */
  readonly xformCode?: number;
  /** Compress with gzip (otherwise a plain .nii). */
  readonly gzip: boolean;
  /** zlib level 1–9; default 6. */
  readonly gzipLevel?: number;
}

// TODO(#4): only NIfTI-1 is written; NIfTI-2 output is not needed yet.

/** The NIfTI-1 data type code for a typed array. */
function datatypeCode(data: VoxelArray): number {
  if (data instanceof Uint8Array) return NIFTI_TYPE_UINT8;
  if (data instanceof Int8Array) return NIFTI_TYPE_INT8;
  if (data instanceof Int16Array) return NIFTI_TYPE_INT16;
  if (data instanceof Uint16Array) return NIFTI_TYPE_UINT16;
  if (data instanceof Int32Array) return NIFTI_TYPE_INT32;
  if (data instanceof Uint32Array) return NIFTI_TYPE_UINT32;
  if (data instanceof Float32Array) return NIFTI_TYPE_FLOAT32;
  return NIFTI_TYPE_FLOAT64;
}

/**
 * Builds a 352-byte little-endian NIfTI-1 header (348 + empty extender)
 * with the affine in the sform and, as nearly as a rotation allows, in the
 * qform too.
 */
function buildNifti1Header(
  spec: Omit<NiftiWriteSpec, 'data' | 'gzip'>,
  datatype: number,
  bytesPer: number,
): Buffer {
  if (spec.shape.length < 1 || spec.shape.length > 7) {
    throw new Error(`cannot write ${spec.shape.length} dimensions`);
  }
  const buf = Buffer.alloc(NIFTI1_HEADER_SIZE + 4);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  v.setInt32(0, NIFTI1_HEADER_SIZE, true);
  v.setUint8(38, 'r'.charCodeAt(0));
  v.setInt16(40, spec.shape.length, true);
  for (let i = 0; i < 7; i++) {
    v.setInt16(42 + 2 * i, spec.shape[i] ?? 1, true);
  }
  v.setInt16(68, spec.intentCode ?? 0, true);
  v.setInt16(70, datatype, true);
  v.setInt16(72, bytesPer * 8, true);
  const q = affineToQform(spec.affine);
  v.setFloat32(76, q.qfac, true);
  for (let i = 0; i < 3; i++) v.setFloat32(80 + 4 * i, q.zooms[i]!, true);
  v.setFloat32(92, spec.timeStep ?? 0, true);
  for (let i = 4; i < 7; i++) v.setFloat32(80 + 4 * i, 1, true);
  v.setFloat32(108, NIFTI1_HEADER_SIZE + 4, true);
  v.setFloat32(112, spec.sclSlope ?? 1, true);
  v.setFloat32(116, spec.sclInter ?? 0, true);
  v.setUint8(123, NIFTI_UNITS_MM | (spec.timeUnits ?? NIFTI_UNITS_SEC));
  const descrip = (spec.descrip ?? '').slice(0, 79);
  buf.write(descrip.replace(/[^\x20-\x7e]/g, '?'), 148, 'latin1');
  const code = spec.xformCode ?? NIFTI_XFORM_SCANNER_ANAT;
  v.setInt16(252, code, true);
  v.setInt16(254, code, true);
  for (let i = 0; i < 3; i++) {
    v.setFloat32(256 + 4 * i, q.quatern[i]!, true);
    v.setFloat32(268 + 4 * i, q.qoffset[i]!, true);
  }
  for (let i = 0; i < 12; i++) {
    v.setFloat32(280 + 4 * i, spec.affine[i]!, true);
  }
  buf.write('n+1\0', 344, 'latin1');
  return buf;
}

/** Writes a NIfTI-1 single file (.nii, or .nii.gz when `gzip`). */
export async function writeNifti1(
  file: string,
  spec: NiftiWriteSpec,
): Promise<void> {
  const expected = spec.shape.reduce((a, b) => a * b, 1);
  const chunks = dataChunks(spec.data);
  // The datatype comes from the first array; later frames must match.
  const first = await chunks.next();
  if (first.done === true) throw new Error(`${file}: no data to write`);
  const datatype = datatypeCode(first.value);
  const bytesPer = first.value.BYTES_PER_ELEMENT;
  const header = buildNifti1Header(spec, datatype, bytesPer);
  async function* body(): AsyncGenerator<Buffer> {
    yield header;
    let written = 0;
    let item: IteratorResult<VoxelArray> = first;
    while (item.done !== true) {
      const arr = item.value;
      if (datatypeCode(arr) !== datatype) {
        throw new Error(`${file}: frames of different datatypes`);
      }
      written += arr.length;
      yield Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
      item = await chunks.next();
    }
    if (written !== expected) {
      throw new Error(
        `${file}: shape [${spec.shape.join(', ')}] needs ${expected} values, got ${written}`,
      );
    }
  }
  const out = createWriteStream(file);
  if (spec.gzip) {
    const gz = createGzip({level: spec.gzipLevel ?? 6, chunkSize: 1 << 20});
    await pipeline(body(), gz, out);
  } else {
    await pipeline(body(), out);
  }
}

async function* dataChunks(
  data: NiftiWriteSpec['data'],
): AsyncGenerator<VoxelArray> {
  if (ArrayBuffer.isView(data)) {
    yield data;
    return;
  }
  for await (const frame of data) yield frame;
}
