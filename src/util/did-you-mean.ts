/**
 * "Did you mean" suggestions for misspelt names: keys, task names, step ids.
 * Distances are optimal-string-alignment (Damerau-Levenshtein restricted to
 * one edit per substring), so a swapped pair of letters costs one edit.
 */

/** Edit distance between two strings; a transposition counts as one edit. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({length: b.length + 1}, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * How many edits still count as "close" for a name of this length: short
 * names get one edit, so that `in` does not suggest `id`'s neighbours.
 */
function tolerance(length: number): number {
  if (length <= 3) return 1;
  if (length <= 6) return 2;
  return 3;
}

/**
 * The candidates close enough to `name` to be a likely typo, best first.
 * Case differences alone always count as close.
 */
export function closestNames(
  name: string,
  candidates: Iterable<string>,
): string[] {
  const lower = name.toLowerCase();
  const scored: {candidate: string; distance: number}[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === name) continue;
    const distance =
      candidate.toLowerCase() === lower
        ? 0
        : editDistance(lower, candidate.toLowerCase());
    if (distance <= tolerance(Math.max(name.length, candidate.length))) {
      scored.push({candidate, distance});
    }
  }
  scored.sort(
    (x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate),
  );
  const best = scored[0]?.distance;
  // Only the best-scoring names: a second, worse guess is mostly noise.
  return scored.filter((s) => s.distance === best).map((s) => s.candidate);
}

/**
 * A hint such as `did you mean "task"?`, or undefined when nothing is close.
 */
export function didYouMean(
  name: string,
  candidates: Iterable<string>,
): string | undefined {
  const close = closestNames(name, candidates).slice(0, 3);
  if (close.length === 0) return undefined;
  return `did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`;
}
