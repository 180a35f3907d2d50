import type {Logger} from '../logging/events.js';

/** The signals that interrupt a run. */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * What a run does when interrupted: the first SIGINT or SIGTERM aborts it
 * (jobs are stopped, what finished is recorded); a second stops the
 * process at once, as the signal's default action would, but only after
 * the logger wrote the lines it still holds: a process ended by a signal
 * runs no exit hook, and per-job lines wait up to FLUSH_MS (line-batch.ts)
 * for their batch.
 * `raise` re-sends the signal once the handlers are gone (tests pass a
 * fake).
 */
export function interruptHandler(options: {
  readonly controller: AbortController;
  readonly logger: Logger;
  readonly raise: (signal: NodeJS.Signals) => void;
}): (signal: NodeJS.Signals) => void {
  return (signal) => {
    if (!options.controller.signal.aborted) {
      options.controller.abort();
      return;
    }
    options.logger.close();
    options.raise(signal);
  };
}

/**
 * Listens for SIGINT and SIGTERM with {@link interruptHandler} until the
 * returned function is called; a second signal takes the listeners off
 * and re-sends itself.
 */
export function listenForInterrupts(
  controller: AbortController,
  logger: Logger,
): () => void {
  const stop = () => {
    for (const signal of SIGNALS) process.removeListener(signal, handler);
  };
  const handler = interruptHandler({
    controller,
    logger,
    raise: (signal) => {
      stop();
      process.kill(process.pid, signal);
    },
  });
  for (const signal of SIGNALS) process.on(signal, handler);
  return stop;
}
