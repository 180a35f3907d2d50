import {FormatError} from './format-error.js';
import type {NiftiHeader} from './nifti-header.js';

/** A 4×4 affine, row-major, voxel indices (i, j, k, 1) → world mm. */
export type Affine = readonly number[];

/** Where an affine came from. */
export type AffineSource = 'sform' | 'qform' | 'pixdim';

/**
 * The voxel-to-world affine the way nibabel chooses it: the sform when
 * sform_code > 0, else the qform quaternion when qform_code > 0, else a
 * pixdim scaling centred on the volume with x flipped (Analyze convention).
 */
export function headerAffine(header: NiftiHeader): {
  affine: Affine;
  source: AffineSource;
} {
  if (header.sformCode > 0) {
    return {affine: [...header.srow, 0, 0, 0, 1], source: 'sform'};
  }
  if (header.qformCode > 0)
    return {affine: qformAffine(header), source: 'qform'};
  const [px, py, pz] = spatialZooms(header);
  const [nx, ny, nz] = [0, 1, 2].map((i) => header.shape[i] ?? 1) as [
    number,
    number,
    number,
  ];
  // prettier-ignore
  return {
    affine: [
      -px, 0, 0, (px * (nx - 1)) / 2,
      0, py, 0, (-py * (ny - 1)) / 2,
      0, 0, pz, (-pz * (nz - 1)) / 2,
      0, 0, 0, 1,
    ],
    source: 'pixdim',
  };
}

/** pixdim[1..3], with 0 read as 1 so that a degenerate header stays usable. */
export function spatialZooms(header: NiftiHeader): [number, number, number] {
  const z = [1, 2, 3].map((i) => {
    const v = Math.abs(header.pixdim[i] ?? 1);
    return v === 0 || !Number.isFinite(v) ? 1 : v;
  });
  return [z[0]!, z[1]!, z[2]!];
}

/** The qform affine: rotation from the quaternion, pixdim scaling, qfac. */
function qformAffine(header: NiftiHeader): number[] {
  let [b, c, d] = header.quatern;
  let a2 = 1 - (b * b + c * c + d * d);
  // Rounding can push |(b,c,d)| just above 1; the standard then renormalises
  // and takes a = 0 (a 180° rotation).
  if (a2 < 1e-7) {
    const n = Math.hypot(b, c, d);
    b /= n;
    c /= n;
    d /= n;
    a2 = 0;
  }
  const a = Math.sqrt(a2);
  // prettier-ignore
  const r = [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
  const [px, py, pz] = spatialZooms(header);
  const qfac = (header.pixdim[0] ?? 1) < 0 ? -1 : 1;
  const s = [px, py, pz * qfac];
  const out: number[] = [];
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) out.push(r[row * 3 + col]! * s[col]!);
    out.push(header.qoffset[row]!);
  }
  out.push(0, 0, 0, 1);
  return out;
}

/**
 * Decomposes an affine's 3×3 part into the quaternion, voxel sizes and qfac
 * of a qform (the inverse of `qformAffine`, for writers). Shears are lost.
 */
export function affineToQform(affine: Affine): {
  quatern: [number, number, number];
  qoffset: [number, number, number];
  zooms: [number, number, number];
  qfac: 1 | -1;
} {
  const col = (j: number) => [affine[j]!, affine[4 + j]!, affine[8 + j]!];
  const cols = [col(0), col(1), col(2)];
  const zooms = cols.map((v) => Math.hypot(...v)) as [number, number, number];
  const r = cols.map((v, j) => v.map((x) => x / (zooms[j] || 1)));
  // A left-handed frame needs qfac = -1 and the third column negated to
  // leave a proper rotation.
  const det = det3(r);
  const qfac = det < 0 ? -1 : 1;
  if (qfac < 0) r[2] = r[2]!.map((x) => -x);
  // r is column-major here (r[j][i] = R[i][j]).
  const m = (i: number, j: number) => r[j]![i]!;
  const trace = m(0, 0) + m(1, 1) + m(2, 2);
  let a: number, b: number, c: number, d: number;
  if (trace > 0) {
    a = 0.5 * Math.sqrt(1 + trace);
    b = (m(2, 1) - m(1, 2)) / (4 * a);
    c = (m(0, 2) - m(2, 0)) / (4 * a);
    d = (m(1, 0) - m(0, 1)) / (4 * a);
  } else if (m(0, 0) > m(1, 1) && m(0, 0) > m(2, 2)) {
    b = 0.5 * Math.sqrt(1 + m(0, 0) - m(1, 1) - m(2, 2));
    c = (m(0, 1) + m(1, 0)) / (4 * b);
    d = (m(0, 2) + m(2, 0)) / (4 * b);
    a = (m(2, 1) - m(1, 2)) / (4 * b);
  } else if (m(1, 1) > m(2, 2)) {
    c = 0.5 * Math.sqrt(1 + m(1, 1) - m(0, 0) - m(2, 2));
    b = (m(0, 1) + m(1, 0)) / (4 * c);
    d = (m(1, 2) + m(2, 1)) / (4 * c);
    a = (m(0, 2) - m(2, 0)) / (4 * c);
  } else {
    d = 0.5 * Math.sqrt(1 + m(2, 2) - m(0, 0) - m(1, 1));
    b = (m(0, 2) + m(2, 0)) / (4 * d);
    c = (m(1, 2) + m(2, 1)) / (4 * d);
    a = (m(1, 0) - m(0, 1)) / (4 * d);
  }
  // The standard keeps a >= 0 (q and -q are the same rotation).
  if (a < 0) [b, c, d] = [-b, -c, -d];
  return {
    quatern: [b, c, d],
    qoffset: [affine[3]!, affine[7]!, affine[11]!],
    zooms,
    qfac,
  };
}

