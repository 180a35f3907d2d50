import type {CliIo} from './cli-io.js';
import {main} from './main.js';

/**
 * The process entry point: wires the real streams into `main` and turns an
 * unexpected exception into "Internal error" with exit code 70.
 */
const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  color: process.stdout.isTTY && (process.env['NO_COLOR'] ?? '') === '',
};

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
