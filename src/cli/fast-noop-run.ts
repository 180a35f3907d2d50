import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';

import {
  readFreshStamp,
  stampHolds,
  stampIdentity,
} from '../cache/fresh-stamp.js';
import type {Logger} from '../logging/events.js';
import {resolveBudget} from './budget.js';
import {EXIT} from './cli-io.js';

/** What `run` was asked, as far as the fast path cares. */
export interface FastRunRequest {
  readonly file: string;
  readonly overrides: ReadonlyMap<string, string>;
  readonly jobs: string | undefined;
  readonly memory: string | undefined;
  readonly gpus: string | undefined;
  readonly command: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `neuromake run` when nothing can have changed since the last complete
 * run: checks the no-op stamp (fresh-stamp.ts) and, when it holds, reports
 * every job fresh and records the run, without parsing the pipeline,
 * loading the state store or planning. Returns undefined whenever anything
 * differs or is uncertain; the caller then takes the full path, which
 * gives the same answer more slowly, or explains what changed.
 *
 * Set NEUROMAKE_NO_STAMP=1 to always take the full path.
 */
export async function fastNoopRun(
  request: FastRunRequest,
  logger: Logger,
): Promise<number | undefined> {
  const started = performance.now();
  if (request.env['NEUROMAKE_NO_STAMP'] === '1') return undefined;
  const stateDir = join(dirname(request.file), '.neuromake');
  const stamp = readFreshStamp(stateDir);
  if (stamp === undefined) return undefined;

  // Another run holds the workspace: the full path reports it (or waits).
  if (existsSync(join(stateDir, 'lock'))) return undefined;

  let source: string;
  try {
    source = readFileSync(request.file, 'utf8');
  } catch {
    return undefined;
  }
  const identity = stampIdentity({
    file: request.file,
    source,
    overrides: request.overrides,
    envNames: stamp.envNames,
    env: request.env,
  });
  if (identity !== stamp.identity) return undefined;

  // Note: a bad budget flag is a usage error the full path words. Any
  // budget does otherwise: every job is fresh, and a fresh job needs none.
  const budget = resolveBudget({
    jobs: request.jobs,
    memory: request.memory,
    gpus: request.gpus,
    needGpus: false,
  });
  if (!budget.ok) return undefined;

  if (!stampHolds(stamp, dirname(request.file))) return undefined;
  if (!(await recordRun(stateDir, stamp.token, request.command))) {
    return undefined;
  }

  logger.log({
    type: 'plan',
    jobs: stamp.jobs.length,
    steps: stamp.steps,
    planMs: performance.now() - started,
    fromStamp: true,
  });
  for (const job of stamp.jobs) {
    logger.log({
      type: 'job-done',
      job,
      outcome: 'fresh',
      ms: 0,
      unchanged: false,
    });
  }
  logger.log({
    type: 'run-end',
    ran: 0,
    restored: 0,
    fresh: stamp.jobs.length,
    failed: 0,
    skipped: 0,
    ms: performance.now() - started,
    interrupted: false,
  });
  return EXIT.ok;
}

/**
 * Records the no-op run in the state store, as the full path would, after
 * checking the store is the one that wrote the stamp. False on any doubt.
 */
async function recordRun(
  stateDir: string,
  token: string,
  command: string,
): Promise<boolean> {
  const {default: Database} = await import('better-sqlite3');
  let db;
  try {
    db = new Database(join(stateDir, 'state.db'), {fileMustExist: true});
  } catch {
    return false;
  }
  try {
    db.pragma('busy_timeout = 5000');
    const row = db
      .prepare("SELECT value FROM meta WHERE name = 'fresh_stamp'")
      .get() as {value: string} | undefined;
    if (row?.value !== token) return false;
    const now = new Date().toISOString();
    db.prepare(
      "INSERT INTO runs (started_at, ended_at, command, status) VALUES (?, ?, ?, 'ok')",
    ).run(now, now, command);
    return true;
  } catch {
    // No meta table (a store older than stamps) or a locked database.
    return false;
  } finally {
    db.close();
  }
}
