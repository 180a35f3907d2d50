import {didYouMean} from '../util/did-you-mean.js';
import type {StepDraft} from './step-draft.js';
import type {ParseContext} from './yaml-source.js';

/** Checks that each gather names another step and one of its outputs. */
export function validateGathers(
  ctx: ParseContext,
  step: StepDraft,
  steps: ReadonlyMap<string, StepDraft>,
): void {
  for (const [name, input] of step.inputs) {
    if (input.kind !== 'gather') continue;
    const {from, output} = input;
    if (from.value === step.id) {
      ctx.report(
        `input "${name}" of step "${step.id}" gathers from its own step`,
        from.location,
        'a step cannot read its own outputs; gather from the step that writes them',
      );
      continue;
    }
    const source = steps.get(from.value);
    if (source === undefined) {
      ctx.report(
        `input "${name}" gathers from step "${from.value}", which does not exist`,
        from.location,
        didYouMean(from.value, steps.keys()) ??
          `name one of the steps: ${[...steps.keys()].join(', ')}`,
      );
      continue;
    }
    const outputs = source.names.outputs;
    if (outputs.has(output.value)) continue;
    // Its misspelt `ouptuts:` is reported already, with "did you mean".
    if (source.misspelt.has('outputs')) continue;
    ctx.report(
      `step "${source.id}" has no output "${output.value}"`,
      output.location,
      didYouMean(output.value, outputs.keys()) ??
        (outputs.size === 0
          ? `step "${source.id}" declares no outputs`
          : `its outputs: ${[...outputs.keys()].join(', ')}`),
      [
        {
          message: `step "${source.id}" is defined here`,
          location: source.location,
        },
      ],
    );
  }
}
