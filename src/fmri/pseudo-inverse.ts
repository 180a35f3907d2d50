/**
 * The pseudo-inverse G⁺ of a symmetric positive semi-definite K×K matrix
 * (the normal matrix M·Mᵀ of an atlas), through a Cholesky factorisation
 * with diagonal pivoting. For full rank G⁺ = G⁻¹ = L⁻ᵀL⁻¹. When some maps
 * are linear combinations of others, the factorisation stops at rank r
 * with G = L·Lᵀ (L is K×r) and G⁺ = L(LᵀL)⁻²Lᵀ, which makes G⁺·M·x the
 * minimum-norm least-squares answer, the one numpy.linalg.lstsq gives.
 */
export interface PseudoInverse {
  /** K×K row-major, symmetric. */
  readonly matrix: Float64Array;
  readonly rank: number;
}

/**
 * Pivots whose residual is at most `relTol` × the largest diagonal entry
 * count as zero: maps whose part not explained by the others has a squared
 * norm below 1e-12 of the largest map's.
 */
export function pseudoInverse(
  g: Float64Array,
  k: number,
  relTol = 1e-12,
): PseudoInverse {
  const {l, perm, rank} = pivotedCholesky(g, k, relTol);
  // Work in the pivoted order, then scatter back.
  let inner: Float64Array;
  if (rank === k) {
    const li = invertLower(l, k, k);
    inner = gramOfColumns(li, k, k);
  } else {
    const c = new Float64Array(rank * rank);
    for (let a = 0; a < rank; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += l[i * k + a]! * l[i * k + b]!;
        c[a * rank + b] = s;
        c[b * rank + a] = s;
      }
    }
    const cf = pivotedCholesky(c, rank, 0);
    if (cf.rank < rank)
      throw new Error('pseudo-inverse: inner factor singular');
    // C⁻¹ in pivoted-inner order; un-permute into cinv.
    const ci = gramOfColumns(invertLower(cf.l, rank, rank), rank, rank);
    const cinv = new Float64Array(rank * rank);
    for (let a = 0; a < rank; a++) {
      for (let b = 0; b < rank; b++) {
        cinv[cf.perm[a]! * rank + cf.perm[b]!] = ci[a * rank + b]!;
      }
    }
    // Z = L·C⁻¹ (K×r); G⁺ = Z·Zᵀ.
    const z = new Float64Array(k * rank);
    for (let i = 0; i < k; i++) {
      for (let a = 0; a < rank; a++) {
        const lia = l[i * k + a]!;
        if (lia === 0) continue;
        for (let b = 0; b < rank; b++)
          z[i * rank + b]! += lia * cinv[a * rank + b]!;
      }
    }
    inner = rowGram(z, k, rank);
  }
  const matrix = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    const pa = perm[a]! * k;
    for (let b = 0; b < k; b++) matrix[pa + perm[b]!] = inner[a * k + b]!;
  }
  return {matrix, rank};
}

/**
 * Pivoted Cholesky: P·G·Pᵀ = L·Lᵀ, L lower (K×K storage, first `rank`
 * columns used), perm[i] = original index at pivoted position i.
 */
function pivotedCholesky(
  g: Float64Array,
  k: number,
  relTol: number,
): {l: Float64Array; perm: Int32Array; rank: number} {
  const l = new Float64Array(k * k);
  const perm = Int32Array.from({length: k}, (_, i) => i);
  const d = new Float64Array(k);
  let maxDiag = 0;
  for (let i = 0; i < k; i++) {
    d[i] = g[i * k + i]!;
    maxDiag = Math.max(maxDiag, d[i]!);
  }
  const tol = relTol * maxDiag;
  let rank = k;
  for (let j = 0; j < k; j++) {
    let q = j;
    for (let i = j + 1; i < k; i++) if (d[i]! > d[q]!) q = i;
    if (!(d[q]! > tol) || d[q]! <= 0) {
      rank = j;
      break;
    }
    if (q !== j) {
      [perm[j], perm[q]] = [perm[q]!, perm[j]!];
      [d[j], d[q]] = [d[q]!, d[j]!];
      for (let c = 0; c < j; c++) {
        const t = l[j * k + c]!;
        l[j * k + c] = l[q * k + c]!;
        l[q * k + c] = t;
      }
    }
    const pivot = Math.sqrt(d[j]!);
    l[j * k + j] = pivot;
    const pj = perm[j]!;
    for (let i = j + 1; i < k; i++) {
      let s = g[perm[i]! * k + pj]!;
      const ri = i * k;
      const rj = j * k;
      for (let c = 0; c < j; c++) s -= l[ri + c]! * l[rj + c]!;
      const v = s / pivot;
      l[ri + j] = v;
      d[i]! -= v * v;
    }
  }
  return {l, perm, rank};
}

/** Inverse of the leading n×n lower-triangular block of `l` (stride k). */
function invertLower(l: Float64Array, n: number, k: number): Float64Array {
  const inv = new Float64Array(n * n);
  const acc = new Float64Array(n);
  // Row by row, so that the inner loop runs along contiguous rows.
  for (let i = 0; i < n; i++) {
    acc.fill(0, 0, i);
    for (let c = 0; c < i; c++) {
      const lic = l[i * k + c]!;
      if (lic === 0) continue;
      const row = c * n;
      for (let j = 0; j <= c; j++) acc[j]! += lic * inv[row + j]!;
    }
    const d = l[i * k + i]!;
    for (let j = 0; j < i; j++) inv[i * n + j] = -acc[j]! / d;
    inv[i * n + i] = 1 / d;
  }
  return inv;
}

/** Xᵀ·X for X n×m lower triangular (row-major): m×m. */
function gramOfColumns(x: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let r = 0; r < n; r++) {
    const row = r * m;
    const last = Math.min(r, m - 1);
    for (let a = 0; a <= last; a++) {
      const xa = x[row + a]!;
      if (xa === 0) continue;
      const oa = a * m;
      for (let b = a; b <= last; b++) out[oa + b]! += xa * x[row + b]!;
    }
  }
  for (let a = 0; a < m; a++)
    for (let b = 0; b < a; b++) out[a * m + b] = out[b * m + a]!;
  return out;
}

/** X·Xᵀ for X n×m (row-major): n×n. */
function rowGram(x: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += x[a * m + c]! * x[b * m + c]!;
      out[a * n + b] = s;
      out[b * n + a] = s;
    }
  }
  return out;
}
