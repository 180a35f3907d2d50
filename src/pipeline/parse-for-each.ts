import {isScalar, isSeq} from 'yaml';

import {didYouMean} from '../util/did-you-mean.js';
import {formatReference, parseTemplate} from './template.js';
import type {SourceLocation} from './diagnostic.js';
import {
  isScalarValue,
  type ForEachSpec,
  type GlobalParam,
  type Located,
  type ParamValue,
  type Scalar,
} from './spec.js';
import {
  checkName,
  deref,
  describe,
  knownKeys,
  readMapping,
  readString,
  type Entry,
} from './yaml-node.js';
import type {ParseContext} from './yaml-source.js';

/** A wildcard a step binds itself, and where. */
export interface OwnWildcard {
  readonly name: string;
  readonly location: SourceLocation;
  /** `glob` or `matrix`, for messages. */
  readonly source: string;
}

/** What `for_each:` gave: the spec plus the wildcards it binds itself. */
export interface ParsedForEach {
  readonly spec: ForEachSpec;
  readonly wildcards: readonly OwnWildcard[];
  /** False when any part was invalid, so bindings are not fully known. */
  readonly valid: boolean;
}

const KEYS = ['glob', 'matrix', 'step'] as const;

/** Parses and checks a step's `for_each:` mapping. */
export function parseForEach(
  ctx: ParseContext,
  stepId: string,
  entry: Entry,
  globals: ReadonlyMap<string, GlobalParam> = new Map(),
): ParsedForEach | undefined {
  const where = `for_each of step "${stepId}"`;
  const entries = readMapping(ctx, entry.value, entry.valueLocation, where);
  if (entries === undefined) return undefined;
  const before = ctx.diagnostics.length;
  const keys = knownKeys(ctx, entries, KEYS, where);
  if (keys.size === 0 && entries.length === 0) {
    ctx.report(
      `${where} must name at least one source of jobs`,
      entry.keyLocation,
      'add `glob: <pattern>`, `matrix: {name: [values]}` or `step: <id>`, ' +
        'or remove for_each to run the step once',
    );
  }
  const wildcards: OwnWildcard[] = [];
  const globEntry = keys.get('glob');
  const glob =
    globEntry && readString(ctx, globEntry, `glob of step "${stepId}"`);
  if (glob !== undefined) wildcards.push(...globWildcards(ctx, glob));
  const matrixEntry = keys.get('matrix');
  const matrix = new Map<string, Located<readonly Scalar[]>>();
  if (matrixEntry !== undefined) {
    readMatrix(ctx, stepId, matrixEntry, matrix, wildcards, globals);
  }
  const stepEntry = keys.get('step');
  const step =
    stepEntry && readString(ctx, stepEntry, `for_each step of "${stepId}"`);
  return {
    spec: {location: entry.keyLocation, glob, matrix, step},
    wildcards,
    valid: ctx.diagnostics.length === before,
  };
}

/** The `{name}` wildcards of a glob, after checking its syntax. */
function globWildcards(
  ctx: ParseContext,
  glob: Located<string>,
): OwnWildcard[] {
  const parsed = parseTemplate(glob.value);
  if (!parsed.ok) {
    ctx.report(
      `invalid glob pattern: ${parsed.error.message}`,
      ctx.within(glob, parsed.error.offset, 1),
      'wildcards are written `{name}`; double a brace for a literal one',
    );
    return [];
  }
  const found: OwnWildcard[] = [];
  for (const part of parsed.parts) {
    if (part.kind !== 'ref') continue;
    const text = formatReference(part.ref);
    const location = ctx.within(glob, part.offset, text.length);
    if (part.ref.kind !== 'wildcard') {
      ctx.report(
        `a glob may only contain wildcards, not ${text}`,
        location,
        'write the path literally, or bind a wildcard with `{name}`',
      );
      continue;
    }
    const name = part.ref.name;
    // A repeated wildcard (`sub-{subject}/func/sub-{subject}_…`) is one
    // binding: the walk keeps only files where every repeat is equal.
    if (found.some((w) => w.name === name)) continue;
    found.push({name, location, source: 'glob'});
  }
  if (found.length === 0 && parsed.parts.every((p) => p.kind === 'text')) {
    ctx.report(
      'the glob binds no wildcards, so its files cannot be told apart',
      glob.location,
      'name the part that varies, e.g. "data/sub-{subject}/bold.nii.gz"',
    );
  }
  return found;
}

