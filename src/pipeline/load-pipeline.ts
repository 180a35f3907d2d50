import {readFile} from 'node:fs/promises';
import path from 'node:path';

import {
  isAlias,
  isMap,
  isPair,
  isSeq,
  LineCounter,
  parseDocument,
  type ErrorCode,
  type YAMLError,
} from 'yaml';

import {fail, ok, type Result} from '../util/result.js';
import {withoutBom} from '../util/without-bom.js';
import {error, type Diagnostic} from './diagnostic.js';
import {lineAt} from './diagnostic-printer.js';
import {applyOverrides} from './overrides.js';
import {parseStep} from './parse-step.js';
import type {GlobalParam, PipelineSpec, StepSpec} from './spec.js';
import {resolveBindings} from './step-bindings.js';
import {finishStep, type StepDraft} from './step-draft.js';
import {validateGathers} from './validate-gather.js';
import {
  BUILT_IN_TASKS,
  validateTask,
  type TaskCatalog,
} from './validate-task.js';
import {validateTemplates} from './validate-templates.js';
import {
  checkName,
  deref,
  knownKeys,
  misspeltKeys,
  readMapping,
  toParamValue,
  type Entry,
} from './yaml-node.js';
import {ParseContext} from './yaml-source.js';

export type {TaskCatalog} from './validate-task.js';

/** How a pipeline is loaded. */
export interface LoadOptions {
  /** `--set name=value` overrides of global params; values are YAML. */
  readonly overrides?: ReadonlyMap<string, string>;
  /** Where `task:` names are looked up; the built-in registry by default. */
  readonly tasks?: TaskCatalog;
}

/**
 * Reads, parses and statically validates a pipeline file. Every problem
 * found is returned, each pointing at where it is written.
 */
export async function loadPipeline(
  file: string,
  options: LoadOptions = {},
): Promise<Result<PipelineSpec, Diagnostic[]>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return fail([
      error(
        `cannot read pipeline file "${file}": ${reason}`,
        undefined,
        'check the path; by default neuromake reads ./pipeline.yaml',
      ),
    ]);
  }
  return loadPipelineText(file, text, options);
}

/** Like {@link loadPipeline}, for text already in memory (tests, watch). */
export function loadPipelineText(
  file: string,
  text: string,
  options: LoadOptions = {},
): Result<PipelineSpec, Diagnostic[]> {
  const absolute = path.resolve(file);
  const lines = new LineCounter();
  const source = withoutBom(text);
  const doc = parseDocument(source, {lineCounter: lines, prettyErrors: false});
  const ctx = new ParseContext(absolute, source, doc, lines);
  const syntax = [...doc.errors, ...doc.warnings];
  // A broken document parses into a partial tree; checking its shape would
  // only produce follow-on errors, so syntax problems are reported alone.
  if (syntax.length > 0) {
    for (const problem of withoutFollowOns(syntax)) reportSyntax(ctx, problem);
    return fail(sorted(ctx.diagnostics));
  }
  // Note: an alias inside the value it names parses without error, but
  // every walk of the tree would then go round for ever.
  reportAliasCycles(ctx);
  if (ctx.failed) return fail(sorted(ctx.diagnostics));
  const steps = readTopLevel(ctx, options.overrides);
  if (steps === undefined) return fail(sorted(ctx.diagnostics));
  const {params, drafts, paramsMisspelt} = steps;
  const bindings = resolveBindings(ctx, drafts);
  const globalNames = new Set(params.keys());
  for (const draft of drafts.values()) {
    validateTask(ctx, draft, options.tasks ?? BUILT_IN_TASKS);
    validateTemplates(ctx, draft, globalNames, bindings, paramsMisspelt);
    validateGathers(ctx, draft, drafts);
  }
  if (ctx.failed) return fail(sorted(ctx.diagnostics));
  const finished = new Map<string, StepSpec>();
  for (const draft of drafts.values()) {
    const step = finishStep(draft);
    if (step !== undefined) finished.set(step.id, step);
  }
  return ok({
    file: absolute,
    workspace: path.dirname(absolute),
    source: text,
    params,
    steps: finished,
  });
}

/**
 * Reports each `*alias` that names a value containing it (`x: &a [1, *a]`):
 * such a value would hold itself.
 */
