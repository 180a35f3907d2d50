import {TaskInputError, type TaskContext} from '../task.js';

/** A number param (after the engine's defaults), failing clearly. */
export function numberParam(
  context: TaskContext,
  name: string,
  fallback: number,
): number {
  const v = context.params[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TaskInputError(
      `param "${name}" must be a number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** A boolean param. */
export function booleanParam(
  context: TaskContext,
  name: string,
  fallback: boolean,
): boolean {
  const v = context.params[name] ?? fallback;
  if (typeof v !== 'boolean') {
    throw new TaskInputError(
      `param "${name}" must be true or false, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** A string param restricted to `allowed` values (when given). */
export function stringParam<T extends string>(
  context: TaskContext,
  name: string,
  fallback: T,
  allowed?: readonly T[],
): T {
  const v = context.params[name] ?? fallback;
  if (
    typeof v !== 'string' ||
    (allowed !== undefined && !allowed.includes(v as T))
  ) {
    throw new TaskInputError(
      `param "${name}" must be ${allowed === undefined ? 'a string' : `one of ${allowed.join(', ')}`}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/** An optional single-path input. */
export function optionalInput(
  context: TaskContext,
  name: string,
): string | undefined {
  const v = context.inputs[name];
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return undefined;
  if (typeof v !== 'string') {
    throw new TaskInputError(
      `input "${name}" must be a single path, got a list`,
    );
  }
  return v;
}
