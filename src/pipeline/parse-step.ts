import {isScalar, isSeq} from 'yaml';

import {didYouMean} from '../util/did-you-mean.js';
import {parseForEach} from './parse-for-each.js';
import {namedEntries, nonEmptyPath, readInputs} from './parse-inputs.js';
import {DEFAULT_RESOURCES, parseResources} from './parse-resources.js';
import {EXECUTORS, type ExecutorName, type GlobalParam} from './spec.js';
import type {StepDraft} from './step-draft.js';
import {escapesWorkspace} from './workspace-path.js';
import {
  describe,
  deref,
  knownKeys,
  misspeltKeys,
  readMapping,
  readString,
  toParamValue,
  type Entry,
} from './yaml-node.js';
import type {ParseContext} from './yaml-source.js';

/** Every key a step may have. */
export const STEP_KEYS = [
  'description',
  'task',
  'shell',
  'for_each',
  'inputs',
  'outputs',
  'params',
  'resources',
  'retries',
  'env',
  'executor',
] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks one entry of `steps:` for shape and types. Cross-step checks
 * (tasks, templates, wildcards, gathers) happen later on the draft.
 */
export function parseStep(
  ctx: ParseContext,
  entry: Entry,
  globals: ReadonlyMap<string, GlobalParam> = new Map(),
): StepDraft | undefined {
  const id = entry.key;
  const where = `step "${id}"`;
  const entries = readMapping(ctx, entry.value, entry.valueLocation, where);
  if (entries === undefined) return undefined;
  const keys = knownKeys(ctx, entries, STEP_KEYS, where);
  const draft: StepDraft = {
    id,
    location: entry.keyLocation,
    description: undefined,
    action: undefined,
    forEach: undefined,
    ownWildcards: [],
    forEachValid: true,
    inputs: new Map(),
    outputs: new Map(),
    params: new Map(),
    resources: DEFAULT_RESOURCES,
    retries: 0,
    env: [],
    executor: undefined,
    misspelt: misspeltKeys(entries, STEP_KEYS),
    keys: new Map([...keys].map(([k, e]) => [k, e.keyLocation])),
    names: {inputs: new Map(), outputs: new Map(), params: new Map()},
  };
  const description = keys.get('description');
  if (description !== undefined) {
    draft.description = readString(ctx, description, 'description')?.value;
  }
  readAction(ctx, draft, keys);
  const forEach = keys.get('for_each');
  if (forEach !== undefined) {
    const parsed = parseForEach(ctx, id, forEach, globals);
    draft.forEach = parsed?.spec;
    draft.ownWildcards = parsed?.wildcards ?? [];
    draft.forEachValid = parsed?.valid ?? false;
  }
  const inputs = keys.get('inputs');
  if (inputs !== undefined) readInputs(ctx, draft, inputs);
  const outputs = keys.get('outputs');
  if (outputs !== undefined) readOutputs(ctx, draft, outputs);
  const params = keys.get('params');
  if (params !== undefined) readParams(ctx, draft, params);
  const resources = keys.get('resources');
  if (resources !== undefined) {
    draft.resources = parseResources(ctx, id, resources);
  }
  const retries = keys.get('retries');
  if (retries !== undefined) draft.retries = readRetries(ctx, retries);
  const env = keys.get('env');
  if (env !== undefined) draft.env = readEnv(ctx, env);
  const executor = keys.get('executor');
  if (executor !== undefined) draft.executor = readExecutor(ctx, executor);
  return draft;
}

