import {isMap, isScalar, isSeq, LineCounter, parseDocument} from 'yaml';

import {didYouMean} from '../util/did-you-mean.js';
import {isScalarValue, type GlobalParam, type ParamValue} from './spec.js';
import {ParseContext} from './yaml-source.js';
import {toParamValue} from './yaml-node.js';

/**
 * Reads a `--set name=value` value as YAML would read it in the file:
 * `4` is a number, `true` a boolean, `[1, 2]` a list, anything else text.
 * An empty value is the empty string rather than YAML's null.
 */
function parseOverrideValue(ctx: ParseContext, text: string): ParamValue {
  if (text.trim() === '') return '';
  const lines = new LineCounter();
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false});
  if (doc.errors.length > 0) return text;
  const node = doc.contents;
  if (isScalar(node)) {
    return isScalarValue(node.value) || node.value === null ? node.value : text;
  }
  // Only flow collections count: `a: b` on a command line is meant as text.
  if ((isSeq(node) || isMap(node)) && /^\s*[[{]/.test(text)) {
    // Aliases in the value (`[&a x, *a]`) are its own, not the file's.
    return toParamValue(new ParseContext(ctx.file, text, doc, lines), node);
  }
  return text;
}

/**
 * Replaces global param values with `--set` overrides. An override must
 * name a param the file declares, so a typo cannot silently do nothing; the
 * param keeps its location in the file for later diagnostics.
 */
export function applyOverrides(
  ctx: ParseContext,
  params: Map<string, GlobalParam>,
  overrides: ReadonlyMap<string, string>,
): void {
  for (const [name, text] of overrides) {
    const current = params.get(name);
    if (current === undefined) {
      const known = [...params.keys()];
      const list =
        known.length === 0
          ? 'the pipeline declares no params; add it under the top-level params'
          : `known params: ${known.join(', ')}`;
      const guess = didYouMean(name, known);
      ctx.report(
        `--set ${name}: the pipeline has no param "${name}"`,
        undefined,
        guess === undefined ? list : `${guess} (${list})`,
      );
      continue;
    }
    params.set(name, {
      value: parseOverrideValue(ctx, text),
      location: current.location,
      fromSet: true,
    });
  }
}