function reportAliasCycles(ctx: ParseContext): void {
  const open = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (isAlias(node)) {
      const target = node.resolve(ctx.doc);
      if (open.has(target)) {
        ctx.report(
          `the alias *${node.source} is inside the value &${node.source} names, so that value would contain itself`,
          ctx.locate(node),
          'repeat the values it needs instead of the alias',
        );
      }
      return;
    }
    if (!isMap(node) && !isSeq(node)) return;
    open.add(node);
    for (const item of node.items) {
      if (isPair(item)) {
        walk(item.key);
        walk(item.value);
      } else {
        walk(item);
      }
    }
    open.delete(node);
  };
  walk(ctx.doc.contents);
}

/** The keys a pipeline file may hold at its top level. */
const TOP_KEYS = ['params', 'steps'];

/** The top-level `params:` and `steps:`, overrides applied. */
function readTopLevel(
  ctx: ParseContext,
  overrides: ReadonlyMap<string, string> | undefined,
):
  | {
      params: Map<string, GlobalParam>;
      drafts: Map<string, StepDraft>;
      /** A misspelt top-level `parms:`: its params are unknown. */
      paramsMisspelt: boolean;
    }
  | undefined {
  const root = deref(ctx, ctx.doc.contents);
  const start = ctx.span(root?.range?.[0] ?? 0, root?.range?.[0] ?? 0);
  if (
    root === null ||
    (root.range != null && root.range[0] === root.range[1])
  ) {
    ctx.report(
      'the pipeline file is empty; it must be a mapping with a steps: section',
      start,
      'start with `steps:` and one indented entry per step',
    );
    return undefined;
  }
  const entries = readMapping(ctx, root, ctx.locate(root), 'the pipeline file');
  if (entries === undefined) return undefined;
  // Note: `x-…` keys are the user's own, a place for anchors that steps
  // merge with `<<: *name` (as in Compose files).
  const own = entries.filter((e) => !e.key.startsWith('x-'));
  const keys = knownKeys(
    ctx,
    own,
    TOP_KEYS,
    'the pipeline file',
    ' (or x-NAME for a block of anchors that steps merge)',
  );
  const misspelt = misspeltKeys(own, TOP_KEYS);
  const paramsMisspelt = misspelt.has('params') && !keys.has('params');
  const params = new Map<string, GlobalParam>();
  const paramsEntry = keys.get('params');
  if (paramsEntry !== undefined) readGlobalParams(ctx, paramsEntry, params);
  if (overrides !== undefined) applyOverrides(ctx, params, overrides);
  const drafts = new Map<string, StepDraft>();
  const stepsEntry = keys.get('steps');
  if (stepsEntry === undefined) {
    // A misspelt `stpes:` is reported with "did you mean" already.
    if (misspelt.has('steps')) return {params, drafts, paramsMisspelt};
    ctx.report(
      'the pipeline file has no steps: section',
      start,
      'add `steps:` with one indented entry per step',
    );
    return {params, drafts, paramsMisspelt};
  }
  const stepEntries = readMapping(
    ctx,
    stepsEntry.value,
    stepsEntry.valueLocation,
    'steps',
  );
  if (stepEntries?.length === 0) {
    ctx.report(
      'steps must not be empty',
      stepsEntry.valueLocation,
      'add at least one step, e.g. `hello: {shell: "echo hi > {outputs.out}", outputs: {out: hello.txt}}`',
    );
  }
  for (const entry of stepEntries ?? []) {
    if (!checkName(ctx, entry, 'step id')) continue;
    const draft = parseStep(ctx, entry, params);
    if (draft !== undefined) drafts.set(draft.id, draft);
  }
  return {params, drafts, paramsMisspelt};
}

function readGlobalParams(
  ctx: ParseContext,
  entry: Entry,
  params: Map<string, GlobalParam>,
): void {
  const entries = readMapping(ctx, entry.value, entry.valueLocation, 'params');
  for (const item of entries ?? []) {
    if (!checkName(ctx, item, 'param')) continue;
    params.set(item.key, {
      value: toParamValue(ctx, item.value),
      location: item.valueLocation,
    });
  }
}

