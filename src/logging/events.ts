import type {Diagnostic} from '../pipeline/diagnostic.js';
import {unreachable} from '../util/unreachable.js';

/**
 * Everything the engine reports. The engine never prints: it hands these to
 * a `Logger`, and only logging code decides what reaches the terminal.
 */
export type EngineEvent =
  | {readonly type: 'diagnostics'; readonly diagnostics: readonly Diagnostic[]}
  | {
      readonly type: 'plan';
      readonly jobs: number;
      readonly steps: number;
      readonly planMs: number;
      /** Answered from the no-op stamp: nothing changed, no planning. */
      readonly fromStamp?: boolean | undefined;
    }
  | {
      readonly type: 'job-start';
      readonly job: string;
      readonly attempt: number;
      /**
       * It was queued behind the job before it on its launcher, and began
       * the moment that one ended (ActionRequest.behind).
       */
      readonly behind?: true | undefined;
    }
  | {
      readonly type: 'job-progress';
      readonly job: string;
      readonly done: number;
      readonly total: number;
      readonly message?: string | undefined;
    }
  | {
      readonly type: 'job-done';
      readonly job: string;
      /** ran: executed; restored: copied from the store; fresh: untouched. */
      readonly outcome: 'ran' | 'restored' | 'fresh';
      readonly ms: number;
      /** For `ran`: its outputs equal the previous ones (early cutoff). */
      readonly unchanged?: boolean | undefined;
    }
  | {
      readonly type: 'job-failed';
      readonly job: string;
      readonly reason: string;
      readonly message: string;
      readonly log: string | undefined;
      /** The last lines the job wrote to its log (a final failure's). */
      readonly tail?: readonly string[] | undefined;
      /** How many attempts failed, where the step allows retries. */
      readonly attempts?: number | undefined;
      readonly willRetry: boolean;
    }
  | {
      readonly type: 'job-skipped';
      readonly job: string;
      readonly because: string;
    }
  | {
      readonly type: 'warning';
      readonly job?: string | undefined;
      readonly message: string;
    }
  | {
      readonly type: 'info';
      readonly message: string;
      readonly job?: string | undefined;
      /** Shown only with --verbose (e.g. why each job runs). */
      readonly verbose?: boolean | undefined;
    }
  | {
      /** A dry run's answer for one job that is not fresh. */
      readonly type: 'job-planned';
      readonly job: string;
      readonly action: 'run' | 'restore';
      readonly reasons: readonly string[];
    }
  | {
      /** Watch mode is waiting for edits. */
      readonly type: 'watch-idle';
      readonly files: number;
      readonly directories: number;
    }
  | {
      /** Watch mode saw edits; `queued` when a run is still going. */
      readonly type: 'watch-change';
      readonly paths: readonly string[];
      readonly queued: boolean;
    }
  | {
      readonly type: 'run-end';
      readonly ran: number;
      readonly restored: number;
      readonly fresh: number;
      readonly failed: number;
      readonly skipped: number;
      readonly ms: number;
      readonly interrupted: boolean;
    };

/** Receives engine events. */
export interface Logger {
  log(event: EngineEvent): void;
  /** Flushes and tears down any live view. */
  close(): void;
}

/**
 * Whether an event's line may wait for its batch (LineBatch): those a run
 * logs per job, and its notes. Any other (a plan, a failure, a warning,
 * the end of a run, watch mode's) writes its batch at once, its own line
 * last: it is rare, a person may be waiting for it, and the CLI may write
 * to the terminal itself right after it.
 */
export function mayWait(event: EngineEvent): boolean {
  switch (event.type) {
    case 'job-start':
    case 'job-progress':
    case 'job-done':
    case 'job-skipped':
    case 'job-planned':
    case 'info':
      return true;
    case 'diagnostics':
    case 'plan':
    case 'job-failed':
    case 'warning':
    case 'watch-idle':
    case 'watch-change':
    case 'run-end':
      return false;
    default:
      return unreachable(event);
  }
}
