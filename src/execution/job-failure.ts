import {unreachable} from '../util/unreachable.js';

/** Why one attempt of a job failed: expected failures, as values. */
export type JobFailure =
  | {readonly reason: 'exit-non-zero'; readonly code: number}
  | {readonly reason: 'killed'; readonly signal: string}
  | {readonly reason: 'spawn-error'; readonly message: string}
  | {
      readonly reason: 'missing-output';
      readonly output: string;
      readonly path: string;
    }
  | {readonly reason: 'task-error'; readonly message: string}
  | {readonly reason: 'input-missing'; readonly path: string}
  | {readonly reason: 'interrupted'}
  /** Watch mode: it failed with this very key before; edit to retry. */
  | {readonly reason: 'unchanged-since-failure'};

/** A one-line description of a failure. */
export function describeFailure(f: JobFailure): string {
  switch (f.reason) {
    case 'exit-non-zero':
      return `command exited with code ${f.code}`;
    case 'killed':
      return `command was killed by ${f.signal}`;
    case 'spawn-error':
      return `command could not start: ${f.message}`;
    case 'missing-output':
      return `finished without writing output "${f.output}" (${f.path})`;
    case 'task-error':
      return f.message;
    case 'input-missing':
      return `input ${f.path} disappeared before the job started`;
    case 'interrupted':
      return 'interrupted';
    case 'unchanged-since-failure':
      return 'failed before with the same inputs, params and code; not retried until one of them changes';
    default:
      return unreachable(f);
  }
}
