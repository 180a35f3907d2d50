import type {Logger} from './events.js';
import type {DiagnosticFormatter, Output, TerminalOutput} from './format.js';
import {JsonLogger} from './json-logger.js';
import {PlainLogger} from './plain-logger.js';
import {TtyLogger} from './tty-logger.js';

export {
  formatDiagnosticFallback,
  formatDiagnostics,
  type DiagnosticFormatter,
  type Output,
  type TerminalOutput,
} from './format.js';

/** How output is shaped; `auto` picks `tty` for a terminal, else `plain`. */
export type LoggerMode = 'auto' | 'plain' | 'json' | 'tty';

/** Options for `createLogger`. */
export interface CreateLoggerOptions {
  readonly mode: LoggerMode;
  /** Defaults to `process.stdout`. */
  readonly stdout?: TerminalOutput | undefined;
  /** Defaults to `process.stderr`. */
  readonly stderr?: Output | undefined;
  /**
   * ANSI colours. By default on when stdout is a terminal and `NO_COLOR` is
   * not set (https://no-color.org); never used by the JSON logger.
   */
  readonly color?: boolean | undefined;
  readonly verbose?: boolean | undefined;
  /**
   * Renders a diagnostic, e.g. with its source line and an underline. Without
   * it diagnostics print as `file:line:col - error: message` and the hint.
   */
  readonly formatDiagnostic?: DiagnosticFormatter | undefined;
}

/** The mode `auto` resolves to for this stdout. */
export function resolveMode(
  mode: LoggerMode,
  stdout: TerminalOutput,
): Exclude<LoggerMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return stdout.isTTY === true ? 'tty' : 'plain';
}

/**
 * Builds the logger for a run. This is the only place that reaches for
 * `process.stdout` and `process.stderr`; the loggers write to what they are
 * given, which keeps them testable.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const noColor = (process.env.NO_COLOR ?? '') !== '';
  const color = options.color ?? (stdout.isTTY === true && !noColor);
  const common = {
    stdout,
    stderr,
    color,
    verbose: options.verbose,
    formatDiagnostic: options.formatDiagnostic,
  };
  const mode = resolveMode(options.mode, stdout);
  switch (mode) {
    case 'json':
      return new JsonLogger({stdout});
    case 'plain':
      return new PlainLogger(common);
    case 'tty':
      return new TtyLogger(common);
  }
}
