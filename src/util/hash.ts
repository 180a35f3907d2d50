import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';

/** A SHA-256 digest as 64 lowercase hex characters. */
export type Sha256Hex = string & {readonly __brand: 'Sha256Hex'};

/** Hashes a string or buffer. */
export function sha256(data: string | Uint8Array): Sha256Hex {
  return createHash('sha256').update(data).digest('hex') as Sha256Hex;
}

/** The most a file hash reads at once. */
const MAX_CHUNK = 4 * 1024 * 1024;
const MIN_CHUNK = 16 * 1024;

/**
 * Files up to this size are read and hashed at once on the calling thread
 * (input hashes, staged outputs): for a small file the thread pool's round
 * trips cost more than the reading, and a synchronous answer keeps the
 * caller synchronous too. Larger ones go through {@link sha256File}.
 */
export const SMALL_FILE = 256 * 1024;

/**
 * Hashes a file's bytes, reading it in large chunks into one buffer sized
 * to the file (one byte over, so a small file takes a single read plus the
 * read that sees its end). A fixed 4 MiB buffer per call, as a stream with
 * that highWaterMark allocates, is external memory: hashing thousands of
 * tiny outputs that way forced a full GC every few jobs (issue #2).
 */
export async function sha256File(path: string): Promise<Sha256Hex> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const {size} = await handle.stat();
    const length = Math.min(Math.max(size + 1, MIN_CHUNK), MAX_CHUNK);
    const buffer = Buffer.allocUnsafe(length);
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex') as Sha256Hex;
}
