import {isAbsolute, join, relative, sep} from 'node:path';

import {UNRECORDED, type Probe} from '../cache/fs-probes.js';
import {
  error,
  type Diagnostic,
  type SourceLocation,
} from '../pipeline/diagnostic.js';
import type {
  Located,
  ParamValue,
  PipelineSpec,
  Scalar,
  StepSpec,
} from '../pipeline/spec.js';
import {checkParamValue} from '../tasks/check-param.js';
import {findTask} from '../tasks/registry.js';
import {globBindings, globMatcher} from './glob-bindings.js';
import {jobId, type Job, type JobInput} from './job.js';
import {referencedGlobals} from './referenced-globals.js';
import {resolveParam, resolvePath, type Scope} from './resolve-values.js';

/**
 * Expands every step into its jobs: binds `for_each` wildcards (globbing the
 * file system for `glob:` sources), resolves params and paths, and fills
 * gathers. Dependencies are left to `buildGraph`. Globs look at the disk
 * through `probe` (see FsProbes).
 */
export function expandJobs(
  spec: PipelineSpec,
  probe: Probe = UNRECORDED,
): {ok: true; jobs: Job[]} | {ok: false; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = [];
  const bindingsByStep = new Map<string, Map<string, Scalar>[]>();
  const jobsByStep = new Map<string, Job[]>();
  const jobs: Job[] = [];

  const bindingsOf = (step: StepSpec, seen: Set<string>) => {
    const known = bindingsByStep.get(step.id);
    if (known !== undefined) return known;
    const list = stepBindings(spec, step, seen, bindingsOf, diagnostics, probe);
    bindingsByStep.set(step.id, list);
    return list;
  };

  for (const step of spec.steps.values()) {
    const list = bindingsOf(step, new Set());
    const globals = referencedGlobals(spec, step);
    const stepJobs: Job[] = [];
    for (const bindings of list) {
      const job = expandOne(
        spec,
        step,
        bindings,
        jobs.length,
        diagnostics,
        globals,
      );
      if (job === undefined) continue;
      stepJobs.push(job);
      jobs.push(job);
    }
    jobsByStep.set(step.id, stepJobs);
  }

  reportGlobsOverOutputs(spec, jobs, diagnostics);

  // Gathers go last: they need every job of the step they gather from.
  for (const job of jobs) {
    for (const [name, input] of job.step.inputs) {
      if (input.kind !== 'gather') continue;
      const sources = jobsByStep.get(input.from.value) ?? [];
      const paths = sources
        .filter((source) => sharedBindingsAgree(job.bindings, source.bindings))
        .map((source) => source.outputs.get(input.output.value))
        .filter((p): p is string => p !== undefined);
      if (paths.length === 0) {
        diagnostics.push(
          error(
            `${job.id}: input "${name}" gathers nothing from step "${input.from.value}"`,
            input.location,
            'the gathered step has no job whose shared wildcards match this one',
          ),
        );
      }
      (job.inputs as Map<string, JobInput>).set(name, {
        paths,
        list: true,
        location: input.location,
      });
    }
  }

  return diagnostics.some((d) => d.severity === 'error')
    ? {ok: false, diagnostics}
    : {ok: true, jobs};
}

/**
 * A `for_each` glob fans out over files that exist when the run is
 * planned: one matching a path a job writes would fan out over that
 * step's outputs only once they exist, so a clean run would leave jobs
 * out (or find no file at all), and a glob matching its own step's
 * outputs would grow with every run. Each such glob is an error that
 * names the step to fan out over instead; it replaces the step's "matches
 * no files", which would point the wrong way.
 */
