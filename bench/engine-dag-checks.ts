/**
 * What the engine benchmark (engine-dag.ts) checks of each run: the
 * events of a neuromake `--json` run, and that the outputs are right.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';

import {
  finalOutput,
  inputText,
  outputOf,
  type DagShape,
} from './generate-dag.js';

/** The JSON events of a `--json` run, one object per line. */
export function events(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null) {
      out.push(value as Record<string, unknown>);
    }
  }
  return out;
}

/** A numeric field of the last event of `type`; throws when absent. */
export function field(
  list: readonly Record<string, unknown>[],
  type: string,
  name: string,
): number {
  const event = list.findLast((e) => e['type'] === type);
  const value = event?.[name];
  if (typeof value !== 'number') {
    throw new Error(
      `no "${type}" event with a numeric "${name}" in the output`,
    );
  }
  return value;
}

/** Checks a run-end event: `ran` jobs ran, none failed. */
export function expectRun(
  list: readonly Record<string, unknown>[],
  ran: number,
  what: string,
): void {
  const got = field(list, 'run-end', 'ran');
  const failed = field(list, 'run-end', 'failed');
  if (got !== ran || failed !== 0) {
    throw new Error(
      `${what}: expected ${ran} jobs to run, got ${got} ran and ${failed} failed`,
    );
  }
}

/**
 * Checks that a few chains' outputs, the last and one on the way (which
 * a tool could have deleted as intermediate), hold their input's text.
 */
export async function verifyOutputs(
  dir: string,
  shape: DagShape,
): Promise<void> {
  const last = shape.fanOut - 1;
  const files: [string, number][] = [
    ...new Set([0, shape.fanOut >> 1, last]),
  ].map((i) => [finalOutput(shape, i), i]);
  if (shape.depth > 1) files.push([outputOf(1, last), last]);
  for (const [rel, i] of files) {
    const file = path.join(dir, rel);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== inputText(i)) {
      throw new Error(
        `${file} is ${text === undefined ? 'missing' : 'wrong'} after the run`,
      );
    }
  }
}
