import {planStatus, type JobStatus} from '../cache/plan-status.js';
import {reasonLines, stateWord} from '../cache/status-text.js';
import {resolveTargets, upstreamClosure} from '../graph/select-jobs.js';
import {EXIT, usageError, type CliIo} from './cli-io.js';
import type {LoadedPipeline} from './load-graph.js';
import {openState} from './open-state.js';

/** Evaluates the targets' jobs without running anything. */
async function statuses(
  loaded: LoadedPipeline,
  targets: readonly string[],
  io: CliIo,
  force: readonly string[],
): Promise<
  | {ok: true; statuses: JobStatus[]; wanted: Set<string>}
  | {ok: false; code: number}
> {
  const resolved = resolveTargets(loaded.graph, targets);
  if (!resolved.ok) {
    return {
      ok: false,
      code: usageError(
        io,
        `no step, job or output is called "${resolved.error.target}"`,
        resolved.error.hint,
      ),
    };
  }
  const forced = resolveTargets(loaded.graph, force);
  if (!forced.ok) {
    return {
      ok: false,
      code: usageError(
        io,
        `--force: no step, job or output is called "${forced.error.target}"`,
        forced.error.hint,
      ),
    };
  }
  const state = openState({
    stateDir: loaded.stateDir,
    workspace: loaded.spec.workspace,
  });
  try {
    const jobs = upstreamClosure(loaded.graph, resolved.jobs);
    const list = await planStatus(
      jobs,
      {
        ...state,
        spec: loaded.spec,
        producers: loaded.graph.producers,
        env: process.env,
      },
      new Set(force.length === 0 ? [] : forced.jobs),
    );
    return {
      ok: true,
      statuses: list,
      wanted: new Set(resolved.jobs.map((j) => j.id)),
    };
  } finally {
    state.store.close();
  }
}

/** `neuromake status [TARGET…]`: one line per job, fresh or stale and why. */
export async function statusCommand(
  loaded: LoadedPipeline,
  targets: readonly string[],
  io: CliIo,
  json: boolean,
  force: readonly string[] = [],
): Promise<number> {
  const result = await statuses(loaded, targets, io, force);
  if (!result.ok) return result.code;
  let stale = 0;
  for (const status of result.statuses) {
    const word = stateWord(status);
    if (word !== 'fresh') stale++;
    const reasons = reasonLines(status);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({job: status.job.id, state: word, reasons})}\n`,
      );
    } else {
      io.stdout.write(
        `${word.padEnd(8)}${status.job.id}${reasons[0] === undefined ? '' : `  (${reasons[0].split('\n')[0]})`}\n`,
      );
    }
  }
  if (!json) {
    io.stdout.write(
      `${result.statuses.length - stale} fresh, ${stale} not fresh of ${result.statuses.length} jobs\n`,
    );
  }
  return EXIT.ok;
}

/** `neuromake why JOB…`: every reason a job would run. */
export async function whyCommand(
  loaded: LoadedPipeline,
  targets: readonly string[],
  io: CliIo,
  json: boolean,
  force: readonly string[] = [],
): Promise<number> {
  if (targets.length === 0)
    return usageError(
      io,
      'why needs a job, step or output',
      'for example: neuromake why mask',
    );
  const result = await statuses(loaded, targets, io, force);
  if (!result.ok) return result.code;
  for (const status of result.statuses) {
    if (!result.wanted.has(status.job.id)) continue;
    const word = stateWord(status);
    const reasons = reasonLines(status);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({job: status.job.id, state: word, reasons, verdict: status.verdict.kind === 'fresh' ? {kind: 'fresh'} : status.verdict})}\n`,
      );
      continue;
    }
    if (word === 'fresh') {
      io.stdout.write(
        `${status.job.id} is fresh: nothing it depends on changed since it last ran\n`,
      );
      continue;
    }
    io.stdout.write(`${status.job.id} is ${word}:\n`);
    for (const line of reasons) io.stdout.write(`  - ${line}\n`);
  }
  return EXIT.ok;
}
