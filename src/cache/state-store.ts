import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import Database from 'better-sqlite3';

import type {Sha256Hex} from '../util/hash.js';
import {BlobTable} from './blob-table.js';

/** The stat fields a memoized file hash is valid for. */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /**
   * The inode's change time, where it was read from a stat of the file as
   * it is now: a copy that keeps size and mtime (`cp -p`, an archive's
   * fixed timestamps, a reused inode) still moves it, as git relies on.
   * Undefined when unknown (a stamp from before our own rename, which
   * moves it): the other fields are then trusted alone.
   */
  readonly ctimeMs?: number | undefined;
}

/** A memoized content hash. */
export interface FileRecord extends FileStamp {
  readonly hash: Sha256Hex;
}

/** One output of a finished job: where it lives and what it holds. */
export interface OutputRecord {
  readonly path: string;
  readonly hash: Sha256Hex;
  readonly size: number;
  /**
   * The output's permission bits (`st_mode & 0o777`) when it was staged, so
   * a restored output gets them back: an executable a later job runs must
   * stay executable. Not part of the blob, which outputs with equal bytes
   * share whatever their modes. Absent in records of older versions: those
   * outputs restore with the default mode (the umask's), as they did then.
   */
  readonly mode?: number;
}

/** The last successful state of a job. */
export interface JobRecord {
  readonly key: Sha256Hex;
  /** The key's printable record (JSON), for `why`. */
  readonly keyRecord: string;
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  readonly run: number;
  readonly ms: number;
}

/** A cache entry: what a job with this key produced. */
export interface CacheEntry {
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  readonly run: number;
}

/** A cache entry and the key it is stored under. */
export interface KeyedCacheEntry extends CacheEntry {
  readonly key: Sha256Hex;
}

/** One job's line in a run's timeline (for reports). */
export interface TimelineEntry {
  readonly job: string;
  readonly outcome: 'ran' | 'restored' | 'fresh' | 'failed';
  readonly startMs: number;
  readonly endMs: number;
  readonly slot: number;
  /** Why the job ran or was restored, as `why` words it, at that time. */
  readonly reasons?: readonly string[] | undefined;
}

/**
 * The workspace's state, in one SQLite file under .neuromake/. Reads happen
 * once at start (everything is loaded into maps, since a no-op rerun of
 * 10,000 jobs must not issue 10,000 queries); writes are queued and flushed
 * in one transaction, so finishing many tiny jobs costs one commit, not one
 * each. Every flush is atomic: a crash loses at most unflushed records, and
 * the jobs behind them simply run again.
 */
export class StateStore {
  readonly #db: Database.Database;
  readonly #files = new Map<string, FileRecord>();
  readonly #jobs = new Map<string, JobRecord>();
  #pendingWrites: (() => void)[] = [];
  readonly #statements;
  /** Cache entries this process recorded (some maybe not committed yet). */
  readonly #recorded = new Map<Sha256Hex, CacheEntry>();
  /** Whether the cache table was empty when opened: no query can hit. */
  #cacheWasEmpty: boolean;
  /** The content store's small blobs, written with the records. */
  readonly blobs: BlobTable;

