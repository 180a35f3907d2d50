import {availableParallelism} from 'node:os';
import {MessageChannel} from 'node:worker_threads';

import {Piscina} from 'piscina';

import type {
  WorkerMessage,
  WorkerReply,
  WorkerRequest,
} from '../../workers/task-worker.js';
import type {JobFailure} from './job-failure.js';
import {closeLaunchers} from './shell-runner.js';

/** Callbacks for what a task reports while it runs. */
export interface TaskListener {
  progress(done: number, total: number, message?: string): void;
  log(text: string): void;
  warn(text: string): void;
}

/**
 * The one worker pool every built-in task runs in, created on first use and
 * reused for the whole run (or the whole watch session), since starting a
 * worker thread costs far more than a small task.
 */
export class TaskPool {
  readonly #threads: number;
  #pool: Piscina | undefined;

  constructor(threads: number = availableParallelism()) {
    this.#threads = Math.max(1, threads);
  }

  async run(
    request: Omit<WorkerRequest, 'port'>,
    listener: TaskListener,
    signal: AbortSignal,
  ): Promise<JobFailure | undefined> {
    if (signal.aborted) return {reason: 'interrupted'};
    this.#pool ??= new Piscina({
      filename: new URL('../../workers/task-worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: this.#threads,
      idleTimeout: 30_000,
    });
    const {port1, port2} = new MessageChannel();
    port1.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'progress':
          listener.progress(message.done, message.total, message.message);
          break;
        case 'log':
          listener.log(message.text);
          break;
        case 'warn':
          listener.warn(message.text);
          break;
      }
    });
    const onAbort = () => port1.postMessage('abort');
    signal.addEventListener('abort', onAbort, {once: true});
    try {
      const reply = (await this.#pool.run(
        {...request, port: port2},
        {transferList: [port2], signal},
      )) as WorkerReply;
      return reply.ok
        ? undefined
        : {reason: 'task-error', message: reply.message};
    } catch (err) {
      if (signal.aborted) return {reason: 'interrupted'};
      const e = err instanceof Error ? err : new Error(String(err));
      return {reason: 'task-error', message: e.stack ?? e.message};
    } finally {
      signal.removeEventListener('abort', onAbort);
      port1.close();
    }
  }

  /**
   * Stops the workers, and the shell-job launchers too: this is where a run
   * (or a watch session, or a compute node's job) closes its executors.
   */
  async close(): Promise<void> {
    await Promise.all([this.#pool?.destroy(), closeLaunchers()]);
    this.#pool = undefined;
  }
}
