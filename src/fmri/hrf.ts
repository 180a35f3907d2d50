/**
 * The canonical double-gamma haemodynamic response (SPM's: peak gamma of
 * shape 6, undershoot of shape 16 at one sixth, unit scale), at `t` seconds.
 */
function canonicalHrf(t: number): number {
  if (t <= 0) return 0;
  const peak = (t ** 5 * Math.exp(-t)) / 120;
  const under = (t ** 15 * Math.exp(-t)) / 1.307674368e12;
  return peak - under / 6;
}

/**
 * The response to a unit boxcar from `onset` lasting `duration` seconds,
 * sampled at `times` (numerical convolution at `dt`), normalised so that a
 * long block reaches 1.
 */
export function blockResponse(
  onset: number,
  duration: number,
  times: readonly number[],
  dt = 0.1,
): Float64Array {
  let area = 0;
  for (let s = dt / 2; s < 32; s += dt) area += canonicalHrf(s) * dt;
  const out = new Float64Array(times.length);
  for (const [i, t] of times.entries()) {
    let acc = 0;
    for (let s = onset + dt / 2; s < onset + duration; s += dt) {
      acc += canonicalHrf(t - s) * dt;
    }
    out[i] = acc / area;
  }
  return out;
}
