import {constants as bufferConstants} from 'node:buffer';
import {availableParallelism, loadavg} from 'node:os';
import {promisify} from 'node:util';
import {constants, crc32, gunzip, inflateRaw, inflateRawSync} from 'node:zlib';

import {plausibleDynamicBlock} from './deflate-block.js';
import {FormatError} from './format-error.js';

// TODO(#4): one core inflates a run at ~1.6× nibabel (zlib-bound); 2× needs
// the second core (parallelGunzip), or libdeflate/ISA-L via a native addon.

const gunzipAsync = promisify(gunzip);
const inflateRawAsync = promisify(inflateRaw);

/** deflate's window: a back-reference reaches at most this far. */
const WINDOW = 32768;
/** Below this many compressed bytes one core is quick enough. */
const PARALLEL_MIN_BYTES = 4 << 20;
/** How far past the midpoint to look for a block start. */
const SEARCH_BYTES = 4 << 20;
/** Compressed bytes decoded to confirm a candidate block start. */
const PROBE_BYTES = 1 << 16;
/**
 * Compressed bytes first re-decoded with the true window (grows ×4). On a
 * synthetic ds000212 run the zero window still showed 290 KB (~170 KB
 * compressed) into part B.
 */
const REDO_BYTES = 1 << 18;
/**
 * Where to cut, as a fraction of the deflate data: A a little short of
 * half, so that A's CRC (taken on the main thread) overlaps B.
 */
const SPLIT_AT = 0.46;
/** deflate cannot expand data by more than about 1032:1. */
const MAX_INFLATE_RATIO = 1040;
const ZERO_WINDOW = Buffer.alloc(WINDOW);

/** The parts of a single-member gzip file (RFC 1952). */
interface GzipMember {
  /** Offset of the deflate data. */
  readonly body: number;
  /** Offset of the 8-byte trailer (CRC-32, ISIZE). */
  readonly trailer: number;
  readonly crc: number;
  /** Uncompressed size mod 2^32, from the trailer. */
  readonly isize: number;
}

/** Options of `gunzipChunks` and `gunzipWhole`. */
export interface GunzipOptions {
  /** Inflate big files on two cores (default: `coreToSpare()`). */
  readonly parallel?: boolean;
}

/**
 * Whether a second core looks free: two or more cores and a 1-minute load
 * average at most cores − 1 (the heuristic of `make -l`). Splitting costs
 * ~20% more CPU in all, a loss when a pipeline already keeps every core
 * busy (`neuromake run -j 2` on 2 cores), a 1.3–1.6× faster read otherwise.
 */
export function coreToSpare(): boolean {
  const cores = availableParallelism();
  return cores >= 2 && loadavg()[0]! <= cores - 1;
}

/**
 * Inflates a whole gzip file held in memory, by node:zlib, into one or a
 * few consecutive buffers (no concatenation): the output is sized from the
 * trailer's ISIZE. Large single-member files are inflated on two cores
 * (see `parallelGunzip`); anything unusual (several members, a wrong
 * ISIZE, a failed check) falls back to one plain `gunzip` call, so the
 * bytes are always what zlib gives, and errors name `file` and the `gzip`
 * field.
 */
export async function gunzipChunks(
  comp: Buffer,
  file: string,
  options: GunzipOptions = {},
): Promise<Buffer[]> {
  return inflatePieces(comp, file, options, false);
}

async function inflatePieces(
  comp: Buffer,
  file: string,
  options: GunzipOptions,
  contiguous: boolean,
): Promise<Buffer[]> {
  const member = parseGzip(comp);
  const parallel = options.parallel ?? coreToSpare();
  if (member !== undefined && parallel && comp.length >= PARALLEL_MIN_BYTES) {
    const out = await parallelGunzip(comp, member, contiguous);
    if (out !== undefined) return out;
  }
  try {
    return [await gunzipAsync(comp, {chunkSize: outputChunk(comp, member)})];
  } catch (e) {
    throw gzipError(file, e);
  }
}

