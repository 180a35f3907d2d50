import {FormatError} from './format-error.js';
import {
  NIFTI1_HEADER_SIZE,
  NIFTI2_HEADER_SIZE,
  SUPPORTED_DATATYPES,
  UNSUPPORTED_DATATYPE_NAMES,
  type DatatypeInfo,
} from './nifti-constants.js';

/** A NIfTI extension block (between the header and the data). */
export interface NiftiExtension {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The fields of a NIfTI-1 or NIfTI-2 header that this project uses. */
export interface NiftiHeader {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  /** Header and data in one file (n+1, n+2) or an .hdr/.img pair. */
  readonly singleFile: boolean;
  /** dim[1..dim[0]]: the used dimensions, x fastest. */
  readonly shape: readonly number[];
  readonly datatype: number;
  readonly datatypeInfo: DatatypeInfo;
  readonly bitpix: number;
  /** pixdim[0..7] as stored (pixdim[0] is qfac). */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly intentCode: number;
  readonly descrip: string;
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  readonly quatern: readonly [number, number, number];
  readonly qoffset: readonly [number, number, number];
  /** srow_x, srow_y, srow_z, 12 numbers, row-major. */
  readonly srow: readonly number[];
  readonly extensions: readonly NiftiExtension[];
}

/** How many bytes must be present to parse the fixed part of a header. */
export const HEADER_PROBE_BYTES = NIFTI2_HEADER_SIZE + 4;

/** Largest accepted length of one dimension; real images are far smaller. */
const MAX_DIM = 1 << 24;
/** Largest accepted data size, 1 TiB: anything above is a corrupt header. */
const MAX_DATA_BYTES = 2 ** 40;

/**
 * Parses a header from the first bytes of a file. `bytes` must hold the
 * whole header and, for a single file, everything up to vox_offset when
 * extensions are present (pass what is available; missing bytes give an
 * error naming the field). `file` only appears in error messages.
 */
export function parseNiftiHeader(
  bytes: Uint8Array,
  file: string,
  withExtensions = true,
): NiftiHeader {
  if (bytes.length < 4) {
    throw new FormatError(file, 'sizeof_hdr', 'file is shorter than 4 bytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  const sizeofHdr = [NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE].includes(le)
    ? le
    : be;
  const littleEndian = sizeofHdr === le;
  if (sizeofHdr !== NIFTI1_HEADER_SIZE && sizeofHdr !== NIFTI2_HEADER_SIZE) {
    throw new FormatError(
      file,
      'sizeof_hdr',
      `is ${le} (byte-swapped ${be}); a NIfTI-1 header has 348, NIfTI-2 540`,
    );
  }
  if (bytes.length < sizeofHdr) {
    throw new FormatError(
      file,
      'header',
      `file ends after ${bytes.length} bytes, inside the ${sizeofHdr}-byte header`,
    );
  }
  const fields =
    sizeofHdr === NIFTI1_HEADER_SIZE
      ? readV1(view, littleEndian, file)
      : readV2(view, littleEndian, file);
  const datatypeInfo = checkDatatype(fields.datatype, file);
  const shape = checkDims(fields.dim, datatypeInfo.bytes, file);
  const voxOffset = checkVoxOffset(fields, sizeofHdr, file);
  const extensions = !withExtensions
    ? []
    : readExtensions(
        bytes,
        view,
        littleEndian,
        sizeofHdr,
        fields.singleFile ? voxOffset : bytes.length,
        file,
      );
  const rawSlope = fields.sclSlope;
  // Slope 0 (or NaN/inf) means "no scaling" in the standard.
  const scaled = rawSlope !== 0 && Number.isFinite(rawSlope);
  return {
    version: sizeofHdr === NIFTI1_HEADER_SIZE ? 1 : 2,
    littleEndian,
    singleFile: fields.singleFile,
    shape,
    datatype: fields.datatype,
    datatypeInfo,
    bitpix: fields.bitpix,
    pixdim: fields.pixdim,
    voxOffset,
    sclSlope: scaled ? rawSlope : 1,
    sclInter: scaled && Number.isFinite(fields.sclInter) ? fields.sclInter : 0,
    xyztUnits: fields.xyztUnits,
    intentCode: fields.intentCode,
    descrip: fields.descrip,
    qformCode: fields.qformCode,
    sformCode: fields.sformCode,
    quatern: fields.quatern,
    qoffset: fields.qoffset,
    srow: fields.srow,
    extensions,
  };
}

/** Number of data elements the header's dims describe. */
function elementCount(header: NiftiHeader): number {
  return header.shape.reduce((a, b) => a * b, 1);
}

/** Bytes of image data the header's dims and datatype describe. */
export function dataByteLength(header: NiftiHeader): number {
  return elementCount(header) * header.datatypeInfo.bytes;
}

interface RawFields {
  singleFile: boolean;
  dim: number[];
  datatype: number;
  bitpix: number;
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  intentCode: number;
  descrip: string;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  srow: number[];
}

/** `n` values read by `get` at offsets `o`, `o + step`, … */
function range(
  o: number,
  n: number,
  step: number,
  get: (o: number) => number,
): number[] {
  return Array.from({length: n}, (_, i) => get(o + i * step));
}

function readV1(view: DataView, le: boolean, file: string): RawFields {
  const magic = latin1(view, 344, 4);
  if (magic !== 'n+1' && magic !== 'ni1') {
    throw new FormatError(
      file,
      'magic',
      `is ${JSON.stringify(magic)}, expected "n+1" or "ni1" (plain Analyze 7.5 is not read)`,
    );
  }
  const i16 = (o: number) => view.getInt16(o, le);
  const f32 = (o: number) => view.getFloat32(o, le);
  return {
    singleFile: magic === 'n+1',
    dim: range(40, 8, 2, i16),
    datatype: i16(70),
    bitpix: i16(72),
    pixdim: range(76, 8, 4, f32),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: view.getUint8(123),
    intentCode: i16(68),
    descrip: latin1(view, 148, 80),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: range(280, 12, 4, f32),
  };
}

function readV2(view: DataView, le: boolean, file: string): RawFields {
  const magic = latin1(view, 4, 8);
  if (magic !== 'n+2' && magic !== 'ni2') {
    throw new FormatError(
      file,
      'magic',
      `is ${JSON.stringify(magic)}, expected "n+2" or "ni2"`,
    );
  }
  const i64 = (o: number) => Number(view.getBigInt64(o, le));
  const f64 = (o: number) => view.getFloat64(o, le);
  const i32 = (o: number) => view.getInt32(o, le);
  return {
    singleFile: magic === 'n+2',
    dim: range(16, 8, 8, i64),
    datatype: view.getInt16(12, le),
    bitpix: view.getInt16(14, le),
    pixdim: range(104, 8, 8, f64),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    xyztUnits: i32(500),
    intentCode: i32(504),
    descrip: latin1(view, 240, 80),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: range(400, 12, 8, f64),
  };
}

/** Reads a NUL-terminated fixed-width string. */
function latin1(view: DataView, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const c = view.getUint8(offset + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function checkDatatype(code: number, file: string): DatatypeInfo {
  const info = SUPPORTED_DATATYPES.get(code);
  if (info !== undefined) return info;
  const known = UNSUPPORTED_DATATYPE_NAMES.get(code);
  throw new FormatError(
    file,
    'datatype',
    known === undefined
      ? `code ${code} is not a NIfTI datatype`
      : `code ${code} (${known}) is not supported; supported: uint8, int8, int16, uint16, int32, uint32, float32, float64`,
  );
}

function checkDims(dim: number[], bytesPer: number, file: string): number[] {
  const ndim = dim[0] ?? 0;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    throw new FormatError(file, 'dim[0]', `is ${ndim}, must be 1 to 7`);
  }
  const shape = dim.slice(1, ndim + 1);
  let total = bytesPer;
  for (const [i, n] of shape.entries()) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_DIM) {
      throw new FormatError(
        file,
        `dim[${i + 1}]`,
        `is ${n}; each used dimension must be 1 to ${MAX_DIM}`,
      );
    }
    total *= n;
  }
  if (total > MAX_DATA_BYTES) {
    throw new FormatError(
      file,
      'dim',
      `[${shape.join(', ')}] describes ${total} bytes of data, an absurd size`,
    );
  }
  // Trailing singleton time/extra dims carry no information; drop them so a
  // 3D image stored with dim[0] = 4 and dim[4] = 1 reads as 3D.
  while (shape.length > 3 && shape[shape.length - 1] === 1) shape.pop();
  return shape;
}

function checkVoxOffset(f: RawFields, sizeofHdr: number, file: string): number {
  const v = f.voxOffset;
  if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) {
    throw new FormatError(file, 'vox_offset', `is ${v}, not a byte offset`);
  }
  if (f.singleFile && v < sizeofHdr) {
    throw new FormatError(
      file,
      'vox_offset',
      `is ${v}, inside the ${sizeofHdr}-byte header`,
    );
  }
  return v;
}

function readExtensions(
  bytes: Uint8Array,
  view: DataView,
  le: boolean,
  sizeofHdr: number,
  end: number,
  file: string,
): NiftiExtension[] {
  // The 4-byte "extender" follows the header; byte 0 non-zero means
  // extensions follow, each [esize int32, ecode int32, data].
  if (bytes.length < sizeofHdr + 4 || end < sizeofHdr + 4) return [];
  if (view.getUint8(sizeofHdr) === 0) return [];
  const out: NiftiExtension[] = [];
  let pos = sizeofHdr + 4;
  while (pos + 8 <= end) {
    if (pos + 8 > bytes.length) {
      throw new FormatError(file, 'extension', 'file ends inside an extension');
    }
    const esize = view.getInt32(pos, le);
    const code = view.getInt32(pos + 4, le);
    if (esize < 16 || esize % 16 !== 0 || pos + esize > end) {
      throw new FormatError(
        file,
        'extension esize',
        `is ${esize} at byte ${pos}; must be a multiple of 16 that fits before vox_offset ${end}`,
      );
    }
    if (pos + esize > bytes.length) {
      throw new FormatError(file, 'extension', 'file ends inside an extension');
    }
    out.push({code, data: bytes.slice(pos + 8, pos + esize)});
    pos += esize;
  }
  return out;
}
