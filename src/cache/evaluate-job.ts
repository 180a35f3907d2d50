import type {Job} from '../graph/job.js';
import type {PipelineSpec} from '../pipeline/spec.js';
import {findTask} from '../tasks/registry.js';
import type {Sha256Hex} from '../util/hash.js';
import {NEUROMAKE_VERSION} from '../util/version.js';
import {renderCommand, scriptsNamed} from '../execution/render-command.js';
import {codeVersion} from './code-version.js';
import {compareKeys} from './compare-keys.js';
import type {ContentStore} from './content-store.js';
import type {FileHash, FileHasher} from './file-hasher.js';
import type {FsProbes} from './fs-probes.js';
import {makeKey, type JobKey, type KeyRecord} from './job-key.js';
import type {StaleReason} from './stale-reason.js';
import type {CacheEntry, OutputRecord, StateStore} from './state-store.js';

/** What to do with a job whose inputs are ready. */
export type Verdict =
  | {
      readonly kind: 'fresh';
      readonly key: JobKey;
      readonly outputs: Readonly<Record<string, OutputRecord>>;
    }
  | {
      readonly kind: 'restore';
      readonly key: JobKey;
      readonly reasons: readonly StaleReason[];
      readonly entry: CacheEntry;
    }
  | {
      readonly kind: 'run';
      readonly key: JobKey;
      readonly reasons: readonly StaleReason[];
    }
  /** An upstream job has not produced its outputs yet (dry runs, `why`). */
  | {readonly kind: 'waiting'; readonly reasons: readonly StaleReason[]}
  | {readonly kind: 'input-missing'; readonly path: string};

/** What evaluation reads. */
export interface EvaluationContext {
  readonly spec: PipelineSpec;
  readonly store: StateStore;
  readonly hasher: FileHasher;
  readonly contentStore: ContentStore;
  /** Output path → producing job, for every job in the graph. */
  readonly producers: ReadonlyMap<string, Job>;
  /** The hash an upstream job's output has in this run, once known. */
  readonly producedHash: (path: string) => Sha256Hex | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Records what script detection looked at, for the no-op stamp. */
  readonly probes?: FsProbes | undefined;
}

/**
 * Decides whether a job is fresh, can be restored from the store, or must
 * run, and why. Compares the job's key now with the key it last succeeded
 * with, then checks its outputs are still what that run wrote.
 *
 * The verdict comes back directly when every file hash it needed was
 * memoized (a no-op rerun: 10,000 jobs, no file read), and as a promise
 * when a file had to be read or a restore checked.
 */
export function evaluateJob(
  job: Job,
  context: EvaluationContext,
  forced: boolean,
): Verdict | Promise<Verdict> {
  const known = new Map<string, FileHash>();
  const step = decideOrPending(job, context, forced, known);
  if (step instanceof Pending || step.kind === 'check-restore') {
    return settle(job, context, forced, known, step);
  }
  return step;
}

/**
 * A hash being computed: thrown out of the decision, which is retried once
 * the hash is known. (Only a file that must be read gets here, which costs
 * far more than this error.)
 */
class Pending extends Error {
  constructor(readonly promise: Promise<FileHash>) {
    super('a file hash is being computed');
  }
}

/** A cached key whose blobs must still be checked (asynchronously). */
interface CheckRestore {
  readonly kind: 'check-restore';
  readonly key: JobKey;
  readonly reasons: readonly StaleReason[];
  readonly entry: CacheEntry;
}

/**
 * Waits for whatever the synchronous decision was missing, retrying it
 * with each hash that arrives (each retry knows one more, so this ends).
 */
async function settle(
  job: Job,
  context: EvaluationContext,
  forced: boolean,
  known: Map<string, FileHash>,
  first: Pending | CheckRestore,
): Promise<Verdict> {
  let step: Verdict | Pending | CheckRestore = first;
  while (step instanceof Pending) {
    await step.promise;
    step = decideOrPending(job, context, forced, known);
  }
  if (step.kind !== 'check-restore') return step;
  if (await blobsPresent(step.entry, context)) {
    return {
      kind: 'restore',
      key: step.key,
      reasons: step.reasons,
      entry: step.entry,
    };
  }
  return {kind: 'run', key: step.key, reasons: step.reasons};
}

function decideOrPending(
  job: Job,
  context: EvaluationContext,
  forced: boolean,
  known: Map<string, FileHash>,
): Verdict | Pending | CheckRestore {
  try {
    return decide(job, context, forced, (path) => {
      let h = known.get(path);
      if (h !== undefined) return h;
      const got = context.hasher.hash(path);
      if (got instanceof Promise) {
        throw new Pending(
          got.then((value) => {
            known.set(path, value);
            return value;
          }),
        );
      }
      h = got;
      known.set(path, h);
      return h;
    });
  } catch (err) {
    if (err instanceof Pending) return err;
    throw err;
  }
}

/**
 * The decision itself, synchronous: `hash` gives a file's hash, or throws
 * a Pending when it must be read first.
 */
