import {isAlias, isMap, isScalar, isSeq, type Node} from 'yaml';

import {closestNames, didYouMean} from '../util/did-you-mean.js';
import type {SourceLocation} from './diagnostic.js';
import {isScalarValue, type Located, type ParamValue} from './spec.js';
import {NAME} from './template.js';
import type {ParseContext} from './yaml-source.js';

/** One `key: value` of a YAML mapping, with both locations. */
export interface Entry {
  readonly key: string;
  readonly keyLocation: SourceLocation;
  /** The value node, aliases resolved; null when nothing is written. */
  readonly value: Node | null;
  /** Where the value is written; the key's location when it is empty. */
  readonly valueLocation: SourceLocation;
}

/** Follows `*alias` references to the node they name. */
export function deref(ctx: ParseContext, node: unknown): Node | null {
  let current = node;
  // A bounded loop: yaml rejects alias cycles, but stay safe regardless.
  for (let i = 0; i < 100 && isAlias(current); i++) {
    current = current.resolve(ctx.doc) ?? null;
  }
  return isMap(current) || isSeq(current) || isScalar(current) ? current : null;
}

/** Says what kind of YAML value a node holds, for "got …" messages. */
export function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (!isScalar(node)) return 'an unknown value';
  const value = node.value;
  if (value === null) return 'nothing (null)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the boolean ${String(value)}`;
  return 'an unsupported value';
}

/**
 * The entries of a mapping, or undefined (and a diagnostic saying `what`
 * must be a mapping) when the node is anything else.
 */
export function readMapping(
  ctx: ParseContext,
  node: Node | null,
  location: SourceLocation,
  what: string,
): Entry[] | undefined {
  if (!isMap(node)) {
    ctx.report(
      `${what} must be a mapping, got ${describe(node)}`,
      location,
      'write it as indented `name: value` lines, or `{name: value}`',
    );
    return undefined;
  }
  const entries: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of node.items) {
    if (isMergeKey(pair.key)) {
      merged.push(...mergedEntries(ctx, pair.value, location, what));
      continue;
    }
    const keyNode = deref(ctx, pair.key);
    const keyLocation = ctx.locate(keyNode, location);
    const keyValue = isScalar(keyNode) ? keyNode.value : undefined;
    if (!isScalarValue(keyValue)) {
      ctx.report(
        `keys of ${what} must be names, got ${describe(keyNode)}`,
        keyLocation,
        'use a plain name such as `subject` as the key',
      );
      continue;
    }
    const value = deref(ctx, pair.value);
    // An alias is reported where it is used, not where its anchor is.
    const written = isAlias(pair.value) ? pair.value : value;
    entries.push({
      key: String(keyValue),
      keyLocation,
      value,
      valueLocation: ctx.locate(written, keyLocation),
    });
  }

  // Note: as YAML's merge key says, keys written in the mapping win over
  // merged ones, and an earlier merged mapping over a later one.
  const keys = new Set(entries.map((e) => e.key));
  for (const entry of merged) {
    if (keys.has(entry.key)) continue;
    keys.add(entry.key);
    entries.push(entry);
  }
  return entries;
}

/**
 * The entries a merge key brings in: `<<: *defaults`, `<<: [*a, *b]`, or
 * a mapping written in place, as YAML's merge key allows.
 */
function mergedEntries(
  ctx: ParseContext,
  value: unknown,
  location: SourceLocation,
  what: string,
): Entry[] {
  const sources = isSeq(value) ? value.items : [value];
  const entries: Entry[] = [];
  for (const source of sources) {
    const target = deref(ctx, source);
    const at = ctx.locate(isAlias(source) ? source : target, location);
    if (!isMap(target)) {
      ctx.report(
        `<< in ${what} must name mappings to merge, got ${describe(target)}`,
        at,
        'write `<<: *name` (or `<<: [*a, *b]`) where `&name` marks a mapping, e.g. under a top-level `x-defaults:` key',
      );
      continue;
    }
    entries.push(...(readMapping(ctx, target, at, what) ?? []));
  }
  return entries;
}

