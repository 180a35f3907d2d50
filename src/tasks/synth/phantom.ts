import {Random} from './random.js';

/**
 * The synthetic head shared by `synth.bold` and `synth.atlas`, in world
 * millimetres (an MNI-like frame: +x right, +y anterior, +z superior).
 * Nested ellipsoids: brain, a CSF rim, skull, scalp; each subject's head is
 * scaled and shifted a little.
 */
export const BRAIN_CENTER: readonly [number, number, number] = [0, -18, 12];
export const BRAIN_AXES: readonly [number, number, number] = [68, 86, 58];

/** Per-subject anatomy: size and position of the head. */
export interface Anatomy {
  readonly center: readonly [number, number, number];
  readonly axes: readonly [number, number, number];
}

/** A subject's anatomy, jittered deterministically from the seed. */
export function subjectAnatomy(seed: string, subject: string): Anatomy {
  const rng = new Random(`${seed}/anatomy/${subject}`);
  const scale = 0.94 + 0.1 * rng.uniform();
  return {
    center: BRAIN_CENTER.map((c) => c + 4 * (rng.uniform() - 0.5)) as [
      number,
      number,
      number,
    ],
    axes: BRAIN_AXES.map((a) => a * scale * (0.97 + 0.06 * rng.uniform())) as [
      number,
      number,
      number,
    ],
  };
}

/** Ellipsoidal radius: < 1 inside the brain surface. */
export function brainRadius(
  a: Anatomy,
  x: number,
  y: number,
  z: number,
): number {
  const dx = (x - a.center[0]) / a.axes[0];
  const dy = (y - a.center[1]) / a.axes[1];
  const dz = (z - a.center[2]) / a.axes[2];
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/**
 * Baseline EPI intensity at a world point: dark background (0; noise is
 * added later), scalp moderate, skull dark, a bright CSF rim and
 * ventricles, grey matter brighter than white matter, with a smooth bias
 * field as a receive coil gives.
 */
export function baselineIntensity(
  a: Anatomy,
  x: number,
  y: number,
  z: number,
): number {
  const r = brainRadius(a, x, y, z);
  // Shell thicknesses in units of the brain radius (~70 mm): CSF 3 mm,
  // skull 6 mm, scalp 6 mm.
  let v: number;
  if (r >= 1.2) v = 0;
  else if (r >= 1.12) v = 340;
  else if (r >= 1.04) v = 55;
  else if (r >= 1) v = 1050;
  else {
    const ventricle =
      ((x - a.center[0]) / 14) ** 2 +
        ((y - a.center[1] - 5) / 30) ** 2 +
        ((z - a.center[2] - 8) / 12) ** 2 <
      1;
    const cortex = r > 0.86;
    v = ventricle ? 1100 : cortex ? 820 : 640;
    v *= 1 + 0.04 * Math.sin(x / 7) * Math.cos(y / 9) * Math.sin(z / 6);
  }
  const bias =
    1 + 0.12 * ((z - a.center[2]) / 80) - 0.06 * ((y - a.center[1]) / 100);
  return v * bias;
}

/**
 * A smooth random spatial pattern (a sum of plane waves of ~30–60 mm
 * wavelength), unit variance on average, the same for everyone with the
 * same `key`: condition and item patterns are shared across subjects.
 */
export function spatialPattern(
  key: string,
): (x: number, y: number, z: number) => number {
  const rng = new Random(`pattern/${key}`);
  const waves = Array.from({length: 6}, () => {
    const len = 30 + 30 * rng.uniform();
    const dir = [rng.normal(), rng.normal(), rng.normal()];
    const n = Math.hypot(...dir) || 1;
    const k = dir.map((d) => (2 * Math.PI * d) / (n * len));
    return {k, phase: 2 * Math.PI * rng.uniform()};
  });
  const norm = Math.sqrt(2 / waves.length);
  return (x, y, z) => {
    let s = 0;
    for (const w of waves)
      s += Math.cos(w.k[0]! * x + w.k[1]! * y + w.k[2]! * z + w.phase);
    return s * norm;
  };
}