function reportGlobsOverOutputs(
  spec: PipelineSpec,
  jobs: readonly Job[],
  diagnostics: Diagnostic[],
): void {
  for (const step of spec.steps.values()) {
    const glob = step.forEach?.glob;
    if (glob === undefined) continue;
    const matches = globMatcher(glob.value);
    const absolute = isAbsolute(glob.value);
    const producer = jobs.find((job) =>
      [...job.outputs.values()].some((output) =>
        matches(absolute ? join(spec.workspace, output) : output),
      ),
    );
    if (producer === undefined) continue;
    const output = [...producer.outputs.values()].find((o) =>
      matches(absolute ? join(spec.workspace, o) : o),
    );
    const found = error(
      `for_each glob "${glob.value}" matches ${output ?? 'a path'}, which ${producer.id} writes: a glob fans out over files that exist before the run`,
      glob.location,
      producer.step === step
        ? "write this step's outputs where its glob cannot match them (another directory or name)"
        : `fan out over that step instead: \`for_each: {step: ${producer.step.id}}\``,
    );
    const empty = diagnostics.findIndex(
      (d) =>
        d.message === 'for_each glob matches no files' &&
        d.location === glob.location,
    );
    if (empty === -1) diagnostics.push(found);
    else diagnostics[empty] = found;
  }
}

/** A job may gather from a source whose common wildcards take equal values. */
function sharedBindingsAgree(
  mine: ReadonlyMap<string, Scalar>,
  theirs: ReadonlyMap<string, Scalar>,
): boolean {
  for (const [name, value] of theirs) {
    const own = mine.get(name);
    if (own !== undefined && String(own) !== String(value)) return false;
  }
  return true;
}

type BindingsOf = (step: StepSpec, seen: Set<string>) => Map<string, Scalar>[];

/** The cartesian product of a step's `for_each` sources. */
function stepBindings(
  spec: PipelineSpec,
  step: StepSpec,
  seen: Set<string>,
  bindingsOf: BindingsOf,
  diagnostics: Diagnostic[],
  probe: Probe,
): Map<string, Scalar>[] {
  const forEach = step.forEach;
  if (forEach === undefined) return [new Map<string, Scalar>()];
  let product: Map<string, Scalar>[] = [new Map<string, Scalar>()];
  const combine = (list: readonly Map<string, Scalar>[]) => {
    // Bindings are never mutated once made, so a product with nothing on
    // the left shares the right's maps: a chain of `for_each: {step: …}`
    // steps then makes no map per job and step (10,000 on the benchmark).
    if (product.length === 1 && product[0]!.size === 0) {
      product = [...list];
      return;
    }
    product = product.flatMap((left) =>
      list.map((right) => new Map<string, Scalar>([...left, ...right])),
    );
  };

  if (forEach.step !== undefined) {
    const other = spec.steps.get(forEach.step.value);
    if (other === undefined || seen.has(other.id)) {
      diagnostics.push(
        error(
          `for_each step "${forEach.step.value}" cannot be expanded`,
          forEach.step.location,
        ),
      );
      return [];
    }
    combine(bindingsOf(other, new Set([...seen, step.id])));
  }
  if (forEach.glob !== undefined) {
    const found = globBindings(spec.workspace, forEach.glob.value, probe);
    if (found.length === 0) {
      diagnostics.push(
        error(
          `for_each glob matches no files`,
          forEach.glob.location,
          `no file matches "${forEach.glob.value}" relative to ${spec.workspace}; check the path and the {wildcard} parts`,
        ),
      );
    }
    combine(found);
  }
  for (const [name, values] of forEach.matrix) {
    combine(values.value.map((v) => new Map([[name, v]])));
  }
  return product;
}

