/**
 * Labels the 6-connected components of a 3D mask (x fastest). Labels are
 * 1, 2, … in order of each component's first voxel in memory order, the
 * numbering scipy.ndimage.label gives. Returns the label image and sizes
 * (sizes[0] is unused).
 */
export function labelComponents(
  mask: Uint8Array,
  [nx, ny, nz]: readonly [number, number, number],
): {labels: Int32Array; sizes: number[]} {
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  // One queue for every component: each voxel is queued at most once.
  const queue = new Int32Array(mask.length);
  const sy = nx;
  const sz = nx * ny;
  let tail = 0;
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] === 0 || labels[seed] !== 0) continue;
    const label = sizes.length;
    const first = tail;
    let head = tail;
    queue[tail++] = seed;
    labels[seed] = label;
    while (head < tail) {
      const v = queue[head++]!;
      const i = v % nx;
      const row = (v - i) / nx;
      const j = row % ny;
      const k = (row - j) / ny;
      // Neighbours in the 6-cross that lie inside the volume.
      let w = v - 1;
      if (i > 0 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
      w = v + 1;
      if (i < nx - 1 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
      w = v - sy;
      if (j > 0 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
      w = v + sy;
      if (j < ny - 1 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
      w = v - sz;
      if (k > 0 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
      w = v + sz;
      if (k < nz - 1 && mask[w] !== 0 && labels[w] === 0) {
        labels[w] = label;
        queue[tail++] = w;
      }
    }
    sizes.push(tail - first);
  }
  return {labels, sizes};
}

/**
 * Keeps the largest 6-connected component (the first one on a tie, as
 * nilearn's largest_connected_component does with argmax).
 */
export function largestComponent(
  mask: Uint8Array,
  dims: readonly [number, number, number],
): Uint8Array {
  const {labels, sizes} = labelComponents(mask, dims);
  if (sizes.length <= 2) return mask.slice();
  let best = 1;
  for (let l = 2; l < sizes.length; l++) if (sizes[l]! > sizes[best]!) best = l;
  const out = new Uint8Array(mask.length);
  for (let v = 0; v < out.length; v++) out[v] = labels[v] === best ? 1 : 0;
  return out;
}