function readMatrix(
  ctx: ParseContext,
  stepId: string,
  entry: Entry,
  matrix: Map<string, Located<readonly Scalar[]>>,
  wildcards: OwnWildcard[],
  globals: ReadonlyMap<string, GlobalParam>,
): void {
  const where = `matrix of step "${stepId}"`;
  const entries = readMapping(ctx, entry.value, entry.valueLocation, where);
  if (entries === undefined) return;
  if (entries.length === 0) {
    ctx.report(
      `${where} must bind at least one wildcard`,
      entry.valueLocation,
      'write `matrix: {name: [value, …]}`',
    );
  }
  for (const item of entries) {
    if (!checkName(ctx, item, 'wildcard')) continue;
    const clash = wildcards.find((w) => w.name === item.key);
    if (clash !== undefined) {
      ctx.report(
        `wildcard "${item.key}" is bound by both the glob and the matrix`,
        item.keyLocation,
        'rename one of them: a wildcard can only have one source',
        [{message: 'bound by the glob here', location: clash.location}],
      );
      continue;
    }
    const values =
      isScalar(item.value) && typeof item.value.value === 'string'
        ? matrixFromParam(ctx, item, item.value.value, globals)
        : readMatrixValues(ctx, item);
    if (values === undefined) continue;
    matrix.set(item.key, {value: values, location: item.valueLocation});
    wildcards.push({
      name: item.key,
      location: item.keyLocation,
      source: 'matrix',
    });
  }
}

/**
 * `matrix: {sampling: '{params.samplings}'}`: the values of a global list
 * param, so a sweep's list is written once and `--set` can change it.
 */
function matrixFromParam(
  ctx: ParseContext,
  item: Entry,
  text: string,
  globals: ReadonlyMap<string, GlobalParam>,
): Scalar[] | undefined {
  const what = `matrix values of "${item.key}"`;
  const name = PARAM_REFERENCE.exec(text)?.[1];
  if (name === undefined) {
    ctx.report(
      `${what} must be a list or a reference to a list param, got the string ${JSON.stringify(text)}`,
      item.valueLocation,
      `write e.g. \`${item.key}: [a, b]\`, or \`${item.key}: '{params.${item.key}s}'\` with that list under params:`,
    );
    return undefined;
  }
  const param = globals.get(name);
  if (param === undefined) {
    const known = [...globals.keys()];
    ctx.report(
      `${what} refer to the global param "${name}", which is not defined`,
      item.valueLocation,
      didYouMean(name, known) ??
        `define it under the top-level params:, e.g. \`${name}: [a, b]\``,
    );
    return undefined;
  }
  const list = param.value;
  const fromFile = param.fromSet !== true;
  const related = [
    {
      message: fromFile
        ? `param "${name}" is set here`
        : `param "${name}" is set with --set (the file's value is here)`,
      location: param.location,
    },
  ];
  if (!Array.isArray(list) || list.length === 0) {
    ctx.report(
      `${what} refer to param "${name}", which must be a non-empty list, got ${JSON.stringify(list)}`,
      item.valueLocation,
      `set it to a list, e.g. \`${name}: [a, b]\` (or --set ${name}='[a, b]')`,
      related,
    );
    return undefined;
  }
  // Note: the list as written (in this file, or on the command line for
  // --set), to check numbers against how they are written, as in a
  // literal list: `01` is the number 1, a silent rename of every path.
  const node = fromFile
    ? deref(ctx, ctx.doc.getIn(['params', name], true))
    : null;
  const written = isSeq(node) ? node.items.map((n) => deref(ctx, n)) : [];
  const values: Scalar[] = [];
  for (const [i, value] of (list as readonly ParamValue[]).entries()) {
    const source = written[i];
    const location = isScalar(source)
      ? ctx.locate(source, param.location)
      : undefined;
    const usedHere = [
      {message: 'used as matrix values here', location: item.valueLocation},
    ];
    if (typeof value === 'number' || typeof value === 'boolean') {
      const text =
        location === undefined
          ? param.setItems?.[i]
          : ctx.text.slice(location.offset, location.offset + location.length);
      if (text !== undefined && text !== String(value)) {
        ctx.report(
          `${what}: param "${name}" lists ${text}${location === undefined ? ' (in --set)' : ''}, which is read as the ${typeof value} ${String(value)}, so {${item.key}} would be "${String(value)}"`,
          location ?? item.valueLocation,
          location === undefined
            ? `quote it inside the list to keep the text as written: --set ${name}='[..., "${text}", ...]'`
            : `quote it to keep the text as written: "${text}"`,
          location === undefined ? related : usedHere,
        );
        return undefined;
      }
    }
    if (!isScalarValue(value)) {
      ctx.report(
        `${what}: param "${name}" must list strings, numbers or booleans, got ${JSON.stringify(value)}`,
        item.valueLocation,
        'list plain values such as `[LAST, AVG]`',
        related,
      );
      return undefined;
    }
    const unsafe = pathProblem(value);
    if (unsafe !== undefined) {
      ctx.report(
        `${what}: param "${name}" lists ${JSON.stringify(value)}, which ${unsafe}`,
        location ?? item.valueLocation,
        PATH_HINT,
        location === undefined ? related : usedHere,
      );
      return undefined;
    }
    if (values.some((v) => String(v) === String(value))) {
      ctx.report(
        `${what}: param "${name}" lists ${JSON.stringify(value)} twice (as written or as the same text)`,
        item.valueLocation,
        'remove the repeat: it would make two identical jobs',
        related,
      );
      return undefined;
    }
    values.push(value);
  }
  return values;
}