/** `gunzipChunks` as one buffer (a copy of the later chunks, if several). */
export async function gunzipWhole(
  comp: Buffer,
  file: string,
  options: GunzipOptions = {},
): Promise<Buffer> {
  const chunks = await inflatePieces(comp, file, options, true);
  const [head] = chunks;
  if (chunks.length === 1 && head !== undefined) return head;
  let total = 0;
  for (const c of chunks) total += c.length;
  // The first chunk was allocated with room for everything: fill it up.
  const out =
    head !== undefined && head.buffer.byteLength - head.byteOffset >= total
      ? Buffer.from(head.buffer, head.byteOffset, total)
      : Buffer.alloc(total);
  let at = 0;
  for (const c of chunks) {
    if (c !== head || out.buffer !== head.buffer) out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A FormatError for a zlib failure; other errors pass through. */
export function gzipError(file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new FormatError(
      file,
      'gzip',
      `${err.message} (${err.code}); the file is truncated or corrupt`,
    );
  }
  return err instanceof Error ? err : new Error(String(e));
}

/**
 * One output chunk big enough for the whole file when ISIZE is right (one
 * extra byte, else zlib asks for a second chunk to find the end), bounded
 * by what the compressed size can expand to.
 */
function outputChunk(comp: Buffer, member: GzipMember | undefined): number {
  const bound = Math.min(
    bufferConstants.MAX_LENGTH,
    comp.length * MAX_INFLATE_RATIO + (1 << 16),
  );
  const want = member === undefined ? 1 << 22 : member.isize + 1;
  return Math.max(1 << 16, Math.min(want, bound));
}

/** The header layout of a gzip file, or undefined if it is not plain. */
export function parseGzip(comp: Buffer): GzipMember | undefined {
  if (comp.length < 18 || comp[0] !== 0x1f || comp[1] !== 0x8b) return;
  if (comp[2] !== 8) return;
  const flags = comp[3]!;
  if ((flags & 0xe0) !== 0) return;
  let p = 10;
  if (flags & 4) p += 2 + comp.readUInt16LE(p);
  for (const bit of [8, 16]) {
    if (flags & bit) {
      const zero = comp.indexOf(0, p);
      if (zero < 0) return;
      p = zero + 1;
    }
  }
  if (flags & 2) p += 2;
  const trailer = comp.length - 8;
  if (p >= trailer) return;
  return {
    body: p,
    trailer,
    crc: comp.readUInt32LE(trailer),
    isize: comp.readUInt32LE(trailer + 4),
  };
}

/**
 * Inflates one gzip member on two cores; undefined when it cannot be split
 * or a check fails (the caller then inflates serially).
 *
 * Why this is exact: the stream is cut at a block start q near the middle.
 * Part A (up to q) inflates as usual; part B (from q) inflates at the same
 * time against a window of zeros, since the true one (A's last 32 KiB) is
 * not known yet. Only back-references into that window can make B wrong.
 * When A is done, the start of B is inflated again with the true window;
 * once the two decodes agree on 32 KiB of output, their states agree (same
 * input position and tables, same window), so everything B produced from
 * there on is right. The CRC-32 of the assembled output must then match
 * the trailer, which also rejects a q that was not really a block start.
 */
async function parallelGunzip(
  comp: Buffer,
  m: GzipMember,
  contiguous: boolean,
): Promise<Buffer[] | undefined> {
  const q = findSplit(comp, m);
  if (q === undefined || m.isize + 1 > bufferConstants.MAX_LENGTH) return;
  const partA = inflateRawAsync(comp.subarray(m.body, q), {
    finishFlush: constants.Z_SYNC_FLUSH,
    // Room for B's part too, so that gunzipWhole can copy B in.
    chunkSize: m.isize + 1,
  });
  const partB = inflateRawAsync(comp.subarray(q, m.trailer), {
    dictionary: ZERO_WINDOW,
    chunkSize: m.isize + 1,
  });
  const tailP = partB.then(
    (b) => b,
    () => undefined,
  );
  let head: Buffer;
  try {
    head = await partA;
  } catch {
    await tailP;
    return;
  }
  if (head.length < WINDOW) {
    await tailP;
    return;
  }
  const window = head.subarray(head.length - WINDOW);
  // Start the true-window decode and A's CRC while B is still inflating.
  let redo = redoFrom(comp, q, Math.min(m.trailer, q + REDO_BYTES), window);
  const crcHead = crc32(head);
  const tail = await tailP;
  if (tail === undefined || head.length + tail.length !== m.isize) return;
  let fixed: Buffer | undefined;
  for (let span = REDO_BYTES; fixed === undefined; span *= 4) {
    const stop = Math.min(m.trailer, q + span);
    const got = await redo;
    if (got === undefined) return;
    if (stop === m.trailer) {
      if (got.length !== tail.length) return;
      fixed = got;
    } else if (agree(got, tail)) {
      fixed = got;
    } else {
      redo = redoFrom(comp, q, Math.min(m.trailer, q + span * 4), window);
    }
  }
  const rest = tail.subarray(fixed.length);
  // The trailer's CRC vouches for the whole result.
  if (contiguous && head.buffer.byteLength - head.byteOffset >= m.isize) {
    const out = Buffer.from(head.buffer, head.byteOffset, m.isize);
    const crc = copyWithCrc(out, head.length, [fixed, rest], crcHead);
    return crc === m.crc ? [out] : undefined;
  }
  const crc = crc32(rest, crc32(fixed, crcHead));
  if (crc !== m.crc) return;
  return rest.length > 0 ? [head, fixed, rest] : [head, fixed];
}

/**
 * Copies `parts` into `out` from `at` on, a MiB at a time, taking the
 * CRC-32 of each MiB just after copying it: while it is still in cache
 * (a separate pass over 20 MB ran at a third of the speed).
 */
function copyWithCrc(
  out: Buffer,
  at: number,
  parts: readonly Buffer[],
  crc: number,
): number {
  const step = 1 << 20;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += step) {
      const piece = part.subarray(i, i + step);
      out.set(piece, at);
      crc = crc32(out.subarray(at, at + piece.length), crc);
      at += piece.length;
    }
  }
  return crc;
}

