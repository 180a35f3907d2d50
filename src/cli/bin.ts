import type {CliIo} from './cli-io.js';
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
    const text =
      err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`neuromake: Internal error: ${text}\n`);
    process.exitCode = 70;
  },
);
