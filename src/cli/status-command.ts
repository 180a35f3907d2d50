import {planStatus, type JobStatus} from '../cache/plan-status.js';
import {reasonLines, stateWord} from '../cache/status-text.js';
import {lockOwner} from '../cache/workspace-lock.js';
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
      const summary = summaryOf(status, reasons);
      io.stdout.write(
        `${word.padEnd(8)}${status.job.id}${summary === undefined ? '' : `  (${summary})`}\n`,
      );
    }
  }
  if (!json) {
    io.stdout.write(
      `${result.statuses.length - stale} fresh, ${stale} not fresh of ${result.statuses.length} jobs\n`,
    );
    // Note: jobs a running run has started show as not fresh until it
    // records them.
    const running = lockOwner(loaded.stateDir);
    if (running !== undefined) {
      io.stdout.write(
        `a run (pid ${running.pid} on ${running.host}, since ${running.since}) is going on: the jobs it is running show as not fresh until it records them\n`,
      );
    }
  }
  return EXIT.ok;
}

/** The longest change `status` quotes from a command (old and new). */
const MAX_QUOTED = 60;

/**
 * `status`'s one-line reason: the first of `why`'s. A changed command
 * (`why` shows it whole, was and now) says what changed where that is
 * short; other reasons are one line already.
 */
function summaryOf(
  status: JobStatus,
  reasons: readonly string[],
): string | undefined {
  const v = status.verdict;
  const first = 'reasons' in v ? v.reasons[0] : undefined;
  if (first?.reason === 'command-changed') {
    return commandChange(first.old, first.new);
  }
  const line = reasons[0];
  return line === undefined ? undefined : oneLine(line);
}

/**
 * `command changed: OLD → NEW`, both cut to the words that differ
 * (`…` where words were left out), or just `command changed` when even
 * that would not be short.
 */
function commandChange(old: string, now: string): string {
  const a = oneLine(old);
  const b = oneLine(now);
  if (a === b) return 'command changed in white space only';
  if (a.length + b.length <= MAX_QUOTED) {
    return `command changed: ${a} → ${b}`;
  }
  const [x, y] = differingWords(a.split(' '), b.split(' '));
  if (x.length + y.length <= MAX_QUOTED) {
    return `command changed: ${x} → ${y}`;
  }
  return 'command changed';
}

/**
 * The words of `a` and `b` between their common first and last words,
 * with `…` for the words left out on either side.
 */
function differingWords(a: string[], b: string[]): [string, string] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  // Note: where words were only added or removed, one word kept beside
  // them shows where.
  if (head + tail === Math.min(a.length, b.length)) {
    if (head > 0) head--;
    else tail--;
  }
  const cut = (words: string[]) =>
    [
      ...(head > 0 ? ['…'] : []),
      ...words.slice(head, words.length - tail),
      ...(tail > 0 ? ['…'] : []),
    ].join(' ');
  return [cut(a), cut(b)];
}

/** Text on one line: each run of white space (newlines too) one space. */
function oneLine(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
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