/** Builds one job, or reports why its templates cannot be resolved. */
function expandOne(
  spec: PipelineSpec,
  step: StepSpec,
  bindings: ReadonlyMap<string, Scalar>,
  index: number,
  diagnostics: Diagnostic[],
  globals: Readonly<Record<string, ParamValue>>,
): Job | undefined {
  const id = jobId(step.id, bindings);
  const before = diagnostics.length;
  const params = resolveStepParams(spec, step, bindings, id, diagnostics);
  const scope: Scope = {
    bindings,
    stepParams: params,
    globalParams: spec.params,
  };

  const inputs = new Map<string, JobInput>();
  for (const [name, input] of step.inputs) {
    if (input.kind !== 'files') continue;
    const paths: string[] = [];
    const pathLocations: SourceLocation[] = [];
    for (const pattern of input.patterns) {
      const r = resolvePath(pattern, scope);
      if (r.ok) {
        paths.push(inWorkspace(spec.workspace, r.path));
        pathLocations.push(pattern.location);
      } else {
        diagnostics.push(error(`${id}: ${r.error.message}`, r.error.location));
      }
    }
    const location = input.patterns[0]?.location ?? step.location;
    inputs.set(name, {paths, list: input.list, location, pathLocations});
  }

  const outputs = new Map<string, string>();
  for (const [name, pattern] of step.outputs) {
    const r = resolvePath(pattern, scope);
    if (!r.ok) {
      diagnostics.push(error(`${id}: ${r.error.message}`, r.error.location));
      continue;
    }
    if (r.path.startsWith('/') || r.path === '..' || r.path.startsWith('../')) {
      diagnostics.push(
        error(
          `${id}: output "${name}" resolves to "${r.path}", outside the workspace`,
          pattern.location,
          'outputs must be relative paths inside the directory of the pipeline file',
        ),
      );
      continue;
    }
    const reserved = reservedOutput(r.path);
    if (reserved !== undefined) {
      diagnostics.push(
        error(
          `${id}: output "${name}" resolves to "${r.path}", ${reserved}`,
          pattern.location,
          'give the output a file path of its own inside the workspace',
        ),
      );
      continue;
    }
    outputs.set(name, r.path);
  }

  if (diagnostics.length > before) return undefined;
  return {
    id,
    step,
    index,
    bindings,
    params,
    globals,
    inputs,
    outputs,
    deps: [],
    dependents: [],
  };
}

/**
 * Why a normalised output path inside the workspace still cannot be one:
 * the workspace itself, or neuromake's own state (the job's rename would
 * replace its database or store).
 */
function reservedOutput(path: string): string | undefined {
  if (path === '.' || path === '' || path.endsWith('/')) {
    return 'a directory, not a file';
  }
  if (path === '.neuromake' || path.startsWith('.neuromake/')) {
    return "inside .neuromake, neuromake's own state";
  }
  return undefined;
}

/** Resolves step params, fills task defaults and checks resolved types. */
function resolveStepParams(
  spec: PipelineSpec,
  step: StepSpec,
  bindings: ReadonlyMap<string, Scalar>,
  id: string,
  diagnostics: Diagnostic[],
): Record<string, ParamValue> {
  const scope: Scope = {
    bindings,
    stepParams: undefined,
    globalParams: spec.params,
  };
  const params: Record<string, ParamValue> = {};
  for (const [name, located] of step.params) {
    const r = resolveParam(located, scope);
    if (r.ok) params[name] = r.value;
    else diagnostics.push(error(`${id}: ${r.error.message}`, r.error.location));
  }
  if (step.action.kind !== 'task') return params;

  const task = findTask(step.action.task.value);
  for (const [name, paramSpec] of Object.entries(
    task?.definition.params ?? {},
  )) {
    const given = params[name];
    if (given === undefined) {
      if (paramSpec.default !== undefined) {
        params[name] = paramSpec.default as ParamValue;
      }
      continue;
    }
    const problem = checkParamValue(paramSpec, given);
    const located: Located<ParamValue> | undefined = step.params.get(name);
    if (problem !== undefined) {
      diagnostics.push(
        error(
          `${id}: param "${name}" ${problem}`,
          located?.location ?? step.location,
          paramSpec.description,
        ),
      );
    }
  }
  return params;
}

/**
 * An input path as the graph keys it: an absolute path inside the
 * workspace is made relative, as outputs are, so that the job writing
 * that file is found as its producer (and the command, run in the
 * workspace, still names the same file). Paths outside stay as written.
 */
function inWorkspace(workspace: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(workspace, path);
  if (inside === '' || inside.split(sep)[0] === '..' || isAbsolute(inside)) {
    return path;
  }
  return inside.split(sep).join('/');
}
