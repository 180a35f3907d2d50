import {setMaxListeners} from 'node:events';
import {availableParallelism} from 'node:os';
import {BroadcastChannel} from 'node:worker_threads';

import type {Piscina} from 'piscina';

import {
  ABORT_CHANNEL,
  type WorkerMessage,
  type WorkerReply,
  type WorkerRequest,
} from '../../workers/task-worker.js';
import type {JobFailure} from './job-failure.js';
import {closeLaunchers} from './shell-runner.js';

/** Callbacks for what a task reports while it runs. */
export interface TaskListener {
  progress(done: number, total: number, message?: string): void;
  log(text: string): void;
  warn(text: string): void;
}

/** Numbers tasks across every pool of the process (see WorkerRequest). */
let nextTaskId = 0;

/** A running task's listener, and how many of its messages arrived. */
interface Running {
  readonly listener: TaskListener;
  /** The signal that stops it (every task of a run shares the run's). */
  readonly signal: AbortSignal;
  received: number;
  /** Set once the reply came, while messages are still on their way. */
  waiting?: {readonly sent: number; readonly done: () => void};
}

/**
 * The one worker pool every built-in task runs in, created on first use and
 * reused for the whole run (or the whole watch session), since starting a
 * worker thread costs far more than a small task. Tasks report through the
 * workers' own channel to the main thread and are told to stop through one
 * broadcast channel, so a task costs piscina's round trip and no more.
 */
export class TaskPool {
  readonly #threads: number;
  #pool: Piscina | undefined;
  #aborts: BroadcastChannel | undefined;
  readonly #running = new Map<number, Running>();
  /** Signals this pool listens to: one listener per signal, not per task. */
  readonly #watched = new WeakSet<AbortSignal>();
  #tasks = 0;
  #bodyMs = 0;

  constructor(threads: number = availableParallelism()) {
    this.#threads = Math.max(1, threads);
  }

  async run(
    request: Omit<WorkerRequest, 'taskId'>,
    listener: TaskListener,
    signal: AbortSignal,
  ): Promise<JobFailure | undefined> {
    if (signal.aborted) return {reason: 'interrupted'};
    // Note: no await when the pool is up, so a task costs no extra turn of
    // the microtask queue.
    const pool = this.#pool ?? (await this.#start());
    const taskId = nextTaskId++;
    const running: Running = {listener, signal, received: 0};
    this.#running.set(taskId, running);
    this.#watch(signal);
    try {
      const reply = (await pool.run(
        {...request, taskId},
        {signal},
      )) as WorkerReply;
      this.#tasks++;
      this.#bodyMs += reply.bodyMs;
      if (running.received < reply.sent) {
        await this.#delivered(running, reply.sent);
      }
      return reply.ok
        ? undefined
        : {reason: 'task-error', message: reply.message};
    } catch (err) {
      if (signal.aborted) return {reason: 'interrupted'};
      const e = err instanceof Error ? err : new Error(String(err));
      return {reason: 'task-error', message: e.stack ?? e.message};
    } finally {
      this.#running.delete(taskId);
    }
  }

  /**
   * Tells the workers to stop every running task of `signal` once it
   * aborts. One listener per signal: adding and removing one per task cost
   * a noticeable share of a tiny task's round trip.
   */
  #watch(signal: AbortSignal): void {
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    // Note: piscina adds a listener of its own per task it runs with the
    // signal, so a run with more than ten tasks in flight (-j 16) made
    // Node warn of a leak; they are removed as the tasks end.
    setMaxListeners(0, signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const [taskId, task] of this.#running) {
          if (task.signal === signal) this.#abortChannel().postMessage(taskId);
        }
      },
      {once: true},
    );
  }

  /**
   * Tasks that replied so far and the time they spent in their own code:
   * the rest of a round trip is the pool's (benchmarks report it).
   */
  get usage(): {readonly tasks: number; readonly bodyMs: number} {
    return {tasks: this.#tasks, bodyMs: this.#bodyMs};
  }

  async close(): Promise<void> {
    // Note: this is where a run (or a watch session, or a compute node's
    // job) closes its executors, so the shell-job launchers go too.
    await Promise.all([this.#pool?.destroy(), closeLaunchers()]);
    this.#pool = undefined;
    this.#aborts?.close();
    this.#aborts = undefined;
  }

  /**
   * Starts the pool on first use. piscina is imported here, not at the top:
   * a run whose jobs are all fresh never needs it, and loading it costs a
   * noticeable share of a no-op rerun.
   */
  async #start(): Promise<Piscina> {
    if (this.#pool !== undefined) return this.#pool;
    const {Piscina: Pool} = await import('piscina');
    if (this.#pool !== undefined) return this.#pool;
    const pool = new Pool({
      filename: new URL('../../workers/task-worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: this.#threads,
      idleTimeout: 30_000,
    });
    pool.on('message', (message: WorkerMessage) => this.#message(message));
    this.#pool = pool;
    return pool;
  }

  #abortChannel(): BroadcastChannel {
    if (this.#aborts === undefined) {
      this.#aborts = new BroadcastChannel(ABORT_CHANNEL);
      this.#aborts.unref();
    }
    return this.#aborts;
  }

  #message(message: WorkerMessage): void {
    const running = this.#running.get(message.taskId);
    if (running === undefined) return;
    const {listener} = running;
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
    running.received++;
    if (
      running.waiting !== undefined &&
      running.received >= running.waiting.sent
    ) {
      running.waiting.done();
    }
  }

  /** Resolves once all `sent` messages of a finished task were handled. */
  #delivered(running: Running, sent: number): Promise<void> {
    return new Promise((done) => (running.waiting = {sent, done}));
  }
}
