import {open, readFile, stat} from 'node:fs/promises';
import {constants as bufferConstants} from 'node:buffer';
import {constants as zlibConstants, gunzipSync} from 'node:zlib';

import {ByteSource} from './byte-source.js';
import {FormatError} from './format-error.js';
import {
  gunzipChunks,
  gunzipWhole,
  gzipError,
  type GunzipOptions,
} from './gunzip.js';
import {
  HOST_LITTLE_ENDIAN,
  swapBytes,
  viewAs,
  type VoxelArray,
} from './nifti-data.js';
import {
  HEADER_PROBE_BYTES,
  dataByteLength,
  parseNiftiHeader,
  type NiftiHeader,
} from './nifti-header.js';

/** A NIfTI image in memory: the header and the stored (unscaled) values. */
export interface NiftiImage {
  readonly file: string;
  readonly header: NiftiHeader;
  /** Stored values in native byte order; scale with scl_slope/scl_inter. */
  readonly data: VoxelArray;
}

/** deflate cannot expand data by more than about 1032:1. */
const MAX_INFLATE_RATIO = 1040;

/** Compressed (or plain) bytes read to find the header cheaply. */
const HEADER_PREFIX_BYTES = 16 << 10;
/**
 * Files up to this size are read and inflated whole, in one zlib call
 * (two cores for big gzip files), rather than streamed: a ds000212 run is
 * 24 MB gzipped. Bigger ones (a 1024-map atlas) stream frame by frame.
 */
const WHOLE_FILE_MAX_BYTES = 512 << 20;

/** Reads only the header (and extensions) of a NIfTI file or pair. */
export async function readNiftiHeader(file: string): Promise<NiftiHeader> {
  const {headerFile} = pairFiles(file);
  const quick = await headerFromPrefix(headerFile);
  if (quick !== undefined) return quick;
  const source = await ByteSource.open(headerFile);
  try {
    return await readHeaderFrom(source);
  } finally {
    await source.close();
  }
}

/**
 * The header from the first 16 KiB of the file (inflated when gzipped),
 * or undefined when the header and its extensions run further.
 */
async function headerFromPrefix(
  file: string,
): Promise<NiftiHeader | undefined> {
  const handle = await open(file, 'r');
  let prefix: Buffer;
  try {
    const buf = Buffer.alloc(HEADER_PREFIX_BYTES);
    const {bytesRead} = await handle.read(buf, 0, buf.length, 0);
    prefix = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b) {
    try {
      // A prefix of the stream: flush what it holds, no end-of-file error.
      prefix = gunzipSync(prefix, {finishFlush: zlibConstants.Z_SYNC_FLUSH});
    } catch (e) {
      throw gzipError(file, e);
    }
  }
  const probe = parseNiftiHeader(prefix, file, false);
  if (probe.singleFile && probe.voxOffset > prefix.length) return undefined;
  return parseNiftiHeader(prefix, file);
}

/**
 * Reads a whole NIfTI-1/2 image (.nii, .nii.gz, .hdr/.img pair, either byte
 * order). Gzip is detected by content and inflated by node:zlib into one
 * buffer that then holds the data (no second copy when vox_offset is
 * aligned, as it always is for real files).
 */
export async function readNifti(
  file: string,
  options: GunzipOptions = {},
): Promise<NiftiImage> {
  const {dataFile} = pairFiles(file);
  if ((await stat(dataFile)).size > WHOLE_FILE_MAX_BYTES) {
    return readNiftiStreamed(file);
  }
  const {header, pieces} = await readWhole(file, true, options);
  const bytes = byteRange(pieces, header.voxOffset, dataByteLength(header));
  fixByteOrder(header, bytes);
  return {file, header, data: typedView(header, bytes)};
}

/** The stored values as a typed array over `bytes` (copied if unaligned). */
function typedView(header: NiftiHeader, bytes: Uint8Array): VoxelArray {
  const width = header.datatypeInfo.bytes;
  if (bytes.byteOffset % width === 0) {
    return viewAs(
      header.datatypeInfo.name,
      bytes.buffer as ArrayBuffer,
      bytes.byteOffset,
      bytes.length / width,
    );
  }
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  return viewAs(header.datatypeInfo.name, own.buffer);
}

/**
 * Reads a file (or pair) whole: the header, and the decompressed file as
 * consecutive pieces (one when `contiguous`), checked against the dims.
 */
