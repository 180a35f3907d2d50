import {isMap, isScalar, isSeq, LineCounter, parseDocument} from 'yaml';

import {didYouMean} from '../util/did-you-mean.js';
import {isScalarValue, type GlobalParam, type ParamValue} from './spec.js';
import {ParseContext} from './yaml-source.js';
import {deref, toParamValue} from './yaml-node.js';

/**
 * Reads a `--set name=value` value as YAML would read it in the file:
 * `4` is a number, `true` a boolean, `[1, 2]` a list, anything else text.
 * An empty value is the empty string rather than YAML's null.
 */
function parseOverrideValue(
  ctx: ParseContext,
  text: string,
): {value: ParamValue; items?: (string | undefined)[]} {
  if (text.trim() === '') return {value: ''};
  const lines = new LineCounter();
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false});
  if (doc.errors.length > 0) return {value: text};
  const node = doc.contents;
  if (isScalar(node)) {
    const value = node.value;
    return {value: isScalarValue(value) || value === null ? value : text};
  }
  // Only flow collections count: `a: b` on a command line is meant as text.
  if ((isSeq(node) || isMap(node)) && /^\s*[[{]/.test(text)) {
    // Aliases in the value (`[&a x, *a]`) are its own, not the file's.
    const own = new ParseContext(ctx.file, text, doc, lines);
    const value = toParamValue(own, node);
    if (!isSeq(node)) return {value};
    const items = node.items.map((item) => {
      const scalar = deref(own, item);
      const range = isScalar(scalar) ? scalar.range : undefined;
      return range == null ? undefined : text.slice(range[0], range[1]);
    });
    return {value, items};
  }
  return {value: text};
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
    const {value, items} = parseOverrideValue(ctx, text);

    // Note: `--set sub=02` for a param the file gives as text ('01') is
    // read as the number 2, a silent rename of every path it is in.
    if (
      typeof current.value === 'string' &&
      (typeof value === 'number' || typeof value === 'boolean') &&
      String(value) !== text.trim()
    ) {
      ctx.report(
        `--set ${name}=${text}: ${text.trim()} is read as the ${typeof value} ${String(value)}, so {params.${name}} would be "${String(value)}" where the file has the text ${JSON.stringify(current.value)}`,
        undefined,
        `quote it to keep the text as written: --set "${name}='${text.trim()}'"`,
        [{message: `param "${name}" is set here`, location: current.location}],
      );
    }
    params.set(name, {
      value,
      location: current.location,
      fromSet: true,
      ...(items === undefined ? {} : {setItems: items}),
    });
  }
}
