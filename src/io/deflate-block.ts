/**
 * Recognises the start of a dynamic-Huffman deflate block (RFC 1951 §3.2.7)
 * at a byte offset, so that a single gzip stream can be split for parallel
 * inflation (see `gunzip.ts`). This only says "plausible": a random position
 * passes every check here about once in millions, and the caller confirms a
 * candidate by decoding from it and, in the end, by the gzip CRC.
 *
 * The checks are stricter than zlib's (a complete code-length code, a
 * complete literal/length code with an end-of-block code, a complete or
 * one-code distance code), which zlib's encoder always satisfies: a genuine
 * block rejected here only makes the search look further.
 */

/** Order in which the code-length code's lengths are stored. */
const CL_ORDER = [
  16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
] as const;

/** Reusable scratch (the scan calls this at every byte of a search window). */
const clLengths = new Uint8Array(19);
const clTable = new Int16Array(128);
const lengths = new Uint8Array(286 + 30);
const counts = new Int32Array(16);

/**
 * Whether `buf[pos]` starts a non-final dynamic block whose header is
 * well-formed and fits before `end`.
 */
export function plausibleDynamicBlock(
  buf: Uint8Array,
  pos: number,
  end: number,
): boolean {
  if (pos + 3 > end) return false;
  const b0 = buf[pos]!;
  // BFINAL 0, BTYPE 10 (the low three bits, read LSB first: 0b100).
  if ((b0 & 7) !== 4) return false;
  const b1 = buf[pos + 1]!;
  const hlit = ((b0 >> 3) & 31) + 257;
  const hdist = (b1 & 31) + 1;
  if (hlit > 286 || hdist > 30) return false;
  const hclen = ((b1 >> 5) | ((buf[pos + 2]! & 1) << 3)) + 4;
  // A bit reader over buf from bit 17 of the block.
  let p = pos + 2;
  let bits = buf[p++]! >> 1;
  let have = 7;
  const need = (n: number): boolean => {
    while (have < n) {
      if (p >= end) return false;
      bits |= buf[p++]! << have;
      have += 8;
    }
    return true;
  };
  clLengths.fill(0);
  // Kraft sum in units of 2^-7, checked as it grows: random bits are
  // almost always over-subscribed within the first few lengths.
  let kraft7 = 0;
  for (let i = 0; i < hclen; i++) {
    if (!need(3)) return false;
    const len = bits & 7;
    bits >>>= 3;
    have -= 3;
    if (len === 0) continue;
    kraft7 += 128 >> len;
    if (kraft7 > 128) return false;
    clLengths[CL_ORDER[i]!] = len;
  }
  if (kraft7 !== 128) return false;
  buildTable(clLengths);
  const total = hlit + hdist;
  let n = 0;
  while (n < total) {
    if (!need(7)) return false;
    const entry = clTable[bits & 127]!;
    const len = entry & 7;
    const sym = entry >> 3;
    bits >>>= len;
    have -= len;
    if (sym < 16) {
      lengths[n++] = sym;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (sym === 16) {
      if (n === 0 || !need(2)) return false;
      value = lengths[n - 1]!;
      repeat = 3 + (bits & 3);
      bits >>>= 2;
      have -= 2;
    } else if (sym === 17) {
      if (!need(3)) return false;
      repeat = 3 + (bits & 7);
      bits >>>= 3;
      have -= 3;
    } else {
      if (!need(7)) return false;
      repeat = 11 + (bits & 127);
      bits >>>= 7;
      have -= 7;
    }
    if (n + repeat > total) return false;
    lengths.fill(value, n, n + repeat);
    n += repeat;
  }
  if (lengths[256] === 0) return false;
  if (kraft(lengths.subarray(0, hlit), hlit, 15) !== 0) return false;
  const dist = lengths.subarray(hlit, total);
  const left = kraft(dist, hdist, 15);
  // One distance code (or none, for blocks of literals only) is allowed.
  let used = 0;
  for (const l of dist) if (l !== 0) used++;
  return left === 0 || (left > 0 && used <= 1);
}

/**
 * Kraft sum of a code: 0 when complete, > 0 when incomplete, -1 when
 * over-subscribed (or a length exceeds `max`).
 */
function kraft(lens: Uint8Array, n: number, max: number): number {
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[lens[i]!]!++;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - counts[len]!;
    if (left < 0 || (len > max && counts[len]! > 0)) return -1;
  }
  return left;
}

/**
 * The 7-bit lookup table of the (complete) code-length code: entry =
 * symbol << 3 | code length, indexed by the next 7 stream bits (deflate
 * sends Huffman codes most significant bit first, hence the reversal).
 */
function buildTable(lens: Uint8Array): void {
  let code = 0;
  for (let len = 1; len <= 7; len++) {
    for (let sym = 0; sym < 19; sym++) {
      if (lens[sym] !== len) continue;
      let rev = 0;
      for (let b = 0; b < len; b++) rev |= ((code >> b) & 1) << (len - 1 - b);
      for (let i = rev; i < 128; i += 1 << len) clTable[i] = (sym << 3) | len;
      code++;
    }
    code <<= 1;
  }
}
