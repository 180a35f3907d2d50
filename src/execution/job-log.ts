import {
  closeSync,
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
 * Writes are synchronous appends (O_APPEND), so once `write` returns the
 * text is in the file: a shell job started afterwards by the launcher
 * appends its own output after it, and the runner's closing lines land
 * after the job's output, never over it. Lines are small and few; chatty
 * output goes straight from the job to the file, not through here.
 */
export class JobLog extends Writable {
  readonly path: string;
  #fd: number | undefined;

  /**
   * @param fresh the first attempt: the previous run's log is removed, so
   *   an old log is never taken for this run's.
   */
  constructor(path: string, fresh: boolean) {
    super({decodeStrings: true});
    this.path = path;
    // A log that cannot be written must not crash the run: the job's own
    // outcome is what gets reported.
    this.on('error', () => undefined);
    if (fresh) removeIfPresent(path);
  }

  /** Opens the file now, so that something else may append to it. */
  touch(): void {
    this.#fd ??= openAppend(this.path);
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

/** Opens for appending, creating the directory only when it is missing. */
function openAppend(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), {recursive: true});
    return openSync(path, 'a');
  }
}

function removeIfPresent(path: string): void {
  // Note: checked first, since a throwing unlinkSync (no file: the usual
  // case) costs ten times what the check does.
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // Not there (the common case), or not ours to remove: opened for
    // append later either way.
  }
}
