import {blockResponse} from '../../fmri/hrf.js';
import type {Affine} from '../../io/nifti-affine.js';
import {
  baselineIntensity,
  brainRadius,
  spatialPattern,
  subjectAnatomy,
} from './phantom.js';
import {Random} from './random.js';

/** One event of a run, as in a BIDS events.tsv. */
export interface SynthEvent {
  readonly onset: number;
  readonly duration: number;
  readonly condition: string;
  readonly item: string;
  readonly key: number;
}

/** What to simulate. */
export interface SynthRunOptions {
  readonly seed: string;
  readonly subject: string;
  readonly run: string;
  readonly dims: readonly [number, number, number];
  readonly voxelSize: readonly [number, number, number];
  readonly volumes: number;
  readonly tr: number;
  readonly events: readonly SynthEvent[];
  /** Percent signal change of a condition's response. */
  readonly responsePercent?: number;
  /** Thermal noise standard deviation, in intensity units. */
  readonly noise?: number;
}

/** A simulated run: its grid and a generator of int16 frames. */
export interface SynthRun {
  readonly affine: Affine;
  readonly frames: () => Generator<Int16Array>;
}

/**
 * The BOLD grid of a subject: x stored right-to-left (as many scanner
 * conversions do) and tilted a few degrees about x, centred on the head.
 */
function boldAffine(o: SynthRunOptions): number[] {
  const rng = new Random(`${o.seed}/tilt/${o.subject}`);
  const tilt = ((8 + 8 * rng.uniform()) * Math.PI) / 180;
  const [vx, vy, vz] = o.voxelSize;
  const c = Math.cos(tilt);
  const s = Math.sin(tilt);
  const lin = [-vx, 0, 0, 0, c * vy, -s * vz, 0, s * vy, c * vz];
  const centre = o.dims.map((d) => (d - 1) / 2);
  const world = subjectAnatomy(o.seed, o.subject).center;
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const row = lin.slice(3 * r, 3 * r + 3);
    const off =
      row[0]! * centre[0]! + row[1]! * centre[1]! + row[2]! * centre[2]!;
    out.push(...row, world[r]! - off);
  }
  out.push(0, 0, 0, 1);
  return out;
}

/**
 * Simulates one run: the phantom's baseline, times (1 + HRF-convolved
 * responses whose spatial pattern depends on the event's condition and
 * item + a slow drift), plus Rician noise. Deterministic in the options.
 */
export function synthesizeRun(o: SynthRunOptions): SynthRun {
  const affine = boldAffine(o);
  const anatomy = subjectAnatomy(o.seed, o.subject);
  const [nx, ny, nz] = o.dims;
  const n = nx * ny * nz;
  const base = new Float32Array(n);
  const brain: number[] = [];
  const world: [number, number, number][] = [];
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        const x = affine[0]! * i + affine[1]! * j + affine[2]! * k + affine[3]!;
        const y = affine[4]! * i + affine[5]! * j + affine[6]! * k + affine[7]!;
        const z =
          affine[8]! * i + affine[9]! * j + affine[10]! * k + affine[11]!;
        base[v] = baselineIntensity(anatomy, x, y, z);
        if (brainRadius(anatomy, x, y, z) < 1) {
          brain.push(v);
          world.push([x, y, z]);
        }
      }
    }
  }
  const times = Array.from({length: o.volumes}, (_, i) => i * o.tr);
  const gain = (o.responsePercent ?? 2) / 100;
  // One spatial pattern per event: its condition's, plus a weaker one of
  // its item, scaled by the rating so that keys matter too.
  const events = o.events.map((e) => {
    const pc = spatialPattern(`condition/${e.condition}`);
    const pi = spatialPattern(`item/${e.item}`);
    const weight = 0.8 + 0.1 * e.key;
    const pattern = new Float32Array(brain.length);
    for (const [b, [x, y, z]] of world.entries()) {
      pattern[b] = gain * weight * (pc(x, y, z) + 0.5 * pi(x, y, z));
    }
    return {pattern, response: blockResponse(e.onset, e.duration, times)};
  });
  const driftPattern = spatialPattern(`drift/${o.subject}/${o.run}`);
  const drift = new Float32Array(brain.length);
  for (const [b, [x, y, z]] of world.entries()) {
    drift[b] = 0.01 * (1 + 0.5 * driftPattern(x, y, z));
  }
  const sigma = o.noise ?? 12;
  const rng = new Random(`${o.seed}/noise/${o.subject}/${o.run}`);
  const signal = new Float32Array(n);
  function* frames(): Generator<Int16Array> {
    for (let t = 0; t < o.volumes; t++) {
      signal.set(base);
      const u = times[t]! / Math.max(1, times[o.volumes - 1]!);
      const slow = 2 * (u - 0.5) + 0.5 * Math.cos(Math.PI * u);
      for (let b = 0; b < brain.length; b++) {
        let f = 1 + slow * drift[b]!;
        for (const e of events) {
          const h = e.response[t]!;
          if (h !== 0) f += h * e.pattern[b]!;
        }
        signal[brain[b]!]! *= f;
      }
      const out = new Int16Array(n);
      for (let v = 0; v < n; v++) {
        const s = signal[v]!;
        let m: number;
        if (s > 6 * sigma) {
          // Rician noise is Gaussian to within σ²/2s where signal is high.
          m = s + sigma * rng.normal();
        } else if (s === 0) {
          // Pure noise: Rayleigh, drawn directly.
          m = sigma * Math.sqrt(-2 * Math.log(1 - rng.uniform()));
        } else {
          const re = s + sigma * rng.normal();
          const im = sigma * rng.normal();
          m = Math.sqrt(re * re + im * im);
        }
        out[v] = Math.min(32767, Math.round(m));
      }
      yield out;
    }
  }
  return {affine, frames};
}
