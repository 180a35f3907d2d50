import type {ParamValue, PipelineSpec, StepSpec} from '../pipeline/spec.js';
import {parseTemplate} from '../pipeline/template.js';

/**
 * The global params a step reads: `{params.x}` in its command or paths
 * when the step has no param `x` of its own, and any `{params.x}` in its
 * params (there it always names the global). They join the job's key, so
 * `why` can say "global param lag: 6 → 4" rather than only that the command
 * changed.
 */
export function referencedGlobals(
  spec: PipelineSpec,
  step: StepSpec,
): Record<string, ParamValue> {
  const names = new Set<string>();
  const scan = (text: string, inParams: boolean) => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) return;
    for (const part of parsed.parts) {
      if (part.kind !== 'ref' || part.ref.kind !== 'params') continue;
      if (inParams || !step.params.has(part.ref.name)) names.add(part.ref.name);
    }
  };
  if (step.action.kind === 'shell') scan(step.action.command.value, false);
  for (const input of step.inputs.values()) {
    if (input.kind === 'files') {
      for (const p of input.patterns) scan(p.value, false);
    }
  }
  for (const output of step.outputs.values()) scan(output.value, false);
  for (const param of step.params.values()) {
    if (typeof param.value === 'string') scan(param.value, true);
  }

  const globals: Record<string, ParamValue> = {};
  for (const name of [...names].sort()) {
    const value = spec.params.get(name)?.value;
    if (value !== undefined) globals[name] = value;
  }
  return globals;
}