async function readWhole(
  file: string,
  contiguous: boolean,
  options: GunzipOptions,
): Promise<{header: NiftiHeader; pieces: Buffer[]}> {
  const {headerFile, dataFile} = pairFiles(file);
  const raw = await readFile(dataFile);
  const gzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  let pieces: Buffer[] = [raw];
  if (gzip) {
    pieces = contiguous
      ? [await gunzipWhole(raw, dataFile, options)]
      : await gunzipChunks(raw, dataFile, options);
  }
  let header: NiftiHeader;
  if (headerFile === dataFile) {
    // The first piece holds at least 32 KiB: the header, bar huge extensions.
    const first = pieces[0]!;
    const start =
      pieces.length === 1 || first.length >= HEADER_PREFIX_BYTES
        ? first
        : Buffer.concat(pieces);
    header = parseNiftiHeader(start, file, false);
    header = parseNiftiHeader(
      header.voxOffset <= start.length ? start : Buffer.concat(pieces),
      file,
    );
    if (!header.singleFile) {
      throw new FormatError(
        file,
        'magic',
        'says the data are in a separate .img file, but this is not an .hdr',
      );
    }
  } else {
    header = await readNiftiHeader(headerFile);
  }
  checkDataSize(dataFile, header, gzip, raw.length);
  let total = 0;
  for (const p of pieces) total += p.length;
  const got = Math.max(0, total - header.voxOffset);
  if (got < dataByteLength(header)) throw shortData(dataFile, header, got);
  return {header, pieces};
}

/**
 * Bytes [start, start + length) of consecutive pieces: a view when they
 * lie in one piece, else a copy.
 */
function byteRange(
  pieces: readonly Buffer[],
  start: number,
  length: number,
): Uint8Array {
  let at = 0;
  for (const [i, p] of pieces.entries()) {
    if (start < at + p.length) {
      const from = start - at;
      if (from + length <= p.length || i === pieces.length - 1) {
        return p.subarray(from, from + length);
      }
      const out = new Uint8Array(length);
      let done = 0;
      for (let k = i; k < pieces.length && done < length; k++) {
        const piece = pieces[k]!;
        const part = piece.subarray(k === i ? from : 0);
        const n = Math.min(part.length, length - done);
        out.set(part.subarray(0, n), done);
        done += n;
      }
      return out;
    }
    at += p.length;
  }
  return new Uint8Array(0);
}

/** Reads a whole image through the streaming source (files too big to read at once). */
async function readNiftiStreamed(file: string): Promise<NiftiImage> {
  const {header, source, dataFile} = await openData(file);
  try {
    const bytes = dataByteLength(header);
    if (bytes > bufferConstants.MAX_LENGTH) {
      throw new FormatError(
        dataFile,
        'dim',
        `[${header.shape.join(', ')}] needs ${bytes} bytes, more than one buffer holds; read it frame by frame`,
      );
    }
    const buffer = new ArrayBuffer(bytes);
    const target = new Uint8Array(buffer);
    const got = await source.readInto(target);
    if (got < bytes) throw shortData(dataFile, header, got);
    fixByteOrder(header, target);
    return {file, header, data: viewAs(header.datatypeInfo.name, buffer)};
  } finally {
    await source.close();
  }
}

/** Options of `readNiftiFrames`. */
export interface FrameReadOptions extends GunzipOptions {
  /**
   * The file's header as `readNiftiHeader` gives it, when the caller has
   * read it already: it is not read again to choose how to read the data.
   */
  readonly header?: NiftiHeader;
}

/**
 * Streams a 4D (or 3D) image one 3D frame at a time, so that an image much
 * larger than memory (a 1024-map atlas at 2 mm is 5.4 GB) can be consumed.
 * Files up to 512 MiB are read whole instead (faster: one inflate call, on
 * two cores) and frames are views into them. Either way, copy what you
 * keep of a frame: the array may be reused or belong to the whole image.
 */
export async function readNiftiFrames(
  file: string,
  onFrame: (frame: VoxelArray, index: number) => void | Promise<void>,
  options: FrameReadOptions = {},
): Promise<NiftiHeader> {
  const {dataFile} = pairFiles(file);
  if ((await stat(dataFile)).size <= WHOLE_FILE_MAX_BYTES) {
    const probe = options.header ?? (await readNiftiHeader(file));
    if (dataByteLength(probe) <= WHOLE_FILE_MAX_BYTES) {
      return framesOfWhole(file, onFrame, options);
    }
  }
  const {header, source} = await openData(file);
  try {
    const [nx = 1, ny = 1, nz = 1, ...rest] = header.shape;
    const frames = rest.reduce((a, b) => a * b, 1);
    const frameBytes = nx * ny * nz * header.datatypeInfo.bytes;
    const buffer = new ArrayBuffer(frameBytes);
    const target = new Uint8Array(buffer);
    const view = viewAs(header.datatypeInfo.name, buffer);
    for (let t = 0; t < frames; t++) {
      const got = await source.readInto(target);
      if (got < frameBytes) {
        throw shortData(source.file, header, t * frameBytes + got);
      }
      fixByteOrder(header, target);
      await onFrame(view, t);
    }
    return header;
  } finally {
    await source.close();
  }
}

