import type {SourceLocation} from '../pipeline/diagnostic.js';
import type {ParamValue, Scalar, StepSpec} from '../pipeline/spec.js';

/**
 * One unit of work: a step with its wildcards bound. Paths are relative to
 * the workspace (or absolute, for inputs that live outside it).
 */
export interface Job {
  /** `step` for a single job, `step[subject=03,run=1]` in a fan-out. */
  readonly id: string;
  readonly step: StepSpec;
  /** Position in file order, for stable output and tie-breaking. */
  readonly index: number;
  readonly bindings: ReadonlyMap<string, Scalar>;
  /** Step params with templates resolved and task defaults filled in. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Global params the step reads (see `referencedGlobals`). */
  readonly globals: Readonly<Record<string, ParamValue>>;
  readonly inputs: ReadonlyMap<string, JobInput>;
  readonly outputs: ReadonlyMap<string, string>;
  /** Jobs whose outputs this job reads; filled in by `buildGraph`. */
  readonly deps: Job[];
  readonly dependents: Job[];
}

/** A resolved input of a job. */
export interface JobInput {
  readonly paths: readonly string[];
  /** The task sees a list (a gather or a YAML list) rather than one path. */
  readonly list: boolean;
  readonly location: SourceLocation;
  /**
   * Where each of `paths` is written, for a list of paths (a diagnostic
   * about one of them points at it); absent for a gather.
   */
  readonly pathLocations?: readonly SourceLocation[];
}

/** Where `input` names its `index`-th path. */
export function pathLocation(input: JobInput, index: number): SourceLocation {
  return input.pathLocations?.[index] ?? input.location;
}

/** Formats a job id from a step id and its bindings. */
export function jobId(
  step: string,
  bindings: ReadonlyMap<string, Scalar>,
): string {
  if (bindings.size === 0) return step;
  const parts = [...bindings].map(([k, v]) => `${k}=${String(v)}`);
  return `${step}[${parts.join(',')}]`;
}
