import {didYouMean} from '../util/did-you-mean.js';
import type {StepBindings} from './step-bindings.js';
import type {StepDraft} from './step-draft.js';
import type {Located} from './spec.js';
import {formatReference, parseTemplate, type Reference} from './template.js';
import type {ParseContext} from './yaml-source.js';

/** A reference found in a template, with its offset in the string. */
interface FoundReference {
  readonly ref: Reference;
  readonly offset: number;
}

/** What a template may refer to where it is written. */
interface Scope {
  readonly step: StepDraft;
  readonly globalParams: ReadonlySet<string>;
  /** Undefined when the step's bindings are unknown (already reported). */
  readonly wildcards: ReadonlySet<string> | undefined;
  /** Only shell commands may use `{inputs.x}` and `{outputs.x}`. */
  readonly shell: boolean;
  /** In step params, `{params.x}` names a global param only. */
  readonly globalOnly?: boolean;
  /** The top-level `params:` is misspelt (reported): its names unknown. */
  readonly globalsMisspelt?: boolean;
}

/**
 * Checks every template of a step: its input and output paths, its string
 * params and its shell command. Then checks that each output of a fanned-out
 * step names every wildcard.
 */
export function validateTemplates(
  ctx: ParseContext,
  step: StepDraft,
  globalParams: ReadonlySet<string>,
  bindings: StepBindings,
  globalsMisspelt = false,
): void {
  const wildcards = bindings.get(step.id);
  const scope: Scope = {
    step,
    globalParams,
    wildcards,
    shell: false,
    globalsMisspelt,
  };
  for (const input of step.inputs.values()) {
    if (input.kind !== 'files') continue;
    for (const pattern of input.patterns) checkTemplate(ctx, pattern, scope);
  }
  for (const [name, output] of step.outputs) {
    const refs = checkTemplate(ctx, output, scope);
    if (refs !== undefined && wildcards !== undefined) {
      checkCoverage(ctx, step, name, output, refs, wildcards);
    }
  }
  for (const param of step.params.values()) {
    if (typeof param.value !== 'string') continue;
    const located = {value: param.value, location: param.location};
    // `lag: "{params.lag}"` passes the global lag on: inside step params,
    // `{params.x}` always means the global param, so nothing can loop.
    checkTemplate(ctx, located, {...scope, globalOnly: true});
  }
  if (step.action?.kind === 'shell') {
    checkTemplate(ctx, step.action.command, {...scope, shell: true});
  }
}

/** Parses one template and reports every bad reference in it. */
function checkTemplate(
  ctx: ParseContext,
  template: Located<string>,
  scope: Scope,
): FoundReference[] | undefined {
  const parsed = parseTemplate(template.value);
  if (!parsed.ok) {
    const {message, offset} = parsed.error;
    // An invalid `{…}` is underlined up to its closing brace.
    const close = template.value.indexOf('}', offset);
    const length =
      template.value[offset] === '{' && close !== -1 ? close - offset + 1 : 1;
    ctx.report(
      `invalid template: ${message}`,
      ctx.within(template, offset, length),
      'references are {wildcard}, {params.name}, {inputs.name} or ' +
        '{outputs.name}; write {{ and }} for literal braces',
    );
    return undefined;
  }
  const found: FoundReference[] = [];
  for (const part of parsed.parts) {
    if (part.kind !== 'ref') continue;
    found.push(part);
    checkReference(ctx, template, part, scope);
  }
  return found;
}