/** `readNiftiFrames` over an image read whole: frames are views, no copies. */
async function framesOfWhole(
  file: string,
  onFrame: (frame: VoxelArray, index: number) => void | Promise<void>,
  options: GunzipOptions,
): Promise<NiftiHeader> {
  const {header, pieces} = await readWhole(file, false, options);
  const [nx = 1, ny = 1, nz = 1, ...rest] = header.shape;
  const frames = rest.reduce((a, b) => a * b, 1);
  const frameBytes = nx * ny * nz * header.datatypeInfo.bytes;
  for (let t = 0; t < frames; t++) {
    const bytes = byteRange(
      pieces,
      header.voxOffset + t * frameBytes,
      frameBytes,
    );
    fixByteOrder(header, bytes);
    await onFrame(typedView(header, bytes), t);
  }
  return header;
}

/** The header and data files of a single file or an .hdr/.img pair. */
function pairFiles(file: string): {
  headerFile: string;
  dataFile: string;
} {
  const m = /^(.*)\.(hdr|img)(\.gz)?$/i.exec(file);
  if (m === null) return {headerFile: file, dataFile: file};
  const [, stem, , gz = ''] = m;
  return {headerFile: `${stem}.hdr${gz}`, dataFile: `${stem}.img${gz}`};
}

async function openData(file: string): Promise<{
  header: NiftiHeader;
  source: ByteSource;
  dataFile: string;
}> {
  const {headerFile, dataFile} = pairFiles(file);
  let source = await ByteSource.open(headerFile);
  let header: NiftiHeader;
  try {
    header = await readHeaderFrom(source);
    if (!header.singleFile) {
      if (headerFile === dataFile) {
        throw new FormatError(
          file,
          'magic',
          'says the data are in a separate .img file, but this is not an .hdr',
        );
      }
      await source.close();
      source = await ByteSource.open(dataFile);
    }
    const skipped = header.voxOffset - source.position;
    if (skipped > 0 && (await source.skip(skipped)) < skipped) {
      throw new FormatError(
        dataFile,
        'vox_offset',
        `is ${header.voxOffset}, beyond the end of the file`,
      );
    }
    await checkPlausibleSize(dataFile, source.gzip, header);
    return {header, source, dataFile};
  } catch (e) {
    await source.close();
    throw e;
  }
}

async function readHeaderFrom(source: ByteSource): Promise<NiftiHeader> {
  const have = await source.fill(HEADER_PROBE_BYTES);
  // A first pass without extensions tells how far the header runs.
  const probe = parseNiftiHeader(source.peek(have), source.file, false);
  const end = probe.singleFile ? probe.voxOffset : 1 << 20;
  const upTo = await source.fill(end);
  return parseNiftiHeader(source.peek(Math.min(upTo, end)), source.file);
}

/** Rejects dims the file cannot possibly hold, before allocating for them. */
async function checkPlausibleSize(
  file: string,
  gzip: boolean,
  header: NiftiHeader,
): Promise<void> {
  checkDataSize(file, header, gzip, (await stat(file)).size);
}

/** `checkPlausibleSize` given the file's size. */
function checkDataSize(
  file: string,
  header: NiftiHeader,
  gzip: boolean,
  size: number,
): void {
  const needed = dataByteLength(header);
  const dataStart = header.singleFile || !gzip ? header.voxOffset : 0;
  if (!gzip && size - dataStart < needed) {
    throw shortData(file, header, Math.max(0, size - dataStart));
  }
  if (gzip && needed > size * MAX_INFLATE_RATIO + (1 << 16)) {
    throw new FormatError(
      file,
      'dim',
      `[${header.shape.join(', ')}] needs ${needed} bytes, more than ${size} compressed bytes can inflate to`,
    );
  }
}

function shortData(
  file: string,
  header: NiftiHeader,
  got: number,
): FormatError {
  return new FormatError(
    file,
    'data',
    `holds ${got} bytes after vox_offset ${header.voxOffset}, but dim [${header.shape.join(', ')}] of ${header.datatypeInfo.name} needs ${dataByteLength(header)}`,
  );
}

function fixByteOrder(header: NiftiHeader, bytes: Uint8Array): void {
  if (header.littleEndian !== HOST_LITTLE_ENDIAN) {
    swapBytes(bytes, header.datatypeInfo.bytes);
  }
}
