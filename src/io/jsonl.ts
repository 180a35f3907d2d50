import {readFile} from 'node:fs/promises';

import {FormatError} from './format-error.js';

/** Reads a JSON Lines file into objects; blank lines are skipped. */
export async function readJsonl(
  file: string,
): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  const out: Record<string, unknown>[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new FormatError(
        file,
        `line ${i + 1}`,
        e instanceof Error ? e.message : String(e),
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FormatError(file, `line ${i + 1}`, 'is not a JSON object');
    }
    out.push(value as Record<string, unknown>);
  }
  return out;
}
