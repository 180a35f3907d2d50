import {checkParamValue} from '../tasks/check-param.js';
import type {ParamSpec} from '../tasks/task.js';
import type {ParamValue} from './spec.js';
import {isLiteral, parseTemplate, renderTemplate} from './template.js';

/**
 * Checks a param value as written in pipeline.yaml against the task's
 * declaration and says what is wrong ("must be a number, got …"), or
 * undefined when it is fine. A string holding a template reference is only
 * known once a job's bindings are, so the engine checks it after rendering;
 * a malformed template is reported by the template checks instead.
 */
export function checkWrittenParam(
  value: ParamValue,
  spec: ParamSpec,
): string | undefined {
  if (typeof value !== 'string') return checkParamValue(spec, value);
  const parsed = parseTemplate(value);
  if (!parsed.ok || !isLiteral(parsed.parts)) return undefined;
  // A literal may still hold `{{`/`}}` escapes: check the text it stands for.
  const rendered = renderTemplate(parsed.parts, () => undefined);
  return checkParamValue(spec, rendered.ok ? rendered.text : value);
}
