/**
 * Binary erosion and dilation of a 3D mask (x fastest) by the 6-connected
 * cross, repeated `iterations` times, with everything outside the volume
 * taken as 0 — scipy.ndimage.binary_erosion/binary_dilation with their
 * default structure and border_value.
 */
export function binaryErosion(
  mask: Uint8Array,
  dims: readonly [number, number, number],
  iterations = 1,
): Uint8Array {
  let cur = mask;
  for (let it = 0; it < iterations; it++) cur = step(cur, dims, true);
  return cur === mask ? mask.slice() : cur;
}

/** See `binaryErosion`; a voxel is set when it or a 6-neighbour is. */
export function binaryDilation(
  mask: Uint8Array,
  dims: readonly [number, number, number],
  iterations = 1,
): Uint8Array {
  let cur = mask;
  for (let it = 0; it < iterations; it++) cur = step(cur, dims, false);
  return cur === mask ? mask.slice() : cur;
}

function step(
  src: Uint8Array,
  [nx, ny, nz]: readonly [number, number, number],
  erode: boolean,
): Uint8Array {
  const out = new Uint8Array(src.length);
  const sy = nx;
  const sz = nx * ny;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + sy * j + sz * k;
        // Out-of-volume neighbours count as 0.
        const n0 = i > 0 ? src[v - 1]! : 0;
        const n1 = i < nx - 1 ? src[v + 1]! : 0;
        const n2 = j > 0 ? src[v - sy]! : 0;
        const n3 = j < ny - 1 ? src[v + sy]! : 0;
        const n4 = k > 0 ? src[v - sz]! : 0;
        const n5 = k < nz - 1 ? src[v + sz]! : 0;
        const c = src[v]!;
        out[v] = erode
          ? c & n0 & n1 & n2 & n3 & n4 & n5
          : c | n0 | n1 | n2 | n3 | n4 | n5;
      }
    }
  }
  return out;
}
