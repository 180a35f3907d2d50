import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import {dirname} from 'node:path';
import {Writable} from 'node:stream';

/**
 * A job's log file, opened on the first write: a task that logs nothing
 * creates no file (saving an open and close per job), while everything that
 * reports a log path — a failure, a shell job's `$ command` line — writes
 * to it first, so the path it points at exists.
 *
 * A first attempt replaces the previous run's log: its first open truncates
 * the file, and an attempt that wrote nothing removes it when it ends. A
 * shell job's launcher opens the file itself ({@link claim}), so a shell job
 * that succeeds quietly costs the runner no file operation at all.
 *
 * Writes are synchronous appends (O_APPEND), so once `write` returns the
 * text is in the file: a shell job started afterwards by the launcher
 * appends its own output after it, and the runner's closing lines land
 * after the job's output, never over it. Lines are small and few; chatty
 * output goes straight from the job to the file, not through here.
 */
export class JobLog extends Writable {
  readonly path: string;
  #fd: number | undefined;
  /** Nothing of this attempt is in the file yet: an earlier log may be. */
  #fresh: boolean;

  /**
   * @param fresh the first attempt: the previous run's log is replaced, so
   *   an old log is never taken for this run's.
   */
  constructor(path: string, fresh: boolean) {
    super({decodeStrings: true});
    this.path = path;
    this.#fresh = fresh;
    // A log that cannot be written must not crash the run: the job's own
    // outcome is what gets reported.
    this.on('error', () => undefined);
  }

  /** Opens the file now, so that something else may append to it. */
  touch(): void {
    this.#fd ??= openLog(this.path, this.#fresh);
    this.#fresh = false;
  }

  /**
   * Hands the file to another writer that opens it itself (a shell job's
   * launcher) and returns whether that writer must truncate it: true when
   * an earlier run's log may still be there. Later writes here append.
   */
  claim(): boolean {
    const truncate = this.#fresh && this.#fd === undefined;
    this.#fresh = false;
    return truncate;
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    try {
      this.touch();
      writeSync(this.#fd!, chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#fresh) removeIfPresent(this.path);
    this.#closeFile();
    callback();
  }

  override _destroy(
    error: Error | null,
    callback: (error?: Error | null) => void,
  ): void {
    this.#closeFile();
    callback(error);
  }

  #closeFile(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Opens for appending (truncating first when `truncate`), creating the
 * directory only when it is missing.
 */
function openLog(path: string, truncate: boolean): number {
  const {O_WRONLY, O_CREAT, O_APPEND, O_TRUNC} = constants;
  // Note: O_APPEND even when truncating, so that text written here after a
  // launched job's output lands after it.
  const flags = O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0);
  try {
    return openSync(path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), {recursive: true});
    return openSync(path, flags);
  }
}

function removeIfPresent(path: string): void {
  // Note: checked first, since a throwing unlinkSync (no file: the usual
  // case) costs ten times what the check does.
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // Not ours to remove: the next write truncates it anyway.
  }
}
