import {readFileSync} from 'node:fs';

import type {Diagnostic} from '../pipeline/diagnostic.js';
import {formatDiagnostic} from '../pipeline/diagnostic-printer.js';
import {withoutBom} from '../util/without-bom.js';

/** Where a command writes; main.ts passes the process streams. */
export interface CliIo {
  readonly stdout: {
    write(chunk: string): void;
    isTTY?: boolean;
    columns?: number;
  };
  readonly stderr: {write(chunk: string): void};
  readonly color: boolean;
  /**
   * `--json` was given: a usage error is also a `diagnostics` event on
   * stdout, so a tool reading the events sees why the command stopped.
   */
  readonly json?: boolean;
}

/** Exit codes, as documented in the README. */
export const EXIT = {ok: 0, failed: 1, usage: 2, interrupted: 130} as const;

/**
 * A diagnostic renderer that quotes source lines, reading each file named
 * by a location once.
 */
export function diagnosticFormatter(color: boolean): (d: Diagnostic) => string {
  const sources = new Map<string, string>();
  return (d) => {
    const files = [d.location, ...(d.related ?? []).map((r) => r.location)];
    for (const location of files) {
      if (location === undefined || sources.has(location.file)) continue;
      try {
        sources.set(
          location.file,
          withoutBom(readFileSync(location.file, 'utf8')),
        );
      } catch {
        sources.set(location.file, '');
      }
    }
    return formatDiagnostic(d, sources, {color});
  };
}

/** Prints a usage problem to stderr and returns exit code 2. */
export function usageError(io: CliIo, message: string, hint?: string): number {
  io.stderr.write(`neuromake: ${message}\n`);
  if (hint !== undefined) io.stderr.write(`  hint: ${hint}\n`);
  if (io.json === true) {
    const event = {
      time: new Date().toISOString(),
      type: 'diagnostics',
      diagnostics: [{severity: 'error', message, hint}],
    };
    io.stdout.write(`${JSON.stringify(event)}\n`);
  }
  return EXIT.usage;
}
