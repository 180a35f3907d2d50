/**
 * Templates are strings with `{…}` references:
 *
 *   {subject}          a wildcard bound by the step's `for_each`
 *   {params.lag}       a step param, else a global param
 *   {inputs.bold}      (shell commands) the path(s) of an input
 *   {outputs.samples}  (shell commands) the path of an output
 *
 * `{{` and `}}` stand for literal braces, so shell and awk code can be
 * written as usual apart from doubling them.
 */
export type TemplatePart =
  | {readonly kind: 'text'; readonly text: string}
  | {readonly kind: 'ref'; readonly ref: Reference; readonly offset: number};

/** What a `{…}` names. */
export type Reference =
  | {readonly kind: 'wildcard'; readonly name: string}
  | {readonly kind: 'params'; readonly name: string}
  | {readonly kind: 'inputs'; readonly name: string}
  | {readonly kind: 'outputs'; readonly name: string};

/** A syntax problem in a template, at `offset` within the string. */
export interface TemplateError {
  readonly message: string;
  readonly offset: number;
}

/** Names of steps, params, ports and wildcards (also checked in YAML keys
 * by yaml-node.ts). */
export const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const parsedCache = new Map<string, ReturnType<typeof parseUncached>>();

/**
 * Splits a template into text and references. Results are memoized by
 * text: a step's few templates are rendered once per job, and a 1,000-way
 * fan-out would otherwise parse the same string 1,000 times. Callers must
 * not mutate the returned parts.
 */
export function parseTemplate(
  source: string,
): {ok: true; parts: TemplatePart[]} | {ok: false; error: TemplateError} {
  let parsed = parsedCache.get(source);
  if (parsed === undefined) {
    parsed = parseUncached(source);
    parsedCache.set(source, parsed);
  }
  return parsed;
}

function parseUncached(
  source: string,
): {ok: true; parts: TemplatePart[]} | {ok: false; error: TemplateError} {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '{' && source[i + 1] === '{') {
      text += '{';
      i += 2;
      continue;
    }
    if (ch === '}' && source[i + 1] === '}') {
      text += '}';
      i += 2;
      continue;
    }
    if (ch === '}') {
      return {
        ok: false,
        error: {message: 'unmatched "}" (write "}}" for a literal)', offset: i},
      };
    }
    if (ch !== '{') {
      text += ch ?? '';
      i++;
      continue;
    }
    const end = source.indexOf('}', i);
    if (end === -1) {
      return {
        ok: false,
        error: {message: 'unclosed "{" (write "{{" for a literal)', offset: i},
      };
    }
    const ref = parseReference(source.slice(i + 1, end));
    if (ref === undefined) {
      return {
        ok: false,
        error: {
          message: `"{${source.slice(i + 1, end)}}" is not a valid reference`,
          offset: i,
        },
      };
    }
    if (text !== '') parts.push({kind: 'text', text});
    text = '';
    parts.push({kind: 'ref', ref, offset: i});
    i = end + 1;
  }
  if (text !== '') parts.push({kind: 'text', text});
  return {ok: true, parts};
}

function parseReference(body: string): Reference | undefined {
  const dot = body.indexOf('.');
  if (dot === -1) {
    return NAME.test(body) ? {kind: 'wildcard', name: body} : undefined;
  }
  const scope = body.slice(0, dot);
  const name = body.slice(dot + 1);
  if (!NAME.test(name)) return undefined;
  if (scope === 'params' || scope === 'inputs' || scope === 'outputs') {
    return {kind: scope, name};
  }
  return undefined;
}

/** True when the template has no references at all. */
export function isLiteral(parts: readonly TemplatePart[]): boolean {
  return parts.every((p) => p.kind === 'text');
}

/**
 * Renders parsed parts; `resolve` returns the text for each reference, or
 * undefined when it cannot be resolved (the caller reports that).
 */
export function renderTemplate(
  parts: readonly TemplatePart[],
  resolve: (ref: Reference) => string | undefined,
): {ok: true; text: string} | {ok: false; ref: Reference; offset: number} {
  let text = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      text += part.text;
      continue;
    }
    const value = resolve(part.ref);
    if (value === undefined)
      return {ok: false, ref: part.ref, offset: part.offset};
    text += value;
  }
  return {ok: true, text};
}

/** Writes a reference back in template syntax, for messages. */
export function formatReference(ref: Reference): string {
  return ref.kind === 'wildcard'
    ? `{${ref.name}}`
    : `{${ref.kind}.${ref.name}}`;
}
