/**
 * Binary erosion and dilation of a 3D mask (x fastest) by the 6-connected
 * cross, repeated `iterations` times, with everything outside the volume
 * taken as 0 — scipy.ndimage.binary_erosion/binary_dilation with their
 * default structure and border_value.
 *
 * Why bitsets: each x row is packed 32 voxels to a word, so one step is a
 * handful of word operations per 32 voxels (neighbours along x are the
 * row shifted by one bit), about 40× fewer operations than voxel by voxel.
 */
export function binaryErosion(
  mask: Uint8Array,
  dims: readonly [number, number, number],
  iterations = 1,
): Uint8Array {
  return iterate(mask, dims, iterations, true);
}

/** See `binaryErosion`; a voxel is set when it or a 6-neighbour is. */
export function binaryDilation(
  mask: Uint8Array,
  dims: readonly [number, number, number],
  iterations = 1,
): Uint8Array {
  return iterate(mask, dims, iterations, false);
}

function iterate(
  mask: Uint8Array,
  dims: readonly [number, number, number],
  iterations: number,
  erode: boolean,
): Uint8Array {
  if (iterations < 1) return mask.slice();
  let cur: Int32Array = pack(mask, dims);
  let next: Int32Array = new Int32Array(cur.length);
  for (let it = 0; it < iterations; it++) {
    step(cur, next, dims, erode);
    [cur, next] = [next, cur];
  }
  return unpack(cur, dims);
}

/** Words per x row. */
function rowWords(nx: number): number {
  return (nx + 31) >> 5;
}

function pack(
  mask: Uint8Array,
  [nx, ny, nz]: readonly [number, number, number],
): Int32Array {
  const w = rowWords(nx);
  const bits = new Int32Array(w * ny * nz);
  for (let r = 0, v = 0; r < ny * nz; r++) {
    const base = r * w;
    for (let i = 0; i < nx; i++, v++) {
      if (mask[v] !== 0) bits[base + (i >> 5)]! |= 1 << (i & 31);
    }
  }
  return bits;
}

function unpack(
  bits: Int32Array,
  [nx, ny, nz]: readonly [number, number, number],
): Uint8Array {
  const w = rowWords(nx);
  const out = new Uint8Array(nx * ny * nz);
  for (let r = 0, v = 0; r < ny * nz; r++) {
    const base = r * w;
    for (let i = 0; i < nx; i++, v++) {
      out[v] = (bits[base + (i >> 5)]! >>> (i & 31)) & 1;
    }
  }
  return out;
}

/** One erosion or dilation of packed rows `src` into `dst`. */
function step(
  src: Int32Array,
  dst: Int32Array,
  [nx, ny, nz]: readonly [number, number, number],
  erode: boolean,
): void {
  const w = rowWords(nx);
  // Bits past nx in a row's last word stay 0: they are outside the volume.
  const tail = nx % 32 === 0 ? -1 : (1 << (nx % 32)) - 1;
  const sy = w;
  const sz = w * ny;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const base = j * sy + k * sz;
      for (let x = 0; x < w; x++) {
        const at = base + x;
        const c = src[at]!;
        // Bit i of `left` is voxel i−1, of `right` voxel i+1.
        const left = (c << 1) | (x > 0 ? src[at - 1]! >>> 31 : 0);
        const right = (c >>> 1) | (x < w - 1 ? src[at + 1]! << 31 : 0);
        const ym = j > 0 ? src[at - sy]! : 0;
        const yp = j < ny - 1 ? src[at + sy]! : 0;
        const zm = k > 0 ? src[at - sz]! : 0;
        const zp = k < nz - 1 ? src[at + sz]! : 0;
        let v = erode
          ? c & left & right & ym & yp & zm & zp
          : c | left | right | ym | yp | zm | zp;
        if (x === w - 1) v &= tail;
        dst[at] = v;
      }
    }
  }
}