function det3(c: number[][]): number {
  const [x, y, z] = c as [number[], number[], number[]];
  return (
    x[0]! * (y[1]! * z[2]! - y[2]! * z[1]!) -
    y[0]! * (x[1]! * z[2]! - x[2]! * z[1]!) +
    z[0]! * (x[1]! * y[2]! - x[2]! * y[1]!)
  );
}

/** Inverts a 4×4 affine whose last row is 0 0 0 1. */
export function invertAffine(m: Affine): number[] {
  // prettier-ignore
  const [a, b, c, d, e, f, g, h, i] = [
    m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!,
  ];
  const det = determinant(m);
  if (det === 0 || !Number.isFinite(det)) {
    throw new Error('affine is singular and cannot be inverted');
  }
  // prettier-ignore
  const inv = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ];
  const t = [m[3]!, m[7]!, m[11]!];
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const row = inv.slice(r * 3, r * 3 + 3);
    out.push(...row, -(row[0]! * t[0]! + row[1]! * t[1]! + row[2]! * t[2]!));
  }
  out.push(0, 0, 0, 1);
  return out;
}

/**
 * The affine of `file`'s header ({@link headerAffine}), refused when it
 * cannot map voxels to the world (a zero or non-finite determinant, e.g.
 * an sform left all zeros): resampling through it would put every voxel
 * at one point.
 */
export function fileAffine(file: string, header: NiftiHeader): Affine {
  const {affine, source} = headerAffine(header);
  if (!invertible(affine)) {
    const field =
      source === 'sform'
        ? `srow_x/y/z (sform_code ${header.sformCode})`
        : source === 'qform'
          ? `quatern/qoffset/pixdim (qform_code ${header.qformCode})`
          : 'pixdim';
    throw new FormatError(
      file,
      field,
      'the voxel-to-world affine is singular (it maps the volume to a plane or a point); fix the header, e.g. with nibabel or fslorient',
    );
  }
  return affine;
}

/** The determinant of an affine's 3×3 linear part. */
function determinant(m: Affine): number {
  // prettier-ignore
  const [a, b, c, d, e, f, g, h, i] = [
    m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!,
  ];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** Whether an affine maps voxels onto a volume (a finite, non-zero det). */
function invertible(m: Affine): boolean {
  const det = determinant(m);
  return det !== 0 && Number.isFinite(det);
}

/** Product of two 4×4 row-major matrices. */
export function multiplyAffine(x: Affine, y: Affine): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += x[r * 4 + k]! * y[k * 4 + c]!;
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/**
 * Axis codes such as "RAS" or "LPI": for each voxel axis, the world
 * direction it mostly points to (R/L = +x/-x, A/P = +y/-y, S/I = +z/-z).
 */
export function orientationCodes(affine: Affine): string {
  const pos = ['R', 'A', 'S'];
  const neg = ['L', 'P', 'I'];
  const used = new Set<number>();
  let out = '';
  // Greedy: take voxel axes in order of how clearly they align.
  const cols = [0, 1, 2].map((j) => {
    const v = [affine[j]!, affine[4 + j]!, affine[8 + j]!];
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  });
  const pick: (number | undefined)[] = [undefined, undefined, undefined];
  const order = [0, 1, 2].sort(
    (p, q) =>
      Math.max(...cols[q]!.map(Math.abs)) - Math.max(...cols[p]!.map(Math.abs)),
  );
  for (const j of order) {
    let best = -1;
    for (let w = 0; w < 3; w++) {
      if (used.has(w)) continue;
      if (best < 0 || Math.abs(cols[j]![w]!) > Math.abs(cols[j]![best]!))
        best = w;
    }
    used.add(best);
    pick[j] = best;
  }
  for (let j = 0; j < 3; j++) {
    const w = pick[j]!;
    out += cols[j]![w]! >= 0 ? pos[w]! : neg[w]!;
  }
  return out;
}
