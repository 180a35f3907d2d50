import {fail, ok, type Result} from '../util/result.js';

/**
 * Byte multipliers by unit, lower case. `K`, `M`, `G`, … and `KB`, `MB`, …
 * are decimal (powers of 1000), `KiB`, `MiB`, … (and `Ki`, `Mi`, …) binary.
 */
const UNITS: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['b', 1],
  ['k', 1e3],
  ['kb', 1e3],
  ['m', 1e6],
  ['mb', 1e6],
  ['g', 1e9],
  ['gb', 1e9],
  ['t', 1e12],
  ['tb', 1e12],
  ['p', 1e15],
  ['pb', 1e15],
  ['ki', 2 ** 10],
  ['kib', 2 ** 10],
  ['mi', 2 ** 20],
  ['mib', 2 ** 20],
  ['gi', 2 ** 30],
  ['gib', 2 ** 30],
  ['ti', 2 ** 40],
  ['tib', 2 ** 40],
  ['pi', 2 ** 50],
  ['pib', 2 ** 50],
]);

const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/;

/** The size units accepted, for messages. */
export const SIZE_UNITS_HINT =
  'write a number of bytes or a size such as "512MB", "4GiB" or "2G" ' +
  '(K, M, G, T, P and KB, MB, … are powers of 1000; KiB, MiB, … powers of 1024)';

/**
 * Parses a memory size such as `512MB`, `4GiB`, `2G` or `1024` into whole
 * bytes. Units are case-insensitive; fractions are rounded to the nearest
 * byte. The error is a message fragment ("… is not a size").
 */
export function parseSize(text: string): Result<number, string> {
  const match = SIZE.exec(text.trim());
  if (match === null) {
    return fail(`"${text}" is not a size`);
  }
  const [, digits = '', unit = ''] = match;
  const multiplier = UNITS.get(unit.toLowerCase());
  if (multiplier === undefined) {
    return fail(`"${unit}" in "${text}" is not a size unit`);
  }
  const bytes = Math.round(Number(digits) * multiplier);
  if (!Number.isSafeInteger(bytes)) {
    return fail(`"${text}" is too large`);
  }
  return ok(bytes);
}
