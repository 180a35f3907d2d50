import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';

/** A SHA-256 digest as 64 lowercase hex characters. */
export type Sha256Hex = string & {readonly __brand: 'Sha256Hex'};

/** Hashes a string or buffer. */
export function sha256(data: string | Uint8Array): Sha256Hex {
  return createHash('sha256').update(data).digest('hex') as Sha256Hex;
}

/** Hashes a file's bytes by streaming it, in large chunks. */
export async function sha256File(path: string): Promise<Sha256Hex> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, {highWaterMark: 4 * 1024 * 1024});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex') as Sha256Hex;
}