  private constructor(db: Database.Database) {
    this.#db = db;
    // Note: takes effect only in a new file (before any table exists); it
    // lets gc give freed pages back without rewriting the whole database
    // (compact converts an older file once).
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Note: a run's commits touch pages all over the tables (keys are
    // hashes); with SQLite's default 2 MiB page cache a 10,000-job store
    // reads most of them back from disk for every commit.
    db.pragma('cache_size = -65536');
    db.exec(SCHEMA);
    this.blobs = new BlobTable(db, (write) => this.#queue(write));

    // Stores written before the timeline kept reasons, or memos kept
    // change times, gain the column (old memos, without one, are checked
    // as before until rehashed).
    addMissingColumn(db, 'timeline', 'reasons TEXT');
    addMissingColumn(db, 'files', 'ctime REAL');
    this.#statements = {
      putFile: db.prepare(
        'INSERT OR REPLACE INTO files (path, size, mtime, ino, hash, ctime) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      putJob: db.prepare(
        'INSERT OR REPLACE INTO jobs (id, key, record, outputs, run, ms) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      putCache: db.prepare(
        'INSERT OR REPLACE INTO cache (key, outputs, run) VALUES (?, ?, ?)',
      ),
      getCache: db.prepare('SELECT outputs, run FROM cache WHERE key = ?'),
      touchCache: db.prepare('UPDATE cache SET run = ? WHERE key = ?'),
      addPending: db.prepare(
        'INSERT OR IGNORE INTO pending_outputs (path, token) VALUES (?, ?)',
      ),
      dropPending: db.prepare('DELETE FROM pending_outputs WHERE path = ?'),
      timeline: db.prepare(
        'INSERT INTO timeline (run, job, outcome, start_ms, end_ms, slot, reasons) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    this.#cacheWasEmpty =
      db.prepare('SELECT 1 FROM cache LIMIT 1').get() === undefined;
    // Rows come as arrays (raw), one object fewer per row than named
    // columns: a no-op rerun of 10,000 jobs loads ~20,000 rows here.
    for (const row of db
      .prepare('SELECT path, size, mtime, ino, hash, ctime FROM files')
      .raw()
      .all() as FileRow[]) {
      this.#files.set(row[0], {
        size: row[1],
        mtimeMs: row[2],
        ino: row[3],
        hash: row[4] as Sha256Hex,
        ctimeMs: row[5] ?? undefined,
      });
    }
    for (const row of db
      .prepare('SELECT id, key, record, outputs, run, ms FROM jobs')
      .raw()
      .all() as JobRow[]) {
      this.#jobs.set(
        row[0],
        new StoredJob(row[1] as Sha256Hex, row[2], row[3], row[4], row[5]),
      );
    }
  }

  /** Opens (creating if needed) the store in `stateDir`. */
  static open(stateDir: string): StateStore {
    mkdirSync(stateDir, {recursive: true});
    const path = join(stateDir, 'state.db');
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      return new StateStore(db);
    } catch (err) {
      db?.close();
      if (isDamage(err)) throw new DamagedStateError(path, err);
      throw err;
    }
  }

  file(path: string): FileRecord | undefined {
    return this.#files.get(path);
  }

  putFile(path: string, record: FileRecord): void {
    this.#files.set(path, record);
    this.#queue(() =>
      this.#statements.putFile.run(
        path,
        record.size,
        record.mtimeMs,
        record.ino,
        record.hash,
        record.ctimeMs ?? null,
      ),
    );
  }

  job(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  /** Records a job's success and makes its outputs restorable by key. */
  putJob(id: string, record: JobRecord): void {
    this.#jobs.set(id, record);
    this.#recorded.set(record.key, {outputs: record.outputs, run: record.run});
    const outputs = JSON.stringify(record.outputs);
    this.#queue(() => {
      this.#statements.putJob.run(
        id,
        record.key,
        record.keyRecord,
        outputs,
        record.run,
        record.ms,
      );
      this.#statements.putCache.run(record.key, outputs, record.run);
    });
  }

  /** Looks up what a key produced before, in any job. */
  cacheEntry(key: Sha256Hex): CacheEntry | undefined {
    const recorded = this.#recorded.get(key);
    if (recorded !== undefined) return recorded;
    // Note: a first run asks for every job's key; none can be there.
    if (this.#cacheWasEmpty) return undefined;
    const row = this.#statements.getCache.get(key) as
      {outputs: string; run: number} | undefined;
    if (row === undefined) return undefined;
    return {
      outputs: JSON.parse(row.outputs) as Record<string, OutputRecord>,
      run: row.run,
    };
  }

  /** Every cache entry with its key, most recently used first (gc). */
  cacheEntries(): KeyedCacheEntry[] {
    this.flush();
    const rows = this.#db
      .prepare('SELECT key, outputs, run FROM cache ORDER BY run DESC')
      .raw()
      .all() as [string, string, number][];
    return rows.map(([key, outputs, run]) => ({
      key: key as Sha256Hex,
      outputs: JSON.parse(outputs) as Record<string, OutputRecord>,
      run,
    }));
  }

  /** Deletes cache entries now, in one transaction (gc). */
  removeCacheEntries(keys: readonly Sha256Hex[]): void {
    this.flush();
    const remove = this.#db.prepare('DELETE FROM cache WHERE key = ?');
    this.#db.transaction(() => {
      for (const key of keys) remove.run(key);
    })();

    // What this process recorded may be among them; ask the table again.
    this.#recorded.clear();
    this.#cacheWasEmpty = false;
  }

  /** The number of the newest run; 0 before the first. */
  lastRun(): number {
    const row = this.#db.prepare('SELECT MAX(id) FROM runs').pluck().get();
    return typeof row === 'number' ? row : 0;
  }

  /** Notes that a cache entry was used in `run`, for `gc --keep-runs`. */
  touchCache(key: Sha256Hex, run: number): void {
    this.#queue(() => this.#statements.touchCache.run(run, key));
  }

  /**
   * Registers a temporary path before anything is written to it, and writes
   * that immediately: if the runner dies, the next run deletes it (after
   * stopping any command still carrying the runner's `token`).
   */
  addPending(path: string, token: string): void {
    this.flush();
    this.#statements.addPending.run(path, token);
  }

  dropPending(path: string): void {
    this.#queue(() => this.#statements.dropPending.run(path));
  }

  /** Temporary paths a previous, interrupted run left registered. */
  pendingOutputs(): PendingOutput[] {
    return this.#db
      .prepare('SELECT path, token FROM pending_outputs')
      .all() as PendingOutput[];
  }

  addTimeline(run: number, entry: TimelineEntry): void {
    this.#queue(() =>
      this.#statements.timeline.run(
        run,
        entry.job,
        entry.outcome,
        entry.startMs,
        entry.endMs,
        entry.slot,
        entry.reasons === undefined ? null : JSON.stringify(entry.reasons),
      ),
    );
  }

  /** Starts a run and returns its number. */
  beginRun(command: string): number {
    const info = this.#db
      .prepare('INSERT INTO runs (started_at, command) VALUES (?, ?)')
      .run(new Date().toISOString(), command);
    return Number(info.lastInsertRowid);
  }

  endRun(run: number, status: string): void {
    this.flush();
    this.#db
      .prepare('UPDATE runs SET ended_at = ?, status = ? WHERE id = ?')
      .run(new Date().toISOString(), status, run);
  }

  /** The underlying database, for a table another module owns (the stamp's). */
  get db(): Database.Database {
    return this.#db;
  }

  /** Every job record, for `status` and gc. */
  jobs(): ReadonlyMap<string, JobRecord> {
    return this.#jobs;
  }

  /** Writes every queued record in one transaction. */
  flush(): void {
    if (this.#pendingWrites.length === 0) return;
    const writes = this.#pendingWrites;
    this.#pendingWrites = [];
    let committed = false;
    try {
      this.#db.transaction(() => {
        for (const write of writes) write();
      })();
      committed = true;
    } finally {
      this.blobs.settle(committed);
    }
  }

  /**
   * Gives the pages of deleted rows back to the file system (gc): SQLite
   * otherwise keeps them in the file for later rows. A database made with
   * incremental auto-vacuum moves only pages from its end into the freed
   * ones; an older file is rewritten once (VACUUM, which needs free space
   * about its size), incremental from then on.
   */
  compact(): void {
    this.flush();
    if (this.#db.pragma('auto_vacuum', {simple: true}) === INCREMENTAL) {
      this.#db.pragma('incremental_vacuum');
      return;
    }
    this.#db.pragma('auto_vacuum = INCREMENTAL');
    this.#db.exec('VACUUM');
  }

  close(): void {
    this.flush();
    this.#db.close();
  }

  #queue(write: () => void): void {
    this.#pendingWrites.push(write);
  }
}

