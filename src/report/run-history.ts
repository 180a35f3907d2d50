import {existsSync} from 'node:fs';
import {join} from 'node:path';

import Database from 'better-sqlite3';

import {
  DamagedStateError,
  isDamage,
  type TimelineEntry,
} from '../cache/state-store.js';

/** A row of the state DB's `runs` table. */
export interface RunRecord {
  readonly id: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly command: string;
  readonly status: string | null;
}

/** What the report shows of past runs. */
export interface RunHistory {
  /** Every run, oldest first. */
  readonly runs: readonly RunRecord[];
  /** The latest run that ran, restored or failed any job. */
  readonly last: RunRecord | undefined;
  /** Its timeline, by start time. */
  readonly timeline: readonly TimelineEntry[];
  /** Runs after `last` that had nothing to do. */
  readonly laterIdleRuns: number;
}

const EMPTY: RunHistory = {
  runs: [],
  last: undefined,
  timeline: [],
  laterIdleRuns: 0,
};

/**
 * Reads the runs and the last working run's timeline from
 * `.neuromake/state.db`, read-only: a report must not take the workspace
 * lock or write anything, so it can be made while a run is going on (WAL
 * lets a reader see the last committed state).
 */
export function readRunHistory(stateDir: string): RunHistory {
  try {
    return readHistory(stateDir);
  } catch (err) {
    if (isDamage(err))
      throw new DamagedStateError(join(stateDir, 'state.db'), err);
    throw err;
  }
}

function readHistory(stateDir: string): RunHistory {
  const file = join(stateDir, 'state.db');
  if (!existsSync(file)) return EMPTY;
  const db = new Database(file, {readonly: true, fileMustExist: true});
  try {
    const tables = new Set(
      (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all() as {name: string}[]
      ).map((r) => r.name),
    );
    if (!tables.has('runs') || !tables.has('timeline')) return EMPTY;
    const runs = (
      db
        .prepare(
          'SELECT id, started_at, ended_at, command, status FROM runs ORDER BY id',
        )
        .all() as RunRow[]
    ).map((r): RunRecord => ({
      id: r.id,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      command: r.command,
      status: r.status,
    }));
    // A no-op rerun leaves an empty timeline; the last run that did
    // something is the one worth drawing.
    const lastId = (
      db.prepare('SELECT MAX(run) AS run FROM timeline').get() as {
        run: number | null;
      }
    ).run;
    if (lastId === null) return {...EMPTY, runs};
    // Stores from before reasons were kept have no such column (and this
    // read-only connection cannot add it).
    const withReasons = (
      db.prepare('PRAGMA table_info(timeline)').all() as {name: string}[]
    ).some((c) => c.name === 'reasons');
    const timeline = (
      db
        .prepare(
          `SELECT job, outcome, start_ms, end_ms, slot, ${withReasons ? 'reasons' : 'NULL AS reasons'} FROM timeline WHERE run = ? ORDER BY start_ms, job`,
        )
        .all(lastId) as TimelineRow[]
    ).map((r): TimelineEntry => ({
      job: r.job,
      outcome: r.outcome,
      startMs: r.start_ms,
      endMs: r.end_ms,
      slot: r.slot,
      reasons:
        r.reasons === null ? undefined : (JSON.parse(r.reasons) as string[]),
    }));
    return {
      runs,
      last: runs.find((r) => r.id === lastId),
      timeline,
      laterIdleRuns: runs.filter((r) => r.id > lastId).length,
    };
  } finally {
    db.close();
  }
}

interface RunRow {
  id: number;
  started_at: string;
  ended_at: string | null;
  command: string;
  status: string | null;
}

interface TimelineRow {
  job: string;
  outcome: TimelineEntry['outcome'];
  start_ms: number;
  end_ms: number;
  slot: number;
  reasons: string | null;
}