const PARAM_REFERENCE = /^\{params\.([A-Za-z_][A-Za-z0-9_-]*)\}$/;

/** A non-empty list of distinct strings, numbers and booleans. */
function readMatrixValues(
  ctx: ParseContext,
  item: Entry,
): Scalar[] | undefined {
  const what = `matrix values of "${item.key}"`;
  if (!isSeq(item.value) || item.value.items.length === 0) {
    ctx.report(
      `${what} must be a non-empty list, got ${isSeq(item.value) ? 'an empty list' : describe(item.value)}`,
      item.valueLocation,
      `write e.g. \`${item.key}: [a, b]\``,
    );
    return undefined;
  }
  const values: Scalar[] = [];
  let valid = true;
  for (const listed of item.value.items) {
    // An alias (`*v`) stands for its anchor's value, written there.
    const raw = deref(ctx, listed);
    const location = ctx.locate(isScalar(raw) ? raw : null, item.valueLocation);
    const value = isScalar(raw) ? raw.value : undefined;
    if (!isScalarValue(value)) {
      ctx.report(
        `${what} must be strings, numbers or booleans, got ${describe(isScalar(raw) ? raw : null)}`,
        location,
        'list plain values such as `[01, 02]` quoted, or `[1, 2]`',
      );
      valid = false;
      continue;
    }
    const written = ctx.text.slice(
      location.offset,
      location.offset + location.length,
    );
    // `01` is the number 1 and `True` the boolean true in YAML: a silent
    // rename of every file path.
    if (typeof value !== 'string' && written !== String(value)) {
      ctx.report(
        `matrix value ${written} is read as the ${typeof value} ${String(value)}, so {${item.key}} would be "${String(value)}"`,
        location,
        `quote it to keep the text as written: "${written}"`,
      );
      valid = false;
      continue;
    }
    const unsafe = pathProblem(value);
    if (unsafe !== undefined) {
      ctx.report(
        `matrix value ${JSON.stringify(value)} of "${item.key}" ${unsafe}`,
        location,
        PATH_HINT,
      );
      valid = false;
      continue;
    }
    // Note: 1 and "1" are one value in paths and job ids.
    if (values.some((v) => String(v) === String(value))) {
      ctx.report(
        `matrix value ${JSON.stringify(value)} of "${item.key}" is listed twice (as written or as the same text)`,
        location,
        'remove the repeat: it would make two identical jobs',
      );
      valid = false;
      continue;
    }
    values.push(value);
  }
  return valid ? values : undefined;
}

const PATH_HINT =
  'a value goes into paths as it is: use one without empty, "." or ".." parts between slashes';

/**
 * Why a matrix value would not stay itself in a path: an empty value, or
 * an empty, `.` or `..` part between slashes, is normalised away, so the
 * job would write somewhere else than its value says (`a/..` is `.`).
 */
function pathProblem(value: Scalar): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === '') return 'is empty';
  const parts = value.split('/');
  if (value.startsWith('/')) return 'starts with "/"';
  if (parts.includes('..')) return 'has a ".." part';
  if (parts.includes('.')) return 'has a "." part';
  if (parts.includes('')) return 'has an empty part ("//" or a trailing "/")';
  return undefined;
}