function checkReference(
  ctx: ParseContext,
  template: Located<string>,
  found: FoundReference,
  scope: Scope,
): void {
  const {ref, offset} = found;
  const {step} = scope;
  const text = formatReference(ref);
  const location = ctx.within(template, offset, text.length);
  switch (ref.kind) {
    case 'wildcard': {
      const bound = scope.wildcards;
      if (bound === undefined || bound.has(ref.name)) return;
      if (step.forEach === undefined && step.misspelt.has('for_each')) return;
      const why =
        step.forEach === undefined
          ? `step "${step.id}" has no for_each, so ${text} is not bound`
          : `wildcard ${text} is not bound by the for_each of step "${step.id}"`;
      ctx.report(why, location, unboundHint(template, found, scope));
      return;
    }
    case 'params': {
      const local = scope.globalOnly !== true;
      if (scope.globalParams.has(ref.name)) return;
      if (local && step.params.has(ref.name)) return;
      // A misspelt `parms:` is reported already, with "did you mean".
      if (local && step.misspelt.has('params')) return;
      if (scope.globalsMisspelt === true) return;
      const known = [
        ...(local ? step.params.keys() : []),
        ...scope.globalParams,
      ];
      const message = local
        ? `${text} names no param: step "${step.id}" has no param "${ref.name}" and there is no global param "${ref.name}"`
        : `${text} names no global param (in step params, {params.x} refers to the top-level params)`;
      ctx.report(
        message,
        location,
        didYouMean(ref.name, known) ??
          (local
            ? "declare it under the step's params or the top-level params"
            : `declare "${ref.name}" under the top-level params`),
      );
      return;
    }
    case 'inputs':
    case 'outputs': {
      if (!scope.shell) {
        ctx.report(
          `${text} can only be used in a shell command`,
          location,
          'paths and params are written with wildcards and {params.x}; ' +
            'a task receives its inputs and outputs directly',
        );
        return;
      }
      const names =
        ref.kind === 'inputs' ? step.names.inputs : step.names.outputs;
      if (names.has(ref.name) || step.misspelt.has(ref.kind)) return;
      const kind = ref.kind.slice(0, -1);
      ctx.report(
        `${text} names no ${kind} of step "${step.id}"`,
        location,
        didYouMean(ref.name, names.keys()) ??
          `declare it under ${ref.kind}: (${names.size === 0 ? 'there are none yet' : `known: ${[...names.keys()].join(', ')}`})`,
      );
      return;
    }
  }
}

function unboundHint(
  template: Located<string>,
  found: FoundReference,
  scope: Scope,
): string {
  const name = found.ref.name;
  if (scope.step.params.has(name) || scope.globalParams.has(name)) {
    return `to use the param, write {params.${name}}`;
  }
  const guess = didYouMean(name, scope.wildcards ?? []);
  if (guess !== undefined) return guess;
  // `${HOME}` in a shell command reads as `$` then the wildcard {HOME}.
  if (scope.shell && template.value[found.offset - 1] === '$') {
    return `for the shell variable, write $\{{${name}}} (doubled braces are literal)`;
  }
  return `bind it in for_each, e.g. \`matrix: {${name}: [a, b]}\` or a {${name}} part in the glob`;
}

/** Two jobs must never write the same file: each output names every wildcard. */
function checkCoverage(
  ctx: ParseContext,
  step: StepDraft,
  name: string,
  output: Located<string>,
  refs: readonly FoundReference[],
  wildcards: ReadonlySet<string>,
): void {
  const used = new Set<string>();
  for (const {ref} of refs) {
    if (ref.kind === 'wildcard') used.add(ref.name);
    if (ref.kind !== 'params') continue;

    // Note: `{params.x}` in a path names the step's own param first, and
    // that param's value may carry wildcards (`name: 'sub-{s}'`).
    const value = step.params.get(ref.name)?.value;
    const parsed = typeof value === 'string' ? parseTemplate(value) : undefined;
    for (const part of parsed?.ok === true ? parsed.parts : []) {
      if (part.kind === 'ref' && part.ref.kind === 'wildcard') {
        used.add(part.ref.name);
      }
    }
  }
  const missing = [...wildcards].filter((w) => !used.has(w));
  if (missing.length === 0) return;
  const list = missing.map((w) => `{${w}}`).join(', ');
  ctx.report(
    `output "${name}" of step "${step.id}" does not use ${list}: two jobs that differ only in ${missing.join(' and ')} would write the same file`,
    output.location,
    `add ${list} to the path so every job writes its own file`,
  );
}
