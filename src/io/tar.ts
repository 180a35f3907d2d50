import {readFile} from 'node:fs/promises';
import {gunzipSync} from 'node:zlib';

import {FormatError} from './format-error.js';

/** One regular file inside a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly data: Buffer;
}

const BLOCK = 512;

/**
 * Lists the regular files of a tar archive (ustar, with pax `path` and GNU
 * long-name records; gzip-compressed archives are inflated first).
 */
export async function readTar(file: string): Promise<TarEntry[]> {
  let bytes = await readFile(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, {chunkSize: 4 << 20});
    } catch (e) {
      throw new FormatError(
        file,
        'gzip',
        e instanceof Error ? e.message : String(e),
      );
    }
  }
  return parseTar(bytes, file);
}

/** Parses tar bytes; see `readTar`. */
function parseTar(bytes: Buffer, file: string): TarEntry[] {
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  while (pos + BLOCK <= bytes.length) {
    const header = bytes.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) return out;
    checkChecksum(header, file, pos);
    const size = octal(header, 124, 12, file, pos);
    const type = String.fromCharCode(header[156]!);
    const dataStart = pos + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new FormatError(
        file,
        `entry at byte ${pos}`,
        `size ${size} runs past the end of the archive`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    const prefix = text(header, 345, 155);
    const base = text(header, 0, 100);
    const name =
      longName ??
      (prefix !== '' && header.toString('latin1', 257, 262) === 'ustar'
        ? `${prefix}/${base}`
        : base);
    longName = undefined;
    if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
    else if (type === 'x') longName = paxPath(data);
    else if (type === '0' || type === '\0') out.push({name, data});
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (pos < bytes.length)
    throw new FormatError(
      file,
      `entry at byte ${pos}`,
      'archive ends inside a header',
    );
  return out;
}

function text(b: Buffer, offset: number, length: number): string {
  const s = b.toString('utf8', offset, offset + length);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

function octal(
  b: Buffer,
  offset: number,
  length: number,
  file: string,
  pos: number,
): number {
  // GNU base-256 for sizes over 8 GiB: high bit of the first byte set.
  if ((b[offset]! & 0x80) !== 0) {
    let v = 0;
    for (let i = 1; i < length; i++) v = v * 256 + b[offset + i]!;
    return v;
  }
  const s = text(b, offset, length).trim();
  if (!/^[0-7]*$/.test(s))
    throw new FormatError(
      file,
      `entry at byte ${pos}`,
      `size field ${JSON.stringify(s)} is not octal`,
    );
  return s === '' ? 0 : parseInt(s, 8);
}

function checkChecksum(header: Buffer, file: string, pos: number): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  const stored = parseInt(text(header, 148, 8).trim() || '0', 8);
  if (stored !== sum) {
    throw new FormatError(
      file,
      `entry at byte ${pos}`,
      `header checksum ${stored} should be ${sum}: not a tar archive, or corrupt`,
    );
  }
}

function paxPath(data: Buffer): string | undefined {
  for (const record of data.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m !== null) return m[1];
  }
  return undefined;
}
