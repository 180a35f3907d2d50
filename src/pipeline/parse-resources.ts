import {isScalar} from 'yaml';

import {parseSize, SIZE_UNITS_HINT} from './parse-size.js';
import type {Resources} from './spec.js';
import {describe, knownKeys, readMapping, type Entry} from './yaml-node.js';
import type {ParseContext} from './yaml-source.js';

/** What a job gets when its step says nothing about resources. */
export const DEFAULT_RESOURCES: Resources = {cpus: 1, memoryBytes: 0, gpus: 0};

const KEYS = ['cpus', 'memory', 'gpus'] as const;

/** Parses a step's `resources:`; invalid fields keep their defaults. */
export function parseResources(
  ctx: ParseContext,
  stepId: string,
  entry: Entry,
): Resources {
  const where = `resources of step "${stepId}"`;
  const entries = readMapping(ctx, entry.value, entry.valueLocation, where);
  if (entries === undefined) return DEFAULT_RESOURCES;
  const keys = knownKeys(ctx, entries, KEYS, where);
  let {cpus, memoryBytes, gpus} = DEFAULT_RESOURCES;
  const cpusEntry = keys.get('cpus');
  if (cpusEntry !== undefined) {
    const value = numberOf(cpusEntry);
    if (value !== undefined && Number.isFinite(value) && value > 0) {
      cpus = value;
    } else {
      ctx.report(
        `cpus must be a positive number, got ${describe(cpusEntry.value)}`,
        cpusEntry.valueLocation,
        'write how many cores one job uses, e.g. `cpus: 4` or `cpus: 0.5`',
      );
    }
  }
  const gpusEntry = keys.get('gpus');
  if (gpusEntry !== undefined) {
    const value = numberOf(gpusEntry);
    if (value !== undefined && Number.isSafeInteger(value) && value >= 0) {
      gpus = value;
    } else {
      ctx.report(
        `gpus must be a whole number ≥ 0, got ${describe(gpusEntry.value)}`,
        gpusEntry.valueLocation,
        'write how many GPUs one job uses, e.g. `gpus: 1`',
      );
    }
  }
  const memoryEntry = keys.get('memory');
  if (memoryEntry !== undefined) {
    memoryBytes = readMemory(ctx, memoryEntry) ?? memoryBytes;
  }
  return {cpus, memoryBytes, gpus};
}

function numberOf(entry: Entry): number | undefined {
  const node = entry.value;
  return isScalar(node) && typeof node.value === 'number'
    ? node.value
    : undefined;
}

function readMemory(ctx: ParseContext, entry: Entry): number | undefined {
  const node = entry.value;
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    ctx.report(
      `memory must be a whole number of bytes ≥ 0, got ${describe(node)}`,
      entry.valueLocation,
      SIZE_UNITS_HINT,
    );
    return undefined;
  }
  if (typeof value === 'string') {
    const parsed = parseSize(value);
    if (parsed.ok) return parsed.value;
    ctx.report(
      `memory must be a size: ${parsed.error}`,
      entry.valueLocation,
      SIZE_UNITS_HINT,
    );
    return undefined;
  }
  ctx.report(
    `memory must be a number of bytes or a size string, got ${describe(node)}`,
    entry.valueLocation,
    SIZE_UNITS_HINT,
  );
  return undefined;
}
