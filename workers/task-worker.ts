import {BroadcastChannel, parentPort} from 'node:worker_threads';

import {FormatError} from '../src/io/format-error.js';
import {findTask} from '../src/tasks/registry.js';
import {TaskInputError, type TaskContext} from '../src/tasks/task.js';

/** What the main thread sends for one job. */
export interface WorkerRequest {
  /** Unique in the process: tags the task's messages and its abort. */
  readonly taskId: number;
  readonly task: string;
  readonly jobId: string;
  readonly resources: {readonly cpus: number; readonly gpus: readonly number[]};
  readonly inputs: Record<string, string | string[]>;
  readonly outputs: Record<string, string>;
  readonly params: Record<string, unknown>;
}

/** What a running task reports: progress, log lines and warnings. */
export type WorkerEvent =
  | {
      readonly kind: 'progress';
      readonly done: number;
      readonly total: number;
      readonly message?: string | undefined;
    }
  | {readonly kind: 'log'; readonly text: string}
  | {readonly kind: 'warn'; readonly text: string};

/** A {@link WorkerEvent} as posted to the main thread, tagged with its task. */
export type WorkerMessage = WorkerEvent & {readonly taskId: number};

/**
 * The reply: success, or the task's error message; `sent` counts the
 * messages the task posted, which travel on another channel than the reply:
 * the main thread waits for all of them before it calls the task done.
 * `bodyMs` is the time spent in the task's own code, so that the cost of
 * getting a task to a worker and back can be told from the task's work.
 */
export type WorkerReply = (
  {readonly ok: true} | {readonly ok: false; readonly message: string}
) & {readonly sent: number; readonly bodyMs: number};

/** Where the main thread announces the id of a task to abort. */
export const ABORT_CHANNEL = 'neuromake-task-abort';

/** The least time between two progress reports of one task. */
const PROGRESS_INTERVAL_MS = 100;

/** Aborts of the tasks running on this thread, by task id. */
const running = new Map<number, AbortController>();

// Note: one channel and the worker's own parentPort for every task, instead
// of a MessageChannel created and transferred per task, which cost more
// than a small task itself.
const aborts = new BroadcastChannel(ABORT_CHANNEL);
aborts.onmessage = (event) => {
  running.get((event as {data: number}).data)?.abort();
};
aborts.unref();

/**
 * The piscina worker entry: looks the task up, runs it, and turns a thrown
 * error into a reply, so failures cross the thread boundary as values.
 */
export default async function runTask(
  request: WorkerRequest,
): Promise<WorkerReply> {
  const registered = findTask(request.task);
  const controller = new AbortController();
  running.set(request.taskId, controller);
  let sent = 0;
  let bodyMs = 0;
  let lastProgress = performance.now();
  const post = (event: WorkerEvent) => {
    sent++;
    parentPort?.postMessage({...event, taskId: request.taskId});
  };
  try {
    if (registered === undefined) {
      return {
        ok: false,
        message: `Internal error: no task "${request.task}" in the worker`,
        sent,
        bodyMs,
      };
    }
    const context: TaskContext = {
      inputs: request.inputs,
      outputs: request.outputs,
      params: request.params,
      jobId: request.jobId,
      resources: request.resources,
      signal: controller.signal,
      progress: (done, total, message) => {
        // Progress only feeds the live view, which redraws every 100 ms:
        // a task reporting every chunk (or a tiny task its only step)
        // would otherwise cost a message round trip each time.
        const now = performance.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
        lastProgress = now;
        post({kind: 'progress', done, total, message});
      },
      log: (text) => post({kind: 'log', text}),
      warn: (text) => post({kind: 'warn', text}),
    };
    const start = performance.now();
    try {
      await registered.definition.run(context);
    } finally {
      bodyMs = performance.now() - start;
    }
    return {ok: true, sent, bodyMs};
  } catch (err) {
    // Note: what was wrong with a param, an input or a data file (which
    // FormatError names, with the field) is said without a stack trace.
    if (err instanceof TaskInputError || err instanceof FormatError) {
      return {ok: false, message: err.message, sent, bodyMs};
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return {ok: false, message: e.stack ?? e.message, sent, bodyMs};
  } finally {
    running.delete(request.taskId);
  }
}
