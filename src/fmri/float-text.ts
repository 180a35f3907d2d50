/**
 * The shortest decimal that reads back as the same float32 (like numpy's
 * repr of a float32), so JSONL rows stay small and exact.
 */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** A JSON array of float32 values in their shortest form. */
export function float32ArrayJson(
  values: ArrayLike<number>,
  start: number,
  length: number,
): string {
  const parts = new Array<string>(length);
  for (let i = 0; i < length; i++) parts[i] = float32Text(values[start + i]!);
  return `[${parts.join(',')}]`;
}