const SYNTAX_HINTS: Partial<Record<ErrorCode, string>> = {
  DUPLICATE_KEY:
    'each key may appear once in a mapping; remove or rename the repeat',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'line up the keys of one mapping at the same indentation',
  MULTIPLE_DOCS:
    'a pipeline file holds one YAML document; remove the extra "---"',
  MISSING_CHAR: 'close the quote, bracket or brace that was opened',
  BAD_DQ_ESCAPE:
    'in double quotes write \\\\ for a backslash, or use single quotes',
  TAG_RESOLVE_FAILED: 'remove the `!tag`; pipeline files use plain YAML values',
};

/** Syntax errors that leave the rest of the document readable. */
const STANDALONE = new Set<ErrorCode>([
  'DUPLICATE_KEY',
  'BAD_DQ_ESCAPE',
  'TAG_RESOLVE_FAILED',
  'MULTIPLE_DOCS',
]);

/**
 * Every standalone error, and of the others only the first: after a
 * structural error the parser is lost, and a stray `{` once gave 29
 * errors for one mistake.
 */
function withoutFollowOns(problems: readonly YAMLError[]): YAMLError[] {
  const first = problems.find((p) => !STANDALONE.has(p.code));
  return problems.filter((p) => STANDALONE.has(p.code) || p === first);
}

/**
 * A `{` inside a plain value (`data/sub-{s}.nii` in a `{…}` mapping, or
 * `{s}.txt` at the start of one) opens a YAML mapping: the mistake behind
 * most syntax errors in pipeline files, whose paths hold wildcards.
 */
const UNQUOTED_BRACE = /[^\s{[,:'"]\{[A-Za-z_]|:\s+\{[A-Za-z_][\w.-]*\}[^\s,}]/;

function reportSyntax(ctx: ParseContext, problem: YAMLError): void {
  const [start, end] = problem.pos;
  const opening = openingQuote(ctx.text, problem);
  // yaml's own wording for this one tells a programmer which API to call.
  const message =
    problem.code === 'MULTIPLE_DOCS'
      ? 'the file holds more than one YAML document'
      : problem.message;
  ctx.report(
    `YAML syntax error: ${message}`,
    opening === undefined
      ? ctx.span(start, Math.max(end, start + 1))
      : ctx.span(opening, opening + 1),
    SYNTAX_HINTS[problem.code] ??
      (!STANDALONE.has(problem.code) &&
      UNQUOTED_BRACE.test(lineAt(ctx.text, start).line)
        ? "quote values that hold {wildcards}: unquoted, a `{` starts a YAML mapping (write 'data/sub-{subject}.nii.gz')"
        : 'check the YAML here: indentation, matching quotes, and ": " after each key'),
  );
}

/**
 * yaml reports an unclosed quote where the file ends; the useful place is
 * the quote that was opened. It is the last one before the end that is not
 * escaped (`\"` in double quotes, `''` in single quotes), since a closing
 * quote would have ended the string.
 */
function openingQuote(text: string, problem: YAMLError): number | undefined {
  if (problem.code !== 'MISSING_CHAR') return undefined;
  const quote = problem.message.includes('"quote')
    ? '"'
    : problem.message.includes("'quote")
      ? "'"
      : undefined;
  if (quote === undefined) return undefined;
  let i = Math.min(problem.pos[0], text.length) - 1;
  while (i >= 0) {
    if (text[i] === quote) {
      if (quote === '"' && text[i - 1] === '\\') {
        i -= 2;
        continue;
      }
      if (quote === "'" && text[i - 1] === "'") {
        i -= 2;
        continue;
      }
      return i;
    }
    i--;
  }
  return undefined;
}

/**
 * File order, so the first problem printed is the first in the file, and
 * each problem once.
 */
function sorted(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  // Note: one mistake in an anchor that several steps merge is met once
  // per step, at one place, in the same words: said once.
  const seen = new Set<string>();
  const once = diagnostics.filter((d) => {
    const key = `${d.location?.offset ?? ''}\0${d.message}\0${d.hint ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return once.sort(
    (a, b) =>
      (a.location?.offset ?? Number.MAX_SAFE_INTEGER) -
      (b.location?.offset ?? Number.MAX_SAFE_INTEGER),
  );
}
