import {BRAIN_AXES, BRAIN_CENTER} from './phantom.js';
import {Random} from './random.js';

/** What to build. */
export interface SynthAtlasOptions {
  readonly seed: string;
  readonly parcels: number;
  /** Isotropic voxel size of the atlas grid, mm. */
  readonly voxelSize: number;
}

/** A probabilistic atlas: grid, affine and a generator of 3D maps. */
export interface SynthAtlas {
  readonly dims: [number, number, number];
  readonly affine: number[];
  readonly centers: [number, number, number][];
  readonly sigma: number;
  readonly maps: () => Generator<Float32Array>;
}

/** Maps are cut to zero below this fraction of their peak (sparsity). */
const CUTOFF = 0.05;

/**
 * Builds `parcels` overlapping Gaussian parcels (σ ≈ 0.55 × spacing, cut at
 * 5% of the peak) whose centres sit on a jittered lattice filling a brain
 * slightly larger than any subject's, on an axis-aligned RAS grid unlike
 * the BOLD's.
 */
export function synthesizeAtlas(o: SynthAtlasOptions): SynthAtlas {
  const rng = new Random(`${o.seed}/atlas`);
  const axes = BRAIN_AXES.map((a) => a * 1.06);
  const inside = (p: number[]) =>
    ((p[0]! - BRAIN_CENTER[0]) / axes[0]!) ** 2 +
      ((p[1]! - BRAIN_CENTER[1]) / axes[1]!) ** 2 +
      ((p[2]! - BRAIN_CENTER[2]) / axes[2]!) ** 2 <
    0.92;
  // The lattice spacing that leaves at least `parcels` points inside.
  const volume =
    (4 / 3) * Math.PI * axes[0]! * axes[1]! * axes[2]! * 0.92 ** 1.5;
  let h = Math.cbrt(volume / o.parcels) * 1.05;
  let candidates: number[][] = [];
  for (;;) {
    candidates = [];
    for (let x = -axes[0]!; x <= axes[0]!; x += h) {
      for (let y = -axes[1]!; y <= axes[1]!; y += h) {
        for (let z = -axes[2]!; z <= axes[2]!; z += h) {
          const p = [
            BRAIN_CENTER[0] + x + (rng.uniform() - 0.5) * 0.4 * h,
            BRAIN_CENTER[1] + y + (rng.uniform() - 0.5) * 0.4 * h,
            BRAIN_CENTER[2] + z + (rng.uniform() - 0.5) * 0.4 * h,
          ];
          if (inside(p)) candidates.push(p);
        }
      }
    }
    if (candidates.length >= o.parcels) break;
    h *= 0.97;
  }
  // Drop the surplus at random, keeping lattice order for the rest.
  while (candidates.length > o.parcels) {
    candidates.splice(Math.floor(rng.uniform() * candidates.length), 1);
  }
  const centers = candidates as [number, number, number][];
  const sigma = 0.55 * h;
  const radius = sigma * Math.sqrt(2 * Math.log(1 / CUTOFF));
  const v = o.voxelSize;
  const lo = BRAIN_CENTER.map((c, i) => c - axes[i]! - radius);
  const dims = lo.map(
    (l, i) => Math.ceil((2 * (BRAIN_CENTER[i]! - l)) / v) + 1,
  ) as [number, number, number];
  // prettier-ignore
  const affine = [v, 0, 0, lo[0]!, 0, v, 0, lo[1]!, 0, 0, v, lo[2]!, 0, 0, 0, 1];
  const [nx, ny, nz] = dims;
  function* maps(): Generator<Float32Array> {
    for (const c of centers) {
      const map = new Float32Array(nx * ny * nz);
      const box = c.map<[number, number]>((x, i) => [
        Math.max(0, Math.floor((x - radius - lo[i]!) / v)),
        Math.min(dims[i]! - 1, Math.ceil((x + radius - lo[i]!) / v)),
      ]);
      for (let k = box[2]![0]; k <= box[2]![1]; k++) {
        const dz = lo[2]! + k * v - c[2];
        for (let j = box[1]![0]; j <= box[1]![1]; j++) {
          const dy = lo[1]! + j * v - c[1];
          for (let i = box[0]![0]; i <= box[0]![1]; i++) {
            const dx = lo[0]! + i * v - c[0];
            const w = Math.exp(
              -(dx * dx + dy * dy + dz * dz) / (2 * sigma * sigma),
            );
            if (w >= CUTOFF) map[i + nx * (j + ny * k)] = w;
          }
        }
      }
      yield map;
    }
  }
  return {dims, affine, centers, sigma, maps};
}
