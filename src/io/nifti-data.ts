import type {DatatypeName} from './nifti-constants.js';

/** The typed arrays NIfTI voxel data can be held in. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A typed-array view of the given datatype over `buffer`. */
export function viewAs(
  name: DatatypeName,
  buffer: ArrayBuffer,
  byteOffset = 0,
  length?: number,
): VoxelArray {
  switch (name) {
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, length);
    case 'int8':
      return new Int8Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, length);
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
  }
}

/**
 * Swaps the byte order of `bytes` in place, in units of `width` bytes (data
 * stored big-endian is read on little-endian machines this way).
 */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (width === 2) b.swap16();
  else if (width === 4) b.swap32();
  else if (width === 8) b.swap64();
  else throw new Error(`cannot swap ${width}-byte elements`);
}

/** Whether this machine stores numbers little-endian (all Node targets do). */
export const HOST_LITTLE_ENDIAN =
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
