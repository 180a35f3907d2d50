import type {TaskContext, TaskDefinition} from '../task.js';

/** What `runStandalone` reports back. */
export interface StandaloneResult {
  readonly logs: string[];
  readonly warnings: string[];
  readonly seconds: number;
}

/**
 * Runs a task outside the engine (tests, benchmarks, scripts): fills in
 * param defaults, writes outputs straight to the given paths and collects
 * log lines and warnings.
 */
export async function runStandalone(
  task: TaskDefinition,
  inputs: Record<string, string | readonly string[]>,
  outputs: Record<string, string>,
  params: Record<string, unknown> = {},
  resources: TaskContext['resources'] = {cpus: 1, gpus: []},
): Promise<StandaloneResult> {
  const logs: string[] = [];
  const warnings: string[] = [];
  const merged: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(task.params)) {
    if (spec.default !== undefined) merged[name] = spec.default;
  }
  Object.assign(merged, params);
  const context: TaskContext = {
    inputs,
    outputs,
    params: merged,
    jobId: task.name,
    resources,
    progress: () => undefined,
    log: (m) => logs.push(m),
    warn: (m) => warnings.push(m),
    signal: new AbortController().signal,
  };
  const started = performance.now();
  await task.run(context);
  return {logs, warnings, seconds: (performance.now() - started) / 1000};
}
