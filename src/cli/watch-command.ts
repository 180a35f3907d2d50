import {busyHint, lockWorkspace} from '../cache/workspace-lock.js';
import {TaskPool} from '../execution/task-pool.js';
import type {Logger} from '../logging/events.js';
import {ResourcePool} from '../scheduler/resource-pool.js';
import {WatchSession} from '../watch/watch-session.js';
import {resolveBudget} from './budget.js';
import {EXIT, usageError, type CliIo} from './cli-io.js';
import {listenForInterrupts} from './interrupts.js';
import {openState} from './open-state.js';

/** Flags of `neuromake watch`. */
export interface WatchFlags {
  readonly file: string;
  readonly stateDir: string;
  readonly workspace: string;
  readonly targets: readonly string[];
  readonly overrides: ReadonlyMap<string, string>;
  readonly jobs: string | undefined;
  readonly memory: string | undefined;
  readonly gpus: string | undefined;
  readonly keepGoing: boolean;
  readonly poll: boolean;
}

/**
 * `neuromake watch`: runs once, then reruns what each edit affects until
 * Ctrl-C. Holds the workspace lock, the state store and the worker pool for
 * the whole session, so each cycle starts in milliseconds.
 */
export async function watchCommand(
  flags: WatchFlags,
  io: CliIo,
  logger: Logger,
): Promise<number> {
  const budget = resolveBudget({
    jobs: flags.jobs,
    memory: flags.memory,
    gpus: flags.gpus,
    needGpus: false,
  });
  if (!budget.ok) return usageError(io, budget.message, budget.hint);
  const lock = await lockWorkspace(flags.stateDir, {wait: false});
  if (!lock.ok) {
    return usageError(
      io,
      `another neuromake (pid ${lock.error.pid} on ${lock.error.host}) is running in this workspace`,
      busyHint(
        lock.error,
        flags.stateDir,
        'stop it first: watch mode keeps the workspace for itself',
      ),
    );
  }
  // As `run` does: jobs see the workspace as their working directory.
  process.chdir(flags.workspace);
  const state = openState(
    {stateDir: flags.stateDir, workspace: flags.workspace},
    lock,
  );
  const pool = new TaskPool(budget.budget.cpus);
  const controller = new AbortController();
  const stopListening = listenForInterrupts(controller, logger);
  try {
    await new WatchSession({
      file: flags.file,
      overrides: flags.overrides,
      targets: flags.targets,
      stateDir: flags.stateDir,
      state,
      pool,
      resources: new ResourcePool(budget.budget),
      logger,
      keepGoing: flags.keepGoing,
      poll: flags.poll,
      signal: controller.signal,
    }).run();
    return EXIT.ok;
  } finally {
    stopListening();
    await pool.close();
    state.store.close();
    lock.release();
  }
}
