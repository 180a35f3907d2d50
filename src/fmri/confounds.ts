import {FormatError} from '../io/format-error.js';
import {readTable} from '../io/delimited.js';
import type {ParcelSeries} from './projection.js';

/** Confound regressors over a run's frames, one array per column. */
export interface Confounds {
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
}

/**
 * Reads the named columns of a confounds table (fMRIPrep's
 * `desc-confounds_timeseries.tsv`, or any .tsv/.csv with a header), which
 * must have one row per frame. A cell that is not a number (fMRIPrep
 * writes `n/a` in the first row of derivative columns) is an error naming
 * the column and row: nilearn refuses such confounds too.
 */
export async function readConfounds(
  file: string,
  names: readonly string[],
  frames: number,
): Promise<Confounds> {
  const table = await readTable(file);
  for (const name of names) {
    if (!table.columns.includes(name)) {
      throw new FormatError(
        file,
        `column "${name}"`,
        `not in the table; it has ${describeColumns(table.columns)}`,
      );
    }
  }
  if (table.rows.length !== frames) {
    throw new FormatError(
      file,
      'rows',
      `has ${table.rows.length} rows, the run has ${frames} frames`,
    );
  }
  const columns = names.map((name) => {
    const column = new Float64Array(frames);
    table.rows.forEach((row, t) => {
      const text = row[name]!.trim();
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) {
        throw new FormatError(
          file,
          `column "${name}", data row ${t + 1}`,
          `${JSON.stringify(text)} is not a number; choose columns without missing values (fMRIPrep's *_derivative1 columns start with n/a)`,
        );
      }
      column[t] = value;
    });
    return column;
  });
  return {names, columns};
}

function describeColumns(columns: readonly string[]): string {
  const shown = columns.slice(0, 12).join(', ');
  return columns.length > 12
    ? `${columns.length} columns: ${shown}, …`
    : `the columns ${shown}`;
}

/**
 * nilearn's cosine drift regressors (glm's `_cosine_drift`) for a high-pass
 * cutoff: the discrete cosine basis functions √(2/n)·cos(πk(t + ½)/n),
 * k = 1 … ⌊2·n·hz·tr⌋ (at most n − 1), whose periods are longer than
 * 1/hz. Each has mean 0. (nilearn also adds a constant column, which its
 * confound standardisation then zeroes; it is left out here.)
 */
export function cosineDrift(
  frames: number,
  trSeconds: number,
  hz: number,
): Float64Array[] {
  const order = Math.min(frames - 1, Math.floor(2 * frames * hz * trSeconds));
  const norm = Math.sqrt(2 / frames);
  const basis: Float64Array[] = [];
  for (let k = 1; k <= order; k++) {
    const column = new Float64Array(frames);
    for (let t = 0; t < frames; t++) {
      column[t] = norm * Math.cos((Math.PI / frames) * (t + 0.5) * k);
    }
    basis.push(column);
  }
  return basis;
}

/**
 * Removes from every parcel's series its least-squares fit on the
 * confounds, as nilearn's signal.clean does: each confound is centred and
 * scaled first (so its mean is not regressed out, and a constant confound
 * drops out), columns that depend on earlier ones are dropped (what is
 * left of a unit-variance column after the earlier ones has norm ≤
 * 100·ε·√n; nilearn: pivoted QR, |Rᵢᵢ| ≤ 100·ε), and the series are
 * projected onto the orthogonal complement of the rest. In place. Returns
 * how many independent regressors were removed. A confound that is not
 * finite throughout is a RangeError.
 */
export function regressOut(
  s: ParcelSeries,
  confounds: readonly Float64Array[],
): number {
  const {frames: n, parcels: k, data} = s;

  // An orthonormal basis of the standardised confounds (modified
  // Gram-Schmidt, twice for stability).
  const basis: Float64Array[] = [];
  for (const raw of confounds) {
    if (raw.length !== n) {
      throw new RangeError(
        `a confound has ${raw.length} frames, the series ${n}`,
      );
    }
    if (!raw.every(Number.isFinite)) {
      throw new RangeError('a confound has a value that is not finite');
    }
    const v = standardized(raw);
    if (v === undefined) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) subtractProjection(v, q);
    }
    const length = Math.sqrt(dot(v, v));
    if (!(length > 100 * Number.EPSILON * Math.sqrt(n))) continue;
    for (let t = 0; t < n; t++) v[t]! /= length;
    basis.push(v);
  }

  const column = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let t = 0; t < n; t++) column[t] = data[t * k + c]!;
    for (const q of basis) subtractProjection(column, q);
    for (let t = 0; t < n; t++) data[t * k + c] = column[t]!;
  }
  return basis.length;
}

/** (x − mean) / sd (ddof 0); undefined for a constant column. */
function standardized(x: Float64Array): Float64Array | undefined {
  const n = x.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t]!;
  mean /= n;
  let ss = 0;
  for (let t = 0; t < n; t++) ss += (x[t]! - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  if (!(sd > Number.EPSILON * Math.max(1, Math.abs(mean)))) return undefined;
  return Float64Array.from(x, (v) => (v - mean) / sd);
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let t = 0; t < a.length; t++) sum += a[t]! * b[t]!;
  return sum;
}

/** v −= (v·q) q, for a unit q. */
function subtractProjection(v: Float64Array, q: Float64Array): void {
  const along = dot(v, q);
  for (let t = 0; t < v.length; t++) v[t]! -= along * q[t]!;
}