/** A temporary output registered by a run, and who was writing it. */
export interface PendingOutput {
  readonly path: string;
  /** The writing runner's NEUROMAKE_RUN_TOKEN, which its commands carry. */
  readonly token: string | null;
}

/** A `files` row: path, size, mtime, ino, hash, ctime. */
type FileRow = [string, number, number, number, string, number | null];

/** A `jobs` row: id, key, record, outputs, run, ms. */
type JobRow = [string, string, string, string, number, number];

/**
 * A job record as loaded. Outputs are parsed on first use: a run that
 * touches few jobs of a large workspace should not parse every record at
 * start. (A class, so that the lazy getter costs no closure per row.)
 */
class StoredJob implements JobRecord {
  #outputs: Record<string, OutputRecord> | undefined;
  readonly #outputsText: string;

  constructor(
    readonly key: Sha256Hex,
    readonly keyRecord: string,
    outputsText: string,
    readonly run: number,
    readonly ms: number,
  ) {
    this.#outputsText = outputsText;
  }

  get outputs(): Readonly<Record<string, OutputRecord>> {
    return (this.#outputs ??= JSON.parse(this.#outputsText) as Record<
      string,
      OutputRecord
    >);
  }
}

/** `PRAGMA auto_vacuum`'s value for INCREMENTAL. */
const INCREMENTAL = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, size INTEGER, mtime REAL, ino INTEGER, hash TEXT,
  ctime REAL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, key TEXT, record TEXT, outputs TEXT, run INTEGER,
  ms REAL);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY, outputs TEXT, run INTEGER);
CREATE TABLE IF NOT EXISTS pending_outputs (path TEXT PRIMARY KEY, token TEXT);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT, ended_at TEXT,
  command TEXT, status TEXT);
CREATE TABLE IF NOT EXISTS timeline (
  run INTEGER, job TEXT, outcome TEXT, start_ms REAL, end_ms REAL,
  slot INTEGER, reasons TEXT);
`;

/** Adds `column` (`name TYPE`) to `table` in a store written without it. */
function addMissingColumn(
  db: Database.Database,
  table: string,
  column: string,
): void {
  const name = column.split(' ')[0];
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as {
    name: string;
  }[];
  if (!columns.some((c) => c.name === name)) {
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
  }
}

/** SQLite's codes for a file that is not, or no longer, a sound database. */
const DAMAGE_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** Whether `err` is SQLite saying the database file is damaged. */
export function isDamage(err: unknown): boolean {
  const code = (err as {code?: unknown} | null)?.code;
  return typeof code === 'string' && DAMAGE_CODES.has(code);
}

/**
 * The state database cannot be read: a disk fault, a copy cut short, a
 * file written over. Nothing in the workspace is lost, but the records of
 * what ran are, so the way out is a new database.
 */
export class DamagedStateError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `the state database ${path} is damaged (${cause instanceof Error ? cause.message : String(cause)})`,
      {cause},
    );
    this.name = 'DamagedStateError';
  }
}
