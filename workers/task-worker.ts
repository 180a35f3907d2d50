import type {MessagePort} from 'node:worker_threads';

import {findTask} from '../src/tasks/registry.js';
import {TaskInputError, type TaskContext} from '../src/tasks/task.js';

/** What the main thread sends for one job. */
export interface WorkerRequest {
  readonly task: string;
  readonly jobId: string;
  readonly inputs: Record<string, string | string[]>;
  readonly outputs: Record<string, string>;
  readonly params: Record<string, unknown>;
  /** Carries progress, log lines and warnings back while the task runs. */
  readonly port: MessagePort;
}

/** Messages a running task sends over its port. */
export type WorkerMessage =
  | {
      readonly kind: 'progress';
      readonly done: number;
      readonly total: number;
      readonly message?: string | undefined;
    }
  | {readonly kind: 'log'; readonly text: string}
  | {readonly kind: 'warn'; readonly text: string};

/** The reply: success, or the task's error message. */
export type WorkerReply =
  {readonly ok: true} | {readonly ok: false; readonly message: string};

/**
 * The piscina worker entry: looks the task up, runs it, and turns a thrown
 * error into a reply, so failures cross the thread boundary as values.
 */
export default async function runTask(
  request: WorkerRequest,
): Promise<WorkerReply> {
  const registered = findTask(request.task);
  const port = request.port;
  const controller = new AbortController();
  port.on('message', (message) => {
    if (message === 'abort') controller.abort();
  });
  port.unref();
  try {
    if (registered === undefined) {
      return {
        ok: false,
        message: `Internal error: no task "${request.task}" in the worker`,
      };
    }
    const post = (message: WorkerMessage) => port.postMessage(message);
    const context: TaskContext = {
      inputs: request.inputs,
      outputs: request.outputs,
      params: request.params,
      jobId: request.jobId,
      signal: controller.signal,
      progress: (done, total, message) =>
        post({kind: 'progress', done, total, message}),
      log: (text) => post({kind: 'log', text}),
      warn: (text) => post({kind: 'warn', text}),
    };
    await registered.definition.run(context);
    return {ok: true};
  } catch (err) {
    if (err instanceof TaskInputError) return {ok: false, message: err.message};
    const e = err instanceof Error ? err : new Error(String(err));
    return {ok: false, message: e.stack ?? e.message};
  } finally {
    port.close();
  }
}
