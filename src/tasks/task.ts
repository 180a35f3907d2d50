/**
 * The contract between the engine and a built-in task. A task module's
 * default export is a `TaskDefinition`; it runs inside a worker thread of the
 * shared pool, reads its inputs from disk and writes each output to the
 * temporary path it is given (the engine renames it into place on success).
 *
 * Keep a task module's top-level imports light: the main thread imports every
 * task to validate pipelines, so heavy libraries (onnxruntime) belong behind
 * `await import()` inside `run`.
 */
export interface TaskDefinition {
  /** Dotted name used in pipeline.yaml's `task:`, e.g. `fmri.mask`. */
  readonly name: string;
  readonly description: string;
  readonly inputs: Readonly<Record<string, PortSpec>>;
  readonly outputs: Readonly<Record<string, PortSpec>>;
  readonly params: Readonly<Record<string, ParamSpec>>;
  run(context: TaskContext): Promise<void>;
}

/** A declared input or output. */
export interface PortSpec {
  readonly description: string;
  /** The input is a list of paths (a gather, or a YAML list). */
  readonly list?: boolean;
  /** The input may be left out. */
  readonly optional?: boolean;
}

/** A declared parameter; a param without `default` is required. */
export interface ParamSpec {
  readonly type:
    'number' | 'integer' | 'string' | 'boolean' | 'array' | 'object';
  readonly description: string;
  readonly default?: unknown;
  /** For strings: the allowed values. */
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
}

/** What a running task sees. Paths are absolute. */
export interface TaskContext {
  readonly inputs: Readonly<Record<string, string | readonly string[]>>;
  /** Temporary paths to write; renamed to their final names on success. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Params after defaults and templates, validated against the spec. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The job's id, e.g. `mask[subject=03,run=1]`. */
  readonly jobId: string;
  /**
   * What the job was given: its cpus (for thread pools) and the GPU device
   * ids it holds (empty when the step declared none).
   */
  readonly resources: {readonly cpus: number; readonly gpus: readonly number[]};
  /** Reports progress to the live view. */
  progress(done: number, total: number, message?: string): void;
  /** Appends a line to the job's log file. */
  log(message: string): void;
  /** Surfaces a warning to the user (also logged). */
  warn(message: string): void;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal;
}

/** Reads a string input, failing clearly when it is a list. */
export function singleInput(context: TaskContext, name: string): string {
  const value = context.inputs[name];
  if (typeof value !== 'string') {
    throw new TaskInputError(
      `input "${name}" must be a single path, got ${value === undefined ? 'nothing' : 'a list'}`,
    );
  }
  return value;
}

/** Reads a list input; a single path becomes a one-element list. */
export function listInput(
  context: TaskContext,
  name: string,
): readonly string[] {
  const value = context.inputs[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** Reads a declared output path. */
export function outputPath(context: TaskContext, name: string): string {
  const value = context.outputs[name];
  if (value === undefined) {
    throw new TaskInputError(`output "${name}" is not declared by the step`);
  }
  return value;
}

/** A task's complaint about what it was given; reported without a stack. */
export class TaskInputError extends Error {
  override readonly name = 'TaskInputError';
}

/*
 * Param readers. The engine checks params against the spec and fills in its
 * defaults (runStandalone fills defaults too); these check again for safety,
 * and `fallback` covers a context built by hand.
 */

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

/** A whole-number param, at least `minimum` when one is given. */
export function integerParam(
  context: TaskContext,
  name: string,
  fallback: number,
  minimum?: number,
): number {
  const v = numberParam(context, name, fallback);
  if (!Number.isInteger(v) || (minimum !== undefined && v < minimum)) {
    throw new TaskInputError(
      `param "${name}" must be a whole number${minimum === undefined ? '' : ` ≥ ${minimum}`}`,
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
  fallback?: T,
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

/**
 * A list param (default []) whose every item passes `isItem`; `items` names
 * them in the error, e.g. "column names".
 */
export function listParam<T>(
  context: TaskContext,
  name: string,
  isItem: (x: unknown) => x is T,
  items: string,
): T[] {
  const v = context.params[name] ?? [];
  if (!Array.isArray(v) || !v.every(isItem)) {
    throw new TaskInputError(
      `param "${name}" must be a list of ${items}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
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
