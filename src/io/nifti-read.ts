import {stat} from 'node:fs/promises';
import {constants as bufferConstants} from 'node:buffer';

import {ByteSource} from './byte-source.js';
import {FormatError} from './format-error.js';
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

/** Reads only the header (and extensions) of a NIfTI file or pair. */
export async function readNiftiHeader(file: string): Promise<NiftiHeader> {
  const {headerFile} = pairFiles(file);
  const source = await ByteSource.open(headerFile);
  try {
    return await readHeaderFrom(source);
  } finally {
    await source.close();
  }
}

/**
 * Reads a whole NIfTI-1/2 image (.nii, .nii.gz, .hdr/.img pair, either byte
 * order). Gzip is detected by content and inflated by node:zlib straight
 * into the single buffer that holds the data.
 */
export async function readNifti(file: string): Promise<NiftiImage> {
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

/**
 * Streams a 4D (or 3D) image one 3D frame at a time, so that an image much
 * larger than memory (a 1024-map atlas at 2 mm is 5.4 GB) can be consumed.
 * The array passed to `onFrame` is reused: copy what you keep.
 */
export async function readNiftiFrames(
  file: string,
  onFrame: (frame: VoxelArray, index: number) => void | Promise<void>,
): Promise<NiftiHeader> {
  const {header, source, dataFile} = await openData(file);
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
        throw shortData(dataFile, header, t * frameBytes + got);
      }
      fixByteOrder(header, target);
      await onFrame(view, t);
    }
    return header;
  } finally {
    await source.close();
  }
}

/** The header and data files of a single file or an .hdr/.img pair. */
export function pairFiles(file: string): {
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
  const size = (await stat(file)).size;
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