/** Inflates comp[q, stop) against the true window; undefined on error. */
function redoFrom(
  comp: Buffer,
  q: number,
  stop: number,
  window: Buffer,
): Promise<Buffer | undefined> {
  return inflateRawAsync(comp.subarray(q, stop), {
    dictionary: window,
    finishFlush: constants.Z_SYNC_FLUSH,
  }).then(
    (b) => b,
    () => undefined,
  );
}

/**
 * Whether the correct decode `redo` of B's start and B's speculative decode
 * agree over the last window of `redo`: from there on B is right.
 */
function agree(redo: Buffer, tail: Buffer): boolean {
  const n = redo.length;
  return (
    n >= WINDOW &&
    n <= tail.length &&
    redo.subarray(n - WINDOW).equals(tail.subarray(n - WINDOW, n))
  );
}

/**
 * A byte offset near the middle of the deflate data where a block starts:
 * the header checks out and the next 64 KiB inflate without error.
 */
function findSplit(comp: Buffer, m: GzipMember): number | undefined {
  const size = m.trailer - m.body;
  const from = m.body + Math.floor(size * SPLIT_AT);
  const to = Math.min(m.trailer - PROBE_BYTES, from + SEARCH_BYTES);
  for (let q = from; q < to; q++) {
    if (!plausibleDynamicBlock(comp, q, m.trailer)) continue;
    try {
      inflateRawSync(comp.subarray(q, q + PROBE_BYTES), {
        dictionary: ZERO_WINDOW,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      return q;
    } catch {
      // Not a real block start after all: keep looking.
    }
  }
  return undefined;
}
