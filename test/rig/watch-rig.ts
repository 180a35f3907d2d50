/**
 * Watch-mode helpers on top of the workspace rig: `neuromake watch --json`
 * as a long-lived child process whose event stream is parsed as it
 * arrives, so a test can wait (with a deadline) for what the session
 * reports instead of sleeping.
 *
 * Every watch test runs once per {@link WatchStrategy}: with file-system
 * events, and with `--poll`.
 */
import {utimesSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';

import {
  asEvent,
  ofType,
  type RigEvent,
  type RunningCli,
  type RunResult,
  type WorkspaceRig,
} from './workspace-rig.js';

export {ofType};

/** How a watch session notices edits. */
export type WatchStrategy = 'events' | 'poll';

/** Both strategies, in the order tests run them. */
export const STRATEGIES: readonly WatchStrategy[] = ['events', 'poll'];

/**
 * How long to watch for a cycle that must not come. With `--poll` a change
 * is seen up to one poll interval (250 ms) late, then debounced (30 ms);
 * the margin is for a loaded machine.
 */
function quietMs(strategy: WatchStrategy): number {
  return strategy === 'poll' ? 700 : 500;
}

/** One event and when it arrived here (`performance.now()`). */
export interface Arrival {
  readonly event: RigEvent;
  readonly at: number;
}

/**
 * `hold.sh NAME OUT GATE [IN…]`: counted when it starts; reads its inputs,
 * then waits until `$NM_GATES/GATE` exists and writes OUT = what it read
 * and a `+NAME` line. A job that stays running until the test lets it
 * finish, and whose output shows what its inputs were when it started. It
 * gives up (exit 1) after 30 s, so a test that dies while holding one
 * leaves no process behind for long.
 */
const HOLD_TOOL = `#!/bin/sh
name=$1; out=$2; gate=$3; shift 3
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/$name.log"
read=$(if [ $# -gt 0 ]; then cat "$@"; fi)
i=0
while [ ! -e "$NM_GATES/$gate" ]; do
  i=$((i + 1)); if [ $i -gt 1500 ]; then exit 1; fi
  sleep 0.02
done
printf '%s\\n+%s\\n' "$read" "$name" > "$out"
`;

/** Adds the watch tools (`tools/hold.sh`) to a rig's workspace. */
export function addWatchTools(rig: WorkspaceRig): void {
  rig.write('tools/hold.sh', HOLD_TOOL);
}

/** Saves a file without changing it: the same bytes, written atomically. */
export function saveUnchanged(rig: WorkspaceRig, rel: string): void {
  rig.write(rel, rig.bytes(rel));
}

/** Sets a file's modification time to now, as `touch` does. */
export function touch(rig: WorkspaceRig, rel: string): void {
  const now = new Date();
  utimesSync(rig.path(rel), now, now);
}

/** Job ids of the `job-start` events among `events`, in order. */
export function started(events: readonly RigEvent[]): string[] {
  return ofType(events, 'job-start').map((e) => String(e.job));
}

/** Every path the `watch-change` events among `events` name. */
export function changedPaths(events: readonly RigEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of ofType(events, 'watch-change')) {
    const paths = e['paths'];
    if (Array.isArray(paths)) for (const p of paths) out.add(String(p));
  }
  return out;
}

/** True when the last of `events` says the session is waiting for edits. */
export function endsIdle(events: readonly RigEvent[]): boolean {
  return events.at(-1)?.type === 'watch-idle';
}

/** One line of `--json` output, or undefined when it is not an object. */
function parseLine(line: string): RigEvent | undefined {
  try {
    return asEvent(JSON.parse(line));
  } catch {
    return undefined;
  }
}

/** A running `neuromake watch --json` and the events it has sent so far. */
export class WatchCli {
  readonly strategy: WatchStrategy;
  readonly cli: RunningCli;
  readonly #arrivals: Arrival[] = [];
  #partial = '';
  #garbage: string | undefined;
  #exit: RunResult | undefined;

