import {isMap, isScalar, isSeq} from 'yaml';

import type {InputSpec, Located} from './spec.js';
import type {StepDraft} from './step-draft.js';
import {
  checkName,
  describe,
  deref,
  knownKeys,
  readMapping,
  readString,
  type Entry,
} from './yaml-node.js';
import type {ParseContext} from './yaml-source.js';

/** Parses a step's `inputs:` into the draft. */
export function readInputs(
  ctx: ParseContext,
  draft: StepDraft,
  entry: Entry,
): void {
  for (const item of namedEntries(ctx, draft, entry, 'inputs')) {
    const input = readInput(ctx, item);
    if (input !== undefined) draft.inputs.set(item.key, input);
  }
}

function readInput(ctx: ParseContext, item: Entry): InputSpec | undefined {
  const what = `input "${item.key}"`;
  const node = item.value;
  if (isScalar(node) && typeof node.value === 'string') {
    const path = nonEmptyPath(ctx, item, what);
    return path && {kind: 'files', patterns: [path], list: false};
  }
  if (isSeq(node)) {
    if (node.items.length === 0) {
      ctx.report(
        `${what} must list at least one path, got an empty list`,
        item.valueLocation,
        'list paths such as `[a.txt, b.txt]`, or remove the input',
      );
      return undefined;
    }
    const patterns: Located<string>[] = [];
    for (const raw of node.items) {
      const element = deref(ctx, raw);
      const location = ctx.locate(element, item.valueLocation);
      if (isMap(element)) {
        ctx.report(
          `each path of ${what} must be a string, got a mapping: a list holds paths, not gathers`,
          location,
          'make the gather the whole input (`name: {from: <step>, output: <output>}`), or give it an input of its own',
        );
        continue;
      }
      const path = nonEmptyPath(
        ctx,
        {...item, value: element, valueLocation: location},
        `each path of ${what}`,
      );
      if (path !== undefined) patterns.push(path);
    }
    return patterns.length === node.items.length
      ? {kind: 'files', patterns, list: true}
      : undefined;
  }
  if (isMap(node)) return readGather(ctx, item);
  ctx.report(
    `${what} must be a path, a list of paths or {from, output}, got ${describe(node)}`,
    item.valueLocation,
    'write `name: path/{wildcard}.txt`, a YAML list of paths, or ' +
      '`name: {from: <step>, output: <output>}` to gather another step',
  );
  return undefined;
}

function readGather(ctx: ParseContext, item: Entry): InputSpec | undefined {
  const what = `gather input "${item.key}"`;
  const entries = readMapping(ctx, item.value, item.valueLocation, what);
  if (entries === undefined) return undefined;
  const keys = knownKeys(ctx, entries, ['from', 'output'], what);
  const missing = ['from', 'output'].filter((k) => !keys.has(k));
  if (missing.length > 0) {
    ctx.report(
      `${what} is missing ${missing.map((k) => `"${k}"`).join(' and ')}`,
      item.valueLocation,
      'write `{from: <step id>, output: <output name of that step>}`',
    );
    return undefined;
  }
  const fromEntry = keys.get('from');
  const outputEntry = keys.get('output');
  const from = fromEntry && readString(ctx, fromEntry, `"from" of ${what}`);
  const output =
    outputEntry && readString(ctx, outputEntry, `"output" of ${what}`);
  if (from === undefined || output === undefined) return undefined;
  return {kind: 'gather', location: item.valueLocation, from, output};
}

/** The entry's value as a path template that is not blank. */
export function nonEmptyPath(
  ctx: ParseContext,
  item: Entry,
  what: string,
): Located<string> | undefined {
  const path = readString(ctx, item, what);
  if (path === undefined || path.value.trim() !== '') return path;
  ctx.report(
    `${what} must not be empty`,
    item.valueLocation,
    'write a path relative to the workspace, e.g. "out/{subject}.txt"',
  );
  return undefined;
}

const SINGULAR = {inputs: 'input', outputs: 'output', params: 'param'} as const;

/**
 * The entries of a step's `inputs`, `outputs` or `params` mapping whose
 * names are valid (the others are reported), each name recorded on the
 * draft for the later checks against the task's declared ports.
 */
export function namedEntries(
  ctx: ParseContext,
  draft: StepDraft,
  entry: Entry,
  section: keyof typeof SINGULAR,
): Entry[] {
  const where = `${section} of step "${draft.id}"`;
  const named: Entry[] = [];
  for (const item of readMapping(
    ctx,
    entry.value,
    entry.valueLocation,
    where,
  ) ?? []) {
    if (!checkName(ctx, item, SINGULAR[section])) continue;
    draft.names[section].set(item.key, item.keyLocation);
    named.push(item);
  }
  return named;
}
