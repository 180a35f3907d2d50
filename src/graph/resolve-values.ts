import {posix} from 'node:path';

import type {SourceLocation} from '../pipeline/diagnostic.js';
import type {Located, ParamValue, Scalar} from '../pipeline/spec.js';
import {
  formatReference,
  parseTemplate,
  renderTemplate,
  type Reference,
} from '../pipeline/template.js';

/** What a template can refer to while one job is expanded. */
export interface Scope {
  readonly bindings: ReadonlyMap<string, Scalar>;
  readonly stepParams: Readonly<Record<string, ParamValue>> | undefined;
  readonly globalParams: ReadonlyMap<string, Located<ParamValue>>;
}

/** A template that could not be resolved, located for a diagnostic. */
export interface ResolveError {
  readonly message: string;
  readonly location: SourceLocation;
}

/** Resolves a `{params.x}` or `{wildcard}` to its value. */
function lookup(ref: Reference, scope: Scope): ParamValue | undefined {
  switch (ref.kind) {
    case 'wildcard':
      return scope.bindings.get(ref.name);
    case 'params': {
      const own = scope.stepParams?.[ref.name];
      return own !== undefined ? own : scope.globalParams.get(ref.name)?.value;
    }
    case 'inputs':
    case 'outputs':
      return undefined;
  }
}

/** Text form of a value substituted into a string. */
export function valueText(value: ParamValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Renders a string template in `scope`. A string that is exactly one
 * reference keeps the referenced value's type, so `lag: "{params.lag}"`
 * stays a number.
 */
function resolveString(
  located: Located<string>,
  scope: Scope,
  keepType: boolean,
): {ok: true; value: ParamValue} | {ok: false; error: ResolveError} {
  const parsed = parseTemplate(located.value);
  if (!parsed.ok) {
    return {
      ok: false,
      error: {message: parsed.error.message, location: located.location},
    };
  }
  const [only] = parsed.parts;
  if (keepType && parsed.parts.length === 1 && only?.kind === 'ref') {
    const value = lookup(only.ref, scope);
    if (value !== undefined) return {ok: true, value};
  }
  const rendered = renderTemplate(parsed.parts, (ref) => {
    const value = lookup(ref, scope);
    return value === undefined ? undefined : valueText(value);
  });
  if (!rendered.ok) {
    return {
      ok: false,
      error: {
        message: `${formatReference(rendered.ref)} is not bound here`,
        location: located.location,
      },
    };
  }
  return {ok: true, value: rendered.text};
}

/**
 * Resolves a param value. Only a top-level string is a template; strings
 * inside lists and mappings are passed as written (docs/pipeline.md).
 */
export function resolveParam(
  located: Located<ParamValue>,
  scope: Scope,
): {ok: true; value: ParamValue} | {ok: false; error: ResolveError} {
  const value = located.value;
  if (typeof value !== 'string') return {ok: true, value};
  return resolveString({value, location: located.location}, scope, true);
}

/** Resolves a path template and normalises it (no `./`, no `a/../`). */
export function resolvePath(
  located: Located<string>,
  scope: Scope,
): {ok: true; path: string} | {ok: false; error: ResolveError} {
  const r = resolveString(located, scope, false);
  if (!r.ok) return r;
  return {ok: true, path: posix.normalize(valueText(r.value))};
}