  constructor(strategy: WatchStrategy, cli: RunningCli) {
    this.strategy = strategy;
    this.cli = cli;
    // The rig keeps the whole text too; this listener timestamps each line.
    cli.child.stdout?.on('data', (chunk: string | Buffer) => {
      const at = performance.now();
      const lines = (this.#partial + chunk.toString()).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        const value = parseLine(line);
        if (value === undefined) this.#garbage ??= line;
        else this.#arrivals.push({event: value, at});
      }
    });
    void cli.done.then((result) => (this.#exit = result));
  }

  get pid(): number {
    return this.cli.pid;
  }

  /** Every event so far, with its arrival time. */
  get arrivals(): readonly Arrival[] {
    return this.#arrivals;
  }

  /** A position in the stream: `since(mark())` is what comes after now. */
  mark(): number {
    return this.#arrivals.length;
  }

  /** The events from position `from` on. */
  since(from: number): RigEvent[] {
    return this.#arrivals.slice(from).map((a) => a.event);
  }

  /** The process's result once it has exited. */
  get exited(): RunResult | undefined {
    return this.#exit;
  }

  /**
   * Waits until `check` holds for the events from `from` on, and returns
   * them, looking every `pollMs`. Fails at the deadline, or at once if the
   * process exits, with the stream so far.
   */
  async until(
    what: string,
    from: number,
    check: (events: readonly RigEvent[]) => boolean,
    timeoutMs = 10_000,
    pollMs = 10,
  ): Promise<RigEvent[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const events = this.since(from);
      if (this.#garbage !== undefined) {
        throw new Error(`not a JSON event: ${this.#garbage}\n${this.dump()}`);
      }
      if (check(events)) return events;
      if (this.#exit !== undefined) {
        throw new Error(
          `watch exited while waiting for ${what}\n${this.dump()}`,
        );
      }
      if (performance.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\n${this.dump()}`);
      }
      await sleep(pollMs);
    }
  }

  /**
   * Waits for the session to be idle again after position `from` with
   * `check` holding for what came in between (by default: any cycle).
   */
  async cycle(
    what: string,
    from: number,
    check: (events: readonly RigEvent[]) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<RigEvent[]> {
    return this.until(
      what,
      from,
      (events) => endsIdle(events) && check(events),
      timeoutMs,
    );
  }

  /**
   * Watches for `ms` and returns what arrived from `from` on; a settle
   * period for proving that nothing happens.
   */
  async quiet(from: number, ms = quietMs(this.strategy)): Promise<RigEvent[]> {
    await sleep(ms);
    return this.since(from);
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGINT',
    timeoutMs = 10_000,
  ): Promise<RunResult> {
    this.cli.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`watch did not exit after ${signal}\n${this.dump()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.cli.done, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The stream and stderr so far, for failure messages. */
  dump(): string {
    const lines = this.#arrivals.map((a) => JSON.stringify(a.event));
    const stderr = this.#exit?.stderr ?? '';
    const exit =
      this.#exit === undefined
        ? 'still running'
        : `exit ${this.#exit.code} ${this.#exit.signal ?? ''}`;
    return `--- ${this.strategy} events (${exit})\n${lines.join('\n')}\n--- stderr\n${stderr}`;
  }
}

/**
 * Starts `neuromake watch --json` (with `--poll` for that strategy) in the
 * rig's workspace. The session is not yet idle: wait for its first cycle.
 */
export function startWatch(
  rig: WorkspaceRig,
  strategy: WatchStrategy,
  ...args: string[]
): WatchCli {
  const poll = strategy === 'poll' ? ['--poll'] : [];
  return new WatchCli(strategy, rig.start('watch', '--json', ...poll, ...args));
}

/**
 * Starts a watch session and waits for its first cycle to end; returns the
 * session and that cycle's events.
 */
export async function startIdle(
  rig: WorkspaceRig,
  strategy: WatchStrategy,
  ...args: string[]
): Promise<{watch: WatchCli; first: RigEvent[]}> {
  const watch = startWatch(rig, strategy, ...args);
  const first = await watch.cycle('the first cycle', 0);
  return {watch, first};
}
