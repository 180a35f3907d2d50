import {findTask, taskNames} from '../tasks/registry.js';
import type {ParamSpec, PortSpec, TaskDefinition} from '../tasks/task.js';
import {didYouMean} from '../util/did-you-mean.js';
import type {SourceLocation} from './diagnostic.js';
import {checkWrittenParam} from './param-value.js';
import type {StepDraft} from './step-draft.js';
import type {ParseContext} from './yaml-source.js';

/** Where tasks are looked up; tests pass their own. */
export interface TaskCatalog {
  find(name: string): TaskDefinition | undefined;
  names(): readonly string[];
}

/** The built-in tasks of src/tasks/registry.ts. */
export const BUILT_IN_TASKS: TaskCatalog = {
  find: (name) => findTask(name)?.definition,
  names: taskNames,
};

/** Lists all task names in a hint when there are no more than this. */
const LIST_LIMIT = 12;

/**
 * Checks a task step against its task's declaration: the task exists, and
 * its inputs, outputs and params are the declared ones, with every required
 * one given and every literal param of the right type.
 */
export function validateTask(
  ctx: ParseContext,
  step: StepDraft,
  catalog: TaskCatalog,
): void {
  if (step.action?.kind !== 'task') return;
  const name = step.action.task;
  const task = catalog.find(name.value);
  if (task === undefined) {
    const names = catalog.names();
    const listed =
      names.length <= LIST_LIMIT
        ? `registered tasks: ${names.join(', ')}`
        : 'run `neuromake tasks` to list the registered tasks';
    const guess = didYouMean(name.value, names);
    ctx.report(
      `unknown task "${name.value}"`,
      name.location,
      guess === undefined ? listed : `${guess} (${listed})`,
    );
    return;
  }
  checkPorts(ctx, step, task, 'input');
  checkPorts(ctx, step, task, 'output');
  checkParams(ctx, step, task);
}

function checkPorts(
  ctx: ParseContext,
  step: StepDraft,
  task: TaskDefinition,
  kind: 'input' | 'output',
): void {
  const declared: Readonly<Record<string, PortSpec>> =
    kind === 'input' ? task.inputs : task.outputs;
  const given = kind === 'input' ? step.names.inputs : step.names.outputs;
  const section = `${kind}s`;
  const names = Object.keys(declared);
  for (const [name, location] of given) {
    const port = declared[name];
    if (port === undefined) {
      ctx.report(
        `task "${task.name}" has no ${kind} "${name}"`,
        location,
        didYouMean(name, names) ?? describeNames(`${kind}s`, names),
      );
      continue;
    }
    const input = kind === 'input' ? step.inputs.get(name) : undefined;
    const several =
      input?.kind === 'gather' || (input?.kind === 'files' && input.list);
    if (several && port.list !== true && input !== undefined) {
      ctx.report(
        `input "${name}" of task "${task.name}" takes a single path, but ${input.kind === 'gather' ? 'a gather' : 'a list'} gives several`,
        input.kind === 'gather' ? input.location : location,
        'give one path template, e.g. "data/{subject}.nii.gz"',
      );
    }
  }
  for (const [name, port] of Object.entries(declared)) {
    if (port.optional === true || given.has(name)) continue;
    if (step.misspelt.has(section)) continue;
    ctx.report(
      `step "${step.id}" is missing ${kind} "${name}", which task "${task.name}" requires`,
      missingAt(step, section),
      `add \`${name}: <path>\` under ${section} (${port.description})`,
    );
  }
}

function checkParams(
  ctx: ParseContext,
  step: StepDraft,
  task: TaskDefinition,
): void {
  const declared: Readonly<Record<string, ParamSpec>> = task.params;
  const names = Object.keys(declared);
  for (const [name, location] of step.names.params) {
    const spec = declared[name];
    if (spec === undefined) {
      ctx.report(
        `task "${task.name}" has no param "${name}"`,
        location,
        didYouMean(name, names) ?? describeNames('params', names),
      );
      continue;
    }
    const value = step.params.get(name);
    const problem = value && checkWrittenParam(value.value, spec);
    if (value !== undefined && problem !== undefined) {
      ctx.report(
        `param "${name}" of task "${task.name}" ${problem}`,
        value.location,
        spec.description,
      );
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.default !== undefined || step.names.params.has(name)) continue;
    if (step.misspelt.has('params')) continue;
    ctx.report(
      `step "${step.id}" is missing param "${name}", which task "${task.name}" requires`,
      missingAt(step, 'params'),
      `add \`${name}: <${spec.type}>\` under params (${spec.description})`,
    );
  }
}

function missingAt(step: StepDraft, section: string): SourceLocation {
  return step.keys.get(section) ?? step.location;
}

function describeNames(what: string, names: readonly string[]): string {
  return names.length === 0
    ? `the task takes no ${what}`
    : `its ${what}: ${names.join(', ')}`;
}
