import {closeSync, fstatSync, openSync, readSync} from 'node:fs';

/** How much of a log's end is read for its tail. */
const TAIL_BYTES = 8192;
/** Lines of a tail; each is cut to {@link LINE_MAX} characters. */
const TAIL_LINES = 10;
const LINE_MAX = 200;

/**
 * The last lines a failed job wrote, for the failure message: the cause
 * (`sh: 1: pythn3: not found`, a traceback's last lines) is usually there,
 * and a researcher should not have to open the log to see it. The runner's
 * own lines (the `$ command` header, the closing `neuromake: …`) are left
 * out. Empty when the log is missing, unreadable or holds nothing else.
 */
export function logTail(path: string): string[] {
  let fd: number | undefined;
  let text: string;
  let fromStart: boolean;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    text = buffer.subarray(0, read).toString('utf8');
    fromStart = start === 0;
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }

  const lines = text.split('\n');
  // A read from the middle starts inside a line: drop its piece, unless
  // it is all there is (one very long last line).
  if (!fromStart && lines.length > 2) lines.shift();
  else if (!fromStart) lines[0] = `…${lines[0] ?? ''}`;
  else if (lines[0]?.startsWith('$ ') === true) {
    lines.shift();
    while ((lines[0] ?? '').startsWith('> ')) lines.shift();
  }
  while (lines.length > 0) {
    const last = lines[lines.length - 1]!;
    if (last.trim() === '' || last.startsWith('neuromake: ')) lines.pop();
    else break;
  }
  return lines.slice(-TAIL_LINES).map(printable);
}

/**
 * A log line as a terminal would leave it, safe to print: what follows the
 * last carriage return (a progress bar's final state), colour escapes
 * removed, other control characters shown as `?`, at most
 * {@link LINE_MAX} characters (whole code points).
 */
function printable(line: string): string {
  const shown = (line.split('\r').at(-1) ?? '')
    // eslint-disable-next-line no-control-regex -- escapes are what is cut
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    // eslint-disable-next-line no-control-regex -- and control characters
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  const chars = Array.from(shown);
  return chars.length > LINE_MAX
    ? `${chars.slice(0, LINE_MAX).join('')}…`
    : shown;
}
