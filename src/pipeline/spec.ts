import type {SourceLocation} from './diagnostic.js';

/** A JSON-like value as written in pipeline.yaml. */
export type ParamValue =
  | string
  | number
  | boolean
  | null
  | readonly ParamValue[]
  | {readonly [key: string]: ParamValue};

/** A value together with where it was written, for diagnostics. */
export interface Located<T> {
  readonly value: T;
  readonly location: SourceLocation;
}

/**
 * A global param while the file is read: its value, where the file sets
 * it, and whether `--set` replaced that value.
 */
export interface GlobalParam extends Located<ParamValue> {
  readonly fromSet?: true;
  /**
   * For a list given with `--set`, each item as typed on the command
   * line (undefined where it is not a plain value), so that a number
   * written `01` can be caught as in the file.
   */
  readonly setItems?: readonly (string | undefined)[];
}

/**
 * A pipeline file after parsing and static validation: every key known,
 * every type right, every task name registered. Nothing is expanded yet;
 * strings may still hold `{…}` templates.
 */
export interface PipelineSpec {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Absolute directory that relative paths are resolved against. */
  readonly workspace: string;
  /** The file's text, kept so diagnostics can quote source lines. */
  readonly source: string;
  /** Global params after `--set` overrides, in file order. */
  readonly params: ReadonlyMap<string, Located<ParamValue>>;
  /** Steps by id, in file order. */
  readonly steps: ReadonlyMap<string, StepSpec>;
}

/** One entry of `steps:`. */
export interface StepSpec {
  readonly id: string;
  /** Where the step's id is written. */
  readonly location: SourceLocation;
  readonly description: string | undefined;
  readonly action: TaskAction | ShellAction;
  readonly forEach: ForEachSpec | undefined;
  readonly inputs: ReadonlyMap<string, InputSpec>;
  readonly outputs: ReadonlyMap<string, Located<string>>;
  /** Step params; string values may be templates such as `{params.lag}`. */
  readonly params: ReadonlyMap<string, Located<ParamValue>>;
  readonly resources: Resources;
  /** How many times a failed job is tried again before it counts as failed. */
  readonly retries: number;
  /** Environment variable names passed to the job and part of its key. */
  readonly env: readonly string[];
  /**
   * Where the step's jobs run; undefined follows `--executor`. Not part of
   * the cache key: the same job gives the same outputs anywhere.
   */
  readonly executor: ExecutorName | undefined;
}

/** Where a job's action runs: this machine, or a Slurm cluster. */
export type ExecutorName = 'local' | 'slurm';

/** Every executor, for validation and hints. */
export const EXECUTORS: readonly ExecutorName[] = ['local', 'slurm'];

/** A built-in task, run in the worker pool. */
export interface TaskAction {
  readonly kind: 'task';
  readonly task: Located<string>;
}

/** A shell command, run as a child process with `sh -c`. */
export interface ShellAction {
  readonly kind: 'shell';
  readonly command: Located<string>;
}

/** What one job of a step needs while it runs. */
export interface Resources {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly gpus: number;
}

/**
 * A named input: either file paths (templates, possibly a YAML list) or a
 * gather of one output of every job of another step whose shared wildcards
 * match this job's.
 */
export type InputSpec = FilesInput | GatherInput;

export interface FilesInput {
  readonly kind: 'files';
  readonly patterns: readonly Located<string>[];
  /** True when written as a YAML list: the task then sees an array. */
  readonly list: boolean;
}

export interface GatherInput {
  readonly kind: 'gather';
  readonly location: SourceLocation;
  readonly from: Located<string>;
  readonly output: Located<string>;
}

/**
 * Where a step's jobs come from. Each source gives a list of bindings
 * (wildcard name → value); several sources combine as a cartesian product.
 * A step without `for_each` has exactly one job with no bindings.
 */
export interface ForEachSpec {
  readonly location: SourceLocation;
  /** A path pattern whose `{name}` parts bind to existing files' names. */
  readonly glob: Located<string> | undefined;
  /** name → list of values. */
  readonly matrix: ReadonlyMap<string, Located<readonly Scalar[]>>;
  /** Take the bindings of every job of another step. */
  readonly step: Located<string> | undefined;
}

/** A value a wildcard can take. */
export type Scalar = string | number | boolean;

/** Whether `value` is a string, number or boolean. */
export function isScalarValue(value: unknown): value is Scalar {
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  );
}
