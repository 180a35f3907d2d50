/**
 * A Butterworth high-pass filter applied forwards and backwards (zero
 * phase): the filter of `scipy.signal.butter(order, high / nyquist,
 * 'highpass', output='sos')` run by `scipy.signal.sosfiltfilt` with its
 * defaults (odd extension of 3 × the filter's taps at each end, each pass
 * started from the steady state of its first sample). nilearn's
 * signal.butterworth runs the same filter as polynomials (`output='ba'`,
 * `filtfilt`, the same padding); the results agree up to rounding, and
 * second-order sections are the better-conditioned form at low cutoffs.
 */

/** One second-order section: b0 b1 b2 over 1 a1 a2. */
export interface Section {
  readonly b: readonly [number, number, number];
  readonly a: readonly [number, number];
}

/**
 * The digital high-pass Butterworth filter of `order` with its -3 dB point
 * at `cutoff` (a fraction of the Nyquist frequency, 0 < cutoff < 1), as
 * second-order sections. The analog prototype's poles are mapped to a
 * high-pass at the pre-warped frequency and through the bilinear transform
 * (SciPy's buttap, lp2hp_zpk and bilinear_zpk); each conjugate pair makes
 * one section with both its zeros at z = 1, an odd order's real pole one
 * first-order section. The gain makes |H| = 1 at Nyquist (z = −1), where
 * an analog high-pass's gain at infinite frequency goes.
 */
export function highPassSections(order: number, cutoff: number): Section[] {
  if (!Number.isInteger(order) || order < 1) {
    throw new RangeError(`filter order must be a whole number ≥ 1: ${order}`);
  }
  if (!(cutoff > 0 && cutoff < 1)) {
    throw new RangeError(
      `cutoff must be between 0 and 1 of Nyquist, got ${cutoff}`,
    );
  }

  // Note: SciPy designs at fs = 2, so the bilinear transform uses 2·fs = 4
  // and pre-warps the cutoff to 4·tan(π·cutoff/2).
  const warped = 4 * Math.tan((Math.PI * cutoff) / 2);
  const sections: Section[] = [];
  let gain = 1;
  for (let m = -order + 1; m <= 0; m += 2) {
    // Analog prototype pole −exp(iπm/2N) (upper half-plane ones and the
    // real one), then the high-pass pole w/p and its bilinear image.
    const angle = (Math.PI * m) / (2 * order);
    const [pr, pi] = [-Math.cos(angle), -Math.sin(angle)];
    const norm = pr * pr + pi * pi;
    const [hr, hi] = [(warped * pr) / norm, (-warped * pi) / norm];
    const [zr, zi] = bilinear(hr, hi);
    if (m === 0) {
      // The real pole of an odd order: (1 − z⁻¹) / (1 − p z⁻¹).
      sections.push({b: [1, -1, 0], a: [-zr, 0]});
      gain *= (1 + zr) / 2;
    } else {
      const a1 = -2 * zr;
      const a2 = zr * zr + zi * zi;
      sections.push({b: [1, -2, 1], a: [a1, a2]});
      gain *= (1 - a1 + a2) / 4;
    }
  }
  const first = sections[0]!;
  sections[0] = {b: [gain, first.b[1] * gain, first.b[2] * gain], a: first.a};
  return sections;
}

/** The bilinear transform (fs = 2) of the complex point s: (4 + s)/(4 − s). */
function bilinear(sr: number, si: number): [number, number] {
  const [nr, ni] = [4 + sr, si];
  const [dr, di] = [4 - sr, -si];
  const d = dr * dr + di * di;
  return [(nr * dr + ni * di) / d, (ni * dr - nr * di) / d];
}

/**
 * The steady state of each section for a constant input of 1 (SciPy's
 * sosfilt_zi): a section's state for its own constant input, scaled by
 * the DC gain of the sections before it.
 */
function steadyStates(sections: readonly Section[]): [number, number][] {
  const states: [number, number][] = [];
  let scale = 1;
  for (const {b, a} of sections) {
    // Solve (I − companion(a)ᵀ) z = b[1:] − a[1:]·b0 (lfilter_zi).
    const r0 = b[1] - a[0] * b[0];
    const r1 = b[2] - a[1] * b[0];
    const det = 1 + a[0] + a[1];
    const z0 = (r0 + r1) / det;
    const z1 = r1 - a[1] * z0;
    states.push([scale * z0, scale * z1]);
    scale *= (b[0] + b[1] + b[2]) / (1 + a[0] + a[1]);
  }
  return states;
}

/**
 * Runs `sections` over `x` in place, starting from `states` scaled by
 * `start` (direct form II transposed, as SciPy's sosfilt).
 */
function filterInPlace(
  sections: readonly Section[],
  states: readonly [number, number][],
  x: Float64Array,
  start: number,
): void {
  for (let s = 0; s < sections.length; s++) {
    const {b, a} = sections[s]!;
    const [b0, b1, b2] = b;
    const [a1, a2] = a;
    let z0 = states[s]![0] * start;
    let z1 = states[s]![1] * start;
    for (let t = 0; t < x.length; t++) {
      const input = x[t]!;
      const y = b0 * input + z0;
      z0 = b1 * input - a1 * y + z1;
      z1 = b2 * input - a2 * y;
      x[t] = y;
    }
  }
}

/**
 * How many frames {@link filtfilt} adds at each end (SciPy's default
 * padlen: 3 × the taps, counted as 2 per section plus one, less one for
 * each first-order section, whose b2 and a2 are both zero); a series must
 * be longer.
 */
export function padLength(sections: readonly Section[]): number {
  const firstOrder = sections.filter((s) => s.b[2] === 0 && s.a[1] === 0);
  return 3 * (2 * sections.length + 1 - firstOrder.length);
}

/**
 * Zero-phase filtering of one series (SciPy's sosfiltfilt with padtype
 * 'odd' and its default pad length). Returns a new array.
 */
export function filtfilt(
  sections: readonly Section[],
  x: ArrayLike<number>,
): Float64Array {
  const pad = padLength(sections);
  const n = x.length;
  if (n <= pad) {
    throw new RangeError(
      `a series of ${n} frames is too short for this filter: it needs more than ${pad}`,
    );
  }

  // Odd extension: 2·x[0] − x[pad…1] before, 2·x[n−1] − x[n−2…n−1−pad]
  // after.
  const ext = new Float64Array(n + 2 * pad);
  const first = x[0]!;
  const last = x[n - 1]!;
  for (let i = 0; i < pad; i++) ext[i] = 2 * first - x[pad - i]!;
  for (let i = 0; i < n; i++) ext[pad + i] = x[i]!;
  for (let i = 0; i < pad; i++) ext[pad + n + i] = 2 * last - x[n - 2 - i]!;

  // Forwards from the steady state of the first sample, then backwards
  // from that of the last output.
  const states = steadyStates(sections);
  filterInPlace(sections, states, ext, ext[0]!);
  ext.reverse();
  filterInPlace(sections, states, ext, ext[0]!);
  ext.reverse();
  return ext.slice(pad, pad + n);
}