function decide(
  job: Job,
  context: EvaluationContext,
  forced: boolean,
  hash: (path: string) => FileHash,
): Verdict | CheckRestore {
  const inputs: Record<string, (readonly [string, string])[]> = {};
  const waitingFor = new Set<string>();
  for (const [name, input] of job.inputs) {
    const pairs: (readonly [string, string])[] = [];
    for (const path of input.paths) {
      const producer = context.producers.get(path);
      if (producer !== undefined) {
        const produced = context.producedHash(path);
        if (produced === undefined) waitingFor.add(producer.id);
        pairs.push([path, produced ?? NOT_YET]);
        continue;
      }
      const h = hash(path);
      if (!h.ok) return {kind: 'input-missing', path};
      pairs.push([path, h.hash]);
    }
    inputs[name] = pairs;
  }
  const previous = context.store.job(job.id);
  if (waitingFor.size > 0) {
    return waiting(job, context, forced, hash, inputs, waitingFor, previous);
  }

  const key = keyOf(job, context, hash, inputs);
  const reasons: StaleReason[] = [];
  if (forced) reasons.push({reason: 'forced'});
  if (previous === undefined) {
    reasons.push({reason: 'never-ran'});
  } else if (previous.key !== key.hash) {
    const old = JSON.parse(previous.keyRecord) as KeyRecord;
    const changed = compareKeys(old, key.record);
    // A changed key is never fresh, even if no comparison names why.
    reasons.push(
      ...(changed.length > 0
        ? changed
        : [{reason: 'key-changed' as const, old: previous.key, new: key.hash}]),
    );
  } else {
    reasons.push(...outputProblems(previous.outputs, hash));
  }
  if (reasons.length === 0 && previous !== undefined) {
    return {kind: 'fresh', key, outputs: previous.outputs};
  }

  if (!forced) {
    const entry = context.store.cacheEntry(key.hash);
    if (entry !== undefined) {
      return {kind: 'check-restore', key, reasons, entry};
    }
  }
  return {kind: 'run', key, reasons};
}

/** Stands for an upstream output's hash while that job has not run. */
const NOT_YET = '(not yet produced)';

/** The job's key from its input hashes (`inputs`) and everything else. */
function keyOf(
  job: Job,
  context: EvaluationContext,
  hash: (path: string) => FileHash,
  inputs: KeyRecord['inputs'],
): JobKey {
  return makeKey({
    neuromake: NEUROMAKE_VERSION,
    action: actionRecord(job, context, hash),
    params: job.params,
    globals: job.globals,
    inputs,
    outputs: Object.fromEntries(job.outputs),
    env: Object.fromEntries(
      job.step.env.map((name) => [name, context.env[name] ?? null]),
    ),
  });
}

/**
 * A job whose upstream jobs must run first (a dry run, `why`): those, and
 * whatever else of its own changed (its command, a param, an input no job
 * produces), so `why` lists every reason the run will have.
 */
function waiting(
  job: Job,
  context: EvaluationContext,
  forced: boolean,
  hash: (path: string) => FileHash,
  inputs: Record<string, (readonly [string, string])[]>,
  waitingFor: ReadonlySet<string>,
  previous: ReturnType<StateStore['job']>,
): Verdict {
  const reasons: StaleReason[] = [];
  if (forced) reasons.push({reason: 'forced'});
  if (previous === undefined) {
    reasons.push({reason: 'never-ran'});
  } else {
    // Note: an output not produced yet is taken to be what it was, so the
    // comparison lists only the job's own changes; the upstream job says
    // why that output may change.
    const old = JSON.parse(previous.keyRecord) as KeyRecord;
    for (const [name, pairs] of Object.entries(inputs)) {
      const before = new Map(old.inputs[name] ?? []);
      inputs[name] = pairs.map(([path, h]) =>
        h === NOT_YET ? [path, before.get(path) ?? h] : [path, h],
      );
    }
    const now = keyOf(job, context, hash, inputs).record;
    reasons.push(
      ...compareKeys(old, now).filter(
        (r) => r.reason !== 'input-changed' || r.new !== NOT_YET,
      ),
    );
  }
  for (const id of waitingFor)
    reasons.push({reason: 'upstream-stale', job: id});
  return {kind: 'waiting', reasons};
}

function actionRecord(
  job: Job,
  context: EvaluationContext,
  hash: (path: string) => FileHash,
): KeyRecord['action'] {
  const action = job.step.action;
  if (action.kind === 'task') {
    const task = findTask(action.task.value);
    if (task === undefined) {
      throw new Error(`Internal error: unknown task ${action.task.value}`);
    }
    return {
      kind: 'task',
      name: action.task.value,
      version: codeVersion(task.moduleUrl),
    };
  }
  const command = renderCommand(job, context.spec.params, (name) =>
    job.outputs.get(name),
  );
  const scripts: Record<string, string> = {};
  for (const path of scriptsNamed(
    command,
    job,
    context.spec.workspace,
    context.probes,
  )) {
    const h = hash(path);
    if (h.ok) scripts[path] = h.hash;
  }
  return {kind: 'shell', command, scripts};
}

/** Checks a fresh-looking job's outputs still hold what it wrote. */
function outputProblems(
  outputs: Readonly<Record<string, OutputRecord>>,
  hash: (path: string) => FileHash,
): StaleReason[] {
  const problems: StaleReason[] = [];
  for (const output of Object.values(outputs)) {
    const h = hash(output.path);
    if (!h.ok) problems.push({reason: 'output-missing', path: output.path});
    else if (h.hash !== output.hash) {
      problems.push({
        reason: 'output-modified',
        path: output.path,
        expected: output.hash,
        actual: h.hash,
      });
    }
  }
  return problems;
}

async function blobsPresent(
  entry: CacheEntry,
  context: EvaluationContext,
): Promise<boolean> {
  for (const output of Object.values(entry.outputs)) {
    if (!(await context.contentStore.has(output.hash))) return false;
  }
  return true;
}
