import {DamagedStateError, isDamage} from '../cache/state-store.js';
import type {CliIo} from './cli-io.js';
import {EXIT} from './cli-io.js';
import {main} from './main.js';

// The process entry point: wires the real streams into `main` and turns an
// unexpected exception into "Internal error" with exit code 70.

const color = process.stdout.isTTY && (process.env['NO_COLOR'] ?? '') === '';

/** SGR escapes: the colours the palette writes. */
// eslint-disable-next-line no-control-regex -- ESC is what is matched.
const SGR = /\x1b\[[0-9;]*m/g;

const io: CliIo = {
  stdout: process.stdout,
  // Colour follows stdout, the live view; stderr redirected to a file
  // (`2>err.txt`) while stdout is a terminal gets the same text uncoloured.
  stderr:
    color && !process.stderr.isTTY
      ? {write: (chunk: string) => process.stderr.write(chunk.replace(SGR, ''))}
      : process.stderr,
  color,
};

// A reader that goes away (`neuromake run --json | head`) must not crash the
// run halfway: later output is dropped and the run finishes normally.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Note: a damaged state database is the machine's fault, not ours;
    // it may show first deep inside a run, where only its code tells it.
    if (err instanceof DamagedStateError || isDamage(err)) {
      const what =
        err instanceof DamagedStateError
          ? err.message
          : `the state database .neuromake/state.db is damaged (${(err as Error).message})`;
      process.stderr.write(
        `neuromake: ${what}\n  hint: move it away (with any state.db-wal and state.db-shm beside it); the next run starts a new one and runs every job again (the records of what ran, and the stored outputs of up to 64 KiB, were in it)\n`,
      );
      process.exitCode = EXIT.usage;
      return;
    }
    const text =
      err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`neuromake: Internal error: ${text}\n`);
    process.exitCode = 70;
  },
);