/** Exactly one of `task:` and `shell:`. */
function readAction(
  ctx: ParseContext,
  draft: StepDraft,
  keys: ReadonlyMap<string, Entry>,
): void {
  const task = keys.get('task');
  const shell = keys.get('shell');
  if (task !== undefined && shell !== undefined) {
    const [first, second] =
      task.keyLocation.offset < shell.keyLocation.offset
        ? [task, shell]
        : [shell, task];
    ctx.report(
      `step "${draft.id}" has both task and shell; it must have exactly one`,
      second.keyLocation,
      'keep `task:` to run a built-in task, or `shell:` to run a command',
      [{message: `${first.key} is given here`, location: first.keyLocation}],
    );
    return;
  }
  if (task === undefined && shell === undefined) {
    // A misspelt `tsak:` is already reported with "did you mean"; saying
    // that the step has no task as well would only repeat it.
    if (draft.misspelt.has('task') || draft.misspelt.has('shell')) return;
    ctx.report(
      `step "${draft.id}" has neither task nor shell; it must have exactly one`,
      draft.location,
      'add `task: <name>` to run a built-in task, or `shell: <command>`',
    );
    return;
  }
  if (task !== undefined) {
    const name = readString(ctx, task, 'task');
    if (name !== undefined) draft.action = {kind: 'task', task: name};
  } else if (shell !== undefined) {
    const command = readString(ctx, shell, 'shell');
    if (command !== undefined) draft.action = {kind: 'shell', command};
  }
}

function readOutputs(ctx: ParseContext, draft: StepDraft, entry: Entry): void {
  for (const item of namedEntries(ctx, draft, entry, 'outputs')) {
    const path = nonEmptyPath(ctx, item, `output "${item.key}"`);
    if (path === undefined) continue;
    const escaped = escapesWorkspace(path.value);
    if (escaped !== undefined) {
      ctx.report(
        `output "${item.key}" ${escaped.reason}`,
        ctx.within(path, escaped.offset, escaped.length),
        escaped.hint,
      );
      continue;
    }
    draft.outputs.set(item.key, path);
  }
}

function readParams(ctx: ParseContext, draft: StepDraft, entry: Entry): void {
  for (const item of namedEntries(ctx, draft, entry, 'params')) {
    draft.params.set(item.key, {
      value: toParamValue(ctx, item.value),
      location: item.valueLocation,
    });
  }
}

function readRetries(ctx: ParseContext, entry: Entry): number {
  const node = entry.value;
  if (
    isScalar(node) &&
    typeof node.value === 'number' &&
    Number.isSafeInteger(node.value) &&
    node.value >= 0
  ) {
    return node.value;
  }
  ctx.report(
    `retries must be a whole number ≥ 0, got ${describe(node)}`,
    entry.valueLocation,
    'write how many times to retry a failed job, e.g. `retries: 2`',
  );
  return 0;
}

function readEnv(ctx: ParseContext, entry: Entry): string[] {
  const node = entry.value;
  if (!isSeq(node)) {
    ctx.report(
      `env must be a list of environment variable names, got ${describe(node)}`,
      entry.valueLocation,
      'write e.g. `env: [OMP_NUM_THREADS, FSLDIR]`',
    );
    return [];
  }
  const names: string[] = [];
  for (const raw of node.items) {
    const element = deref(ctx, raw);
    const location = ctx.locate(element, entry.valueLocation);
    const value = isScalar(element) ? element.value : undefined;
    if (typeof value !== 'string' || !ENV_NAME.test(value)) {
      ctx.report(
        `env entries must be environment variable names, got ${describe(element)}`,
        location,
        'names hold letters, digits and "_" and do not start with a digit',
      );
      continue;
    }
    if (names.includes(value)) {
      ctx.report(
        `env variable "${value}" is listed twice`,
        location,
        'remove the repeat',
      );
      continue;
    }
    names.push(value);
  }
  return names;
}

function readExecutor(
  ctx: ParseContext,
  entry: Entry,
): ExecutorName | undefined {
  const node = entry.value;
  const value = isScalar(node) ? node.value : undefined;
  const known = EXECUTORS.find((e) => e === value);
  if (known !== undefined) return known;
  ctx.report(
    `executor must be ${EXECUTORS.join(' or ')}, got ${describe(node)}`,
    entry.valueLocation,
    (typeof value === 'string' ? didYouMean(value, EXECUTORS) : undefined) ??
      'write `executor: slurm` to run the step on the cluster (docs/cluster.md), or leave it out to follow --executor',
  );
  return undefined;
}