/**
 * Reports keys that are not in `allowed` (with a "did you mean" when one is
 * close) and returns the known ones by name.
 */
export function knownKeys(
  ctx: ParseContext,
  entries: readonly Entry[],
  allowed: readonly string[],
  where: string,
  /** Said after the list of keys when no known key is close. */
  more = '',
): Map<string, Entry> {
  const known = new Map<string, Entry>();
  for (const entry of entries) {
    if (allowed.includes(entry.key)) {
      known.set(entry.key, entry);
      continue;
    }
    ctx.report(
      `unknown key "${entry.key}" in ${where}`,
      entry.keyLocation,
      didYouMean(entry.key, allowed) ??
        `expected one of: ${allowed.join(', ')}${more}`,
    );
  }
  return known;
}

/**
 * The allowed keys that an unknown key among `entries` is a likely typo
 * of: `ouptuts:` stands for `outputs`. Checks that a key is missing skip
 * these, as the typo is reported already with "did you mean".
 */
export function misspeltKeys(
  entries: readonly Entry[],
  allowed: readonly string[],
): ReadonlySet<string> {
  const misspelt = new Set<string>();
  for (const entry of entries) {
    if (allowed.includes(entry.key)) continue;
    for (const name of closestNames(entry.key, allowed)) misspelt.add(name);
  }
  return misspelt;
}

/** Reports a name that does not match {@link NAME}; true when it is fine. */
export function checkName(
  ctx: ParseContext,
  entry: Entry,
  what: string,
): boolean {
  if (NAME.test(entry.key)) return true;
  ctx.report(
    `${what} "${entry.key}" is not a valid name: it must start with a ` +
      'letter or "_" and hold only letters, digits, "_" and "-"',
    entry.keyLocation,
    `rename it, e.g. "${suggestName(entry.key)}"`,
  );
  return false;
}

function suggestName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** The entry's value as a string, or undefined after a diagnostic. */
export function readString(
  ctx: ParseContext,
  entry: Entry,
  what: string,
): Located<string> | undefined {
  const node = entry.value;
  if (isScalar(node) && typeof node.value === 'string') {
    return {value: node.value, location: entry.valueLocation};
  }
  ctx.report(
    `${what} must be a string, got ${describe(node)}`,
    entry.valueLocation,
    'write text after the colon; quote it if it looks like a number',
  );
  return undefined;
}

/** Converts a YAML node to the JSON-like value tasks and templates see. */
export function toParamValue(ctx: ParseContext, node: Node | null): ParamValue {
  if (node === null) return null;
  if (isSeq(node))
    return node.items.map((n) => toParamValue(ctx, deref(ctx, n)));
  if (isMap(node)) {
    const object: Record<string, ParamValue> = {};
    const merged: {readonly [key: string]: ParamValue}[] = [];
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        // As in readMapping: written keys win, then earlier merged maps.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) {
          const target = deref(ctx, source);
          if (!isMap(target)) continue;
          merged.push(
            toParamValue(ctx, target) as {readonly [key: string]: ParamValue},
          );
        }
        continue;
      }
      const key = deref(ctx, pair.key);
      const name = isScalar(key) ? String(key.value) : String(key);
      object[name] = toParamValue(ctx, deref(ctx, pair.value));
    }
    for (const source of merged) {
      for (const [name, value] of Object.entries(source)) {
        if (!(name in object)) object[name] = value;
      }
    }
    return object;
  }
  const value = isScalar(node) ? node.value : null;
  return isScalarValue(value) ? value : null;
}

/**
 * YAML's merge key: a plain `<<` (a quoted one is an ordinary key). Under
 * `%YAML 1.1` the parser gives it a symbol of its own for a value.
 */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key) || key.type !== 'PLAIN') return false;
  return key.value === '<<' || typeof key.value === 'symbol';
}
