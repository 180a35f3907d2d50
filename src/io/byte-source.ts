import {createReadStream} from 'node:fs';
import {open} from 'node:fs/promises';
import {createGunzip} from 'node:zlib';

import {gzipError} from './gunzip.js';

/** Output chunk size for inflating: large chunks cut per-chunk overhead. */
const INFLATE_CHUNK_BYTES = 4 << 20;
const READ_CHUNK_BYTES = 1 << 20;

/** Whether a file starts with the gzip magic bytes 1f 8b. */
async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const {bytesRead} = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Sequential reader over a file's bytes, gunzipped on the fly when the file
 * is gzip-compressed (decided by content, not by name). Used for headers
 * that run past 16 KiB and for files too big to read whole (`gunzip.ts`
 * is the fast path). Lets a caller peek
 * at the header, then copy the rest straight into its own buffer so that a
 * run is held in memory once.
 */
export class ByteSource {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private finished = false;
  private consumed = 0;

  private constructor(
    readonly file: string,
    readonly gzip: boolean,
    private readonly chunks: AsyncIterator<Buffer>,
  ) {}

  /** Opens `file`; `gzip` is detected from the first two bytes. */
  static async open(file: string): Promise<ByteSource> {
    const gzip = await isGzipFile(file);
    const raw = createReadStream(file, {highWaterMark: READ_CHUNK_BYTES});
    if (!gzip) {
      return new ByteSource(file, false, raw[Symbol.asyncIterator]());
    }
    const inflater = createGunzip({chunkSize: INFLATE_CHUNK_BYTES});
    raw.on('error', (e) => inflater.destroy(e));
    raw.pipe(inflater);
    return new ByteSource(file, true, inflater[Symbol.asyncIterator]());
  }

  /** Bytes handed out so far (decompressed offset). */
  get position(): number {
    return this.consumed;
  }

  /** Buffers until `n` bytes are available or the file ends; returns count. */
  async fill(n: number): Promise<number> {
    while (this.pendingBytes < n && !this.finished) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    return this.pendingBytes;
  }

  /** The first `n` buffered bytes (call `fill` first), without consuming. */
  peek(n: number): Buffer {
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.pending, Math.min(n, this.pendingBytes));
  }

  /** Drops `n` bytes; returns how many could be dropped. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.pendingBytes === 0 && (await this.fill(1)) === 0) break;
      const head = this.pending[0]!;
      const take = Math.min(left, head.length);
      this.shift(take);
      left -= take;
    }
    return n - left;
  }

  /**
   * Copies the next `target.length` bytes into `target`; returns how many
   * were available (fewer only at end of file).
   */
  async readInto(target: Uint8Array): Promise<number> {
    let done = 0;
    while (done < target.length) {
      if (this.pendingBytes === 0) {
        const chunk = await this.next();
        if (chunk === undefined) break;
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      const head = this.pending[0]!;
      const take = Math.min(target.length - done, head.length);
      target.set(head.subarray(0, take), done);
      this.shift(take);
      done += take;
    }
    return done;
  }

  /** Stops reading and releases the file. */
  async close(): Promise<void> {
    this.finished = true;
    await this.chunks.return?.();
  }

  private shift(n: number): void {
    const head = this.pending[0]!;
    if (n === head.length) this.pending.shift();
    else this.pending[0] = head.subarray(n);
    this.pendingBytes -= n;
    this.consumed += n;
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.finished) return undefined;
    try {
      const r = await this.chunks.next();
      if (r.done === true) {
        this.finished = true;
        return undefined;
      }
      return r.value;
    } catch (e) {
      this.finished = true;
      throw this.gzip ? gzipError(this.file, e) : e;
    }
  }
}
