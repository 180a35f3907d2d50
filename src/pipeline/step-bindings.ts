import {didYouMean} from '../util/did-you-mean.js';
import type {RelatedLocation} from './diagnostic.js';
import type {StepDraft} from './step-draft.js';
import type {ParseContext} from './yaml-source.js';

/**
 * The wildcard names each step's jobs bind, or undefined where they cannot
 * be known (an invalid for_each, an unknown step, a cycle): later checks
 * skip unbound-wildcard reports there rather than pile up follow-on errors.
 */
export type StepBindings = ReadonlyMap<string, ReadonlySet<string> | undefined>;

/**
 * Works out every step's wildcards: its own glob and matrix names, plus,
 * through `for_each: {step: other}`, those of the other step, recursively.
 * Reports unknown steps, cycles, and names bound twice.
 */
export function resolveBindings(
  ctx: ParseContext,
  steps: ReadonlyMap<string, StepDraft>,
): StepBindings {
  const done = new Map<string, ReadonlySet<string> | undefined>();
  const stack: StepDraft[] = [];

  const resolve = (step: StepDraft): ReadonlySet<string> | undefined => {
    if (done.has(step.id)) return done.get(step.id);
    stack.push(step);
    const result = bind(step);
    stack.pop();
    done.set(step.id, result);
    return result;
  };

  const bind = (step: StepDraft): ReadonlySet<string> | undefined => {
    if (!step.forEachValid) return undefined;
    const names = new Set(step.ownWildcards.map((w) => w.name));
    const ref = step.forEach?.step;
    if (ref === undefined) return names;
    const target = steps.get(ref.value);
    if (target === undefined) {
      ctx.report(
        `for_each of step "${step.id}" takes its jobs from step "${ref.value}", which does not exist`,
        ref.location,
        didYouMean(ref.value, steps.keys()) ??
          `name one of the steps: ${[...steps.keys()].join(', ')}`,
      );
      return undefined;
    }
    const loopStart = stack.indexOf(target);
    if (loopStart !== -1) {
      reportCycle(ctx, stack.slice(loopStart));
      return undefined;
    }
    const inherited = resolve(target);
    if (inherited === undefined) return undefined;
    for (const own of step.ownWildcards) {
      if (!inherited.has(own.name)) continue;
      ctx.report(
        `wildcard "${own.name}" of step "${step.id}" is bound both by its ${own.source} and by step "${target.id}"`,
        own.location,
        `rename it, or drop it here: the jobs of "${target.id}" already bind {${own.name}}`,
        [{message: `"${target.id}" is named here`, location: ref.location}],
      );
    }
    for (const name of inherited) names.add(name);
    return names;
  };

  for (const step of steps.values()) resolve(step);
  return done;
}

function reportCycle(ctx: ParseContext, loop: readonly StepDraft[]): void {
  const last = loop[loop.length - 1];
  const first = loop[0];
  const lastRef = last?.forEach?.step;
  if (first === undefined || lastRef === undefined) return;
  const chain = [...loop.map((s) => s.id), first.id].join(' → ');
  const related: RelatedLocation[] = [];
  for (const step of loop.slice(0, -1)) {
    const ref = step.forEach?.step;
    if (ref !== undefined) {
      related.push({
        message: `"${step.id}" takes its jobs from here`,
        location: ref.location,
      });
    }
  }
  ctx.report(
    `for_each step references form a cycle: ${chain}`,
    lastRef.location,
    'a step cannot take its jobs from itself, directly or through other ' +
      'steps; bind the wildcards with glob or matrix in one of them',
    related,
  );
}
