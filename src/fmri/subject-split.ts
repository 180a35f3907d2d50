import {Random} from '../tasks/synth/random.js';

/** Split name → fraction of subjects. */
export type SplitFractions = Readonly<Record<string, number>>;

/**
 * Assigns whole subjects to splits (no subject in two), shuffled by the
 * seed. Each split with a positive fraction gets at least one subject when
 * there are enough; the first split (train) takes the remainder.
 */
export function splitSubjects(
  subjects: readonly string[],
  fractions: SplitFractions,
  seed: string,
): Map<string, string> {
  const unique = [...new Set(subjects)].sort();
  const rng = new Random(`${seed}/split`);
  for (let i = unique.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [unique[i], unique[j]] = [unique[j]!, unique[i]!];
  }
  const names = Object.keys(fractions);
  const total = names.reduce((a, n) => a + Math.max(0, fractions[n]!), 0);
  if (names.length === 0 || !(total > 0))
    throw new Error('split fractions must have a positive sum');
  const counts = names.map((n) =>
    Math.round((unique.length * Math.max(0, fractions[n]!)) / total),
  );
  // Give every non-empty split a subject before rounding leftovers to train.
  for (let i = 1; i < names.length; i++) {
    if (
      fractions[names[i]!]! > 0 &&
      counts[i] === 0 &&
      unique.length > names.length - 1
    )
      counts[i] = 1;
  }
  const rest = counts.slice(1).reduce((a, b) => a + b, 0);
  counts[0] = Math.max(0, unique.length - rest);
  const out = new Map<string, string>();
  let at = 0;
  for (const [i, name] of names.entries()) {
    for (let c = 0; c < counts[i]! && at < unique.length; c++)
      out.set(unique[at++]!, name);
  }
  while (at < unique.length) out.set(unique[at++]!, names[0]!);
  return out;
}
