import {relative} from 'node:path';

import {watch, type FSWatcher} from 'chokidar';

import type {WorkspaceState} from '../cli/open-state.js';
import {loadGraph} from '../cli/load-graph.js';
import {TEMP_PREFIX} from '../execution/job-outputs.js';
import {runCycle} from '../execution/run-cycle.js';
import type {TaskPool} from '../execution/task-pool.js';
import {resolveTargets, upstreamClosure} from '../graph/select-jobs.js';
import type {Logger} from '../logging/events.js';
import {error} from '../pipeline/diagnostic.js';
import type {ResourcePool} from '../scheduler/resource-pool.js';
import {fileSignature, PathSnapshot, type GlobStep} from './path-snapshot.js';
import {
  globReaches,
  globStep,
  mergeTargets,
  specTargets,
  watchTargets,
  type WatchTargets,
} from './watch-targets.js';

/**
 * How long to wait after the last file event before starting a run. One
 * save is often several events within a few milliseconds (an editor writes
 * a temporary file and renames it; `git checkout` writes many files), and
 * one run for the whole burst is what the user wants. 30 ms covers such
 * bursts on local disks while keeping save-to-first-job well under the
 * 200 ms a user perceives as instant.
 */
const DEBOUNCE_MS = 30;

/**
 * chokidar drops a file's `change` event when it comes within 50 ms of the
 * one before (a leading-edge throttle, with no trailing event), so the last
 * save of a quick burst (an editor's save, then its formatter's) would go
 * unseen and its edit would never run. So every event is followed by one
 * look at the file after that window: if it differs from how it was when
 * the event arrived, that is a change too.
 */
const RECHECK_MS = 60;

/**
 * When, in ms after paths are added to the file watcher, the session looks
 * at them itself. chokidar stats and watches each added path
 * asynchronously and reports when it is done only for its first batch: an
 * edit made before it has a path (during the cycle that added it, or just
 * after) would never be seen. Each look compares the paths with how they
 * were when added; by the last, a local disk has long been watched, and a
 * slow one has had seconds.
 */
const SETTLE_CHECKS_MS = [100, 500, 2000, 5000];

/**
 * How long the first cycle waits for the watcher to report its first paths
 * ready before saying the session is idle anyway (the looks above go on).
 */
const READY_WAIT_MS = 10_000;

/** How often `--poll` checks files; polling is for network file systems. */
const POLL_INTERVAL_MS = 250;

/**
 * For how long after a catch-up ({@link SETTLE_CHECKS_MS}) reported a
 * path, a watcher event for it that finds it as it was then is taken for
 * the same change, reported late (a poll comes up to an interval after
 * the edit), and not for a new one: otherwise a second cycle would follow
 * the first and find nothing to do.
 */
const ECHO_MS = 4 * POLL_INTERVAL_MS;

// State, dependencies and version control are never inputs worth watching.
const IGNORED_DIRS = /\/(\.neuromake|node_modules|\.git)(\/|$)/;

/** The states of the diagram on {@link WatchSession}. */
export type WatchState =
  'idle' | 'debouncing' | 'running' | 'queued' | 'stopping';

/** What a watch session needs; everything is opened by the caller. */
export interface WatchOptions {
  readonly file: string;
  readonly overrides: ReadonlyMap<string, string>;
  readonly targets: readonly string[];
  readonly stateDir: string;
  readonly state: WorkspaceState;
  readonly pool: TaskPool;
  readonly resources: ResourcePool;
  readonly logger: Logger;
  readonly keepGoing: boolean;
  readonly poll: boolean;
  /** Aborted by Ctrl-C: ends the session after the current run stops. */
  readonly signal: AbortSignal;
}

/**
 * Keeps a pipeline's outputs current while its inputs are edited.
 *
 *              change                      quiet for DEBOUNCE_MS
 *   ┌──────┐ ─────────▶ ┌────────────┐ ───────────────────────▶ ┌─────────┐
 *   │ idle │            │ debouncing │ ◀─┐ change: restart timer │ running │
 *   └──────┘ ◀───────── └────────────┘ ──┘                       └─────────┘
 *       ▲    run ended, nothing queued          change │     ▲
 *       │                                              ▼     │
 *       └──────────────────────────────────────── ┌────────┐ │
 *                 (run ended: → debouncing)       │ queued │─┘
 *                                                 └────────┘
 *
 * Edits that arrive during a run are queued, not used to cancel it: the
 * running jobs keep their work, and because keys are computed from content
 * when a job starts, the next run reruns exactly what the edits affected
 * (a job that read a file mid-edit is keyed by the old content and so runs
 * again). Ctrl-C moves any state to `stopping`, which aborts the run in
 * flight (its jobs leave no half-written outputs) and closes the watcher.
 *
 * The watcher takes each path it is given some time to set up, and an
 * edit before that would go unseen. So the first cycle says the session
 * is idle only once the watcher reports its first paths ready, and for a
 * few seconds after paths are added the session compares them with how
 * they were itself (SETTLE_CHECKS_MS): an edit made after a cycle read a
 * file always starts another cycle.
 */
export class WatchSession {
  #state: WatchState = 'idle';
  readonly #options: WatchOptions;
  readonly #changed = new Set<string>();
  #watcher: FSWatcher | undefined;
  #targets: WatchTargets | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Path → its pending look ({@link RECHECK_MS}). */
  readonly #rechecks = new Map<string, NodeJS.Timeout>();
  #failedKeys = new Map<string, string>();
  /** How the paths added to the watcher lately looked when added. */
  readonly #added = new PathSnapshot(
    (path) => this.#globStep(path),
    (path) => this.#targets?.directories.get(path),
  );
  #settleTimers: NodeJS.Timeout[] = [];
  /** Whether the watcher has reported its first paths ready. */
  #watcherReady = false;
  /** Path → how a catch-up found it, and until when (ECHO_MS). */
  readonly #echoes = new Map<string, {look: string; until: number}>();
  /** Resolved when the watcher has its first paths; undefined after. */
  #firstReady: Promise<void> | undefined;
  #cycle: AbortController | undefined;
  #done: (() => void) | undefined;

  constructor(options: WatchOptions) {
    this.#options = options;
  }

  /** The current state, for tests and debugging. */
  get state(): WatchState {
    return this.#state;
  }

  /** Runs once, then watches until the signal aborts. */
  async run(): Promise<void> {
    const finished = new Promise<void>((r) => (this.#done = r));
    const onAbort = () => void this.#stop();
    this.#options.signal.addEventListener('abort', onAbort, {once: true});
    const watcher = watch([], {
      ignoreInitial: true,
      usePolling: this.#options.poll,
      interval: POLL_INTERVAL_MS,
      binaryInterval: POLL_INTERVAL_MS,
      atomic: true,
      ignored: (path) => this.#ignored(path),
    });
    this.#watcher = watcher;
    this.#firstReady = new Promise((r) =>
      watcher.once('ready', () => {
        this.#watcherReady = true;
        // Note: the watcher can say it is ready before it watches every
        // path (chokidar counts a missing one twice): keep looking.
        this.#scheduleSettleChecks();
        r();
      }),
    );
    this.#watcher.on('all', (event, path) => {
      if (event === 'unlink' || event === 'unlinkDir' || event === 'addDir') {
        this.#rewatch(path);
      }
      if (!this.#isEcho(path)) this.#onChange(path);
    });
    this.#watcher.on('error', (err) =>
      this.#options.logger.log({
        type: 'warning',
        message: `file watcher: ${err instanceof Error ? err.message : String(err)}`,
      }),
    );
    await this.#runCycle();
    await finished;
    this.#options.signal.removeEventListener('abort', onAbort);
  }

  /**
   * Watches a target again when it is deleted or a target directory
   * appears: the watcher forgets a path once it is gone (a file or
   * directory re-created later would go unseen for the rest of the
   * session), and a directory watched before it existed is not always
   * followed into once it does.
   */
  #rewatch(path: string): void {
    const targets = this.#targets;
    if (targets === undefined) return;
    if (!targets.files.has(path) && !targets.directories.has(path)) return;
    this.#watcher?.unwatch(path);
    this.#addPaths([path]);
  }

  /**
   * Watches `paths`, having noted how they look first, and looks at them
   * again itself for a while ({@link SETTLE_CHECKS_MS}).
   */
  #addPaths(paths: readonly string[]): void {
    // Note: a stopping session schedules nothing that would outlive it.
    if (this.#state === 'stopping') return;
    for (const path of paths) this.#added.add(path);
    this.#watcher?.add([...paths]);
    this.#scheduleSettleChecks();
  }

  /**
   * Schedules the looks of {@link SETTLE_CHECKS_MS} from now (again). After
   * the last, the paths are forgotten, unless the watcher has not yet said
   * it is ready (a slow disk): then the looks go on.
   */
  #scheduleSettleChecks(): void {
    if (this.#state === 'stopping') return;
    for (const timer of this.#settleTimers) clearTimeout(timer);
    this.#settleTimers = SETTLE_CHECKS_MS.map((ms, i) =>
      setTimeout(() => {
        this.#catchUp();
        if (i < SETTLE_CHECKS_MS.length - 1) return;
        if (this.#watcherReady) this.#added.clear();
        else this.#scheduleSettleChecks();
      }, ms),
    );
  }

  /** Takes every added path that changed since it was noted as an edit. */
  #catchUp(): void {
    if (this.#state === 'stopping') return;
    const now = performance.now();
    for (const [path, echo] of this.#echoes) {
      if (now > echo.until) this.#echoes.delete(path);
    }
    const until = now + ECHO_MS;
    for (const path of this.#added.changed()) {
      this.#echoes.set(path, {look: fileSignature(path), until});
      this.#onChange(path);
    }
  }

  /**
   * Whether a watcher event repeats a catch-up's report (ECHO_MS). Only
   * the first event for the path can: a later one is news, even when the
   * path looks the same again (a file deleted a second time).
   */
  #isEcho(path: string): boolean {
    const echo = this.#echoes.get(path);
    if (echo === undefined) return false;
    this.#echoes.delete(path);
    return performance.now() <= echo.until && fileSignature(path) === echo.look;
  }

  /**
   * Waits, once per session, for the watcher to report its first paths
   * ready (at most {@link READY_WAIT_MS}, or until Ctrl-C), then catches up
   * with edits made meanwhile: the session must not say it is idle while
   * an edit would still go unseen.
   */
  async #settleFirstPaths(signal: AbortSignal): Promise<void> {
    const ready = this.#firstReady;
    if (ready === undefined) return;
    this.#firstReady = undefined;
    // Stopped before the watcher was given a path: it never gets ready.
    if (signal.aborted || this.#state === 'stopping') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, READY_WAIT_MS);
      signal.addEventListener('abort', done, {once: true});
      void ready.then(done);
    });
    this.#catchUp();
  }

  /** Where a path stands to the globs, for PathSnapshot. */
  #globStep(path: string): GlobStep {
    if (this.#ignored(path)) return undefined;
    let step: GlobStep;
    for (const glob of this.#targets?.globs ?? []) {
      const here = globStep(glob, path);
      if (here === 'match') return here;
      step ??= here;
    }
    return step;
  }

  #ignored(path: string): boolean {
    if (path.includes(TEMP_PREFIX) || IGNORED_DIRS.test(path)) return true;
    return this.#targets?.outputs.has(path) ?? false;
  }

  #onChange(path: string): void {
    if (this.#state === 'stopping') return;
    const targets = this.#targets;
    const relevant =
      targets === undefined ||
      targets.files.has(path) ||
      targets.globs.some((g) => globReaches(g, path));
    if (!relevant) return;
    this.#recheckLater(path);
    this.#changed.add(path);
    if (this.#state === 'running' || this.#state === 'queued') {
      if (this.#state === 'running') {
        this.#options.logger.log({
          type: 'watch-change',
          paths: [this.#relative(path)],
          queued: true,
        });
      }
      this.#state = 'queued';
      return;
    }
    this.#debounce();
  }

  /** See {@link RECHECK_MS}. */
  #recheckLater(path: string): void {
    // How the file looked at this event: a later event replaces the look.
    const seen = fileSignature(path);
    const pending = this.#rechecks.get(path);
    if (pending !== undefined) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.#rechecks.delete(path);
      if (fileSignature(path) !== seen) this.#onChange(path);
    }, RECHECK_MS);
    this.#rechecks.set(path, timer);
  }

  #debounce(): void {
    this.#state = 'debouncing';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const paths = [...this.#changed].map((p) => this.#relative(p));
      this.#changed.clear();
      this.#options.logger.log({type: 'watch-change', paths, queued: false});
      void this.#runCycle();
    }, DEBOUNCE_MS);
  }

  async #runCycle(): Promise<void> {
    this.#state = 'running';
    this.#cycle = new AbortController();
    try {
      await this.#plannedRun(this.#cycle.signal);
      await this.#settleFirstPaths(this.#cycle.signal);
    } catch (err) {
      // A bug must not end the session silently; report it and keep going.
      const text =
        err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.#options.logger.log({
        type: 'warning',
        message: `Internal error: ${text}`,
      });
    }
    this.#cycle = undefined;
    // Note: the state may have moved while we awaited (edits, Ctrl-C).
    const state = this.#state as WatchState;
    if (state === 'stopping') {
      await this.#finish();
      return;
    }
    if (state === 'queued') {
      this.#debounce();
      return;
    }
    this.#state = 'idle';
    this.#options.logger.log({
      type: 'watch-idle',
      files: this.#targets?.files.size ?? 0,
      directories: this.#targets?.directories.size ?? 0,
    });
  }

  async #plannedRun(signal: AbortSignal): Promise<void> {
    const o = this.#options;

    // Note: this cycle reads the paths the watcher may not have yet as
    // they are from here on, so only a later change can be one it misses.
    const held = this.#targets;
    if (held !== undefined) {
      this.#added.refresh((p) => held.files.has(p) || held.directories.has(p));
    }
    const loaded = await loadGraph(o.file, o.overrides);
    if (!loaded.ok) {
      // Keep watching what we watched, plus the pipeline file, so that
      // fixing the error starts the next run.
      o.logger.log({type: 'diagnostics', diagnostics: loaded.diagnostics});
      // Note: what the pipeline names is watched too, so that creating the
      // input or the glob's files it lacks starts the next run.
      const named =
        loaded.source === undefined ? undefined : specTargets(loaded.source);
      this.#watch(
        mergeTargets(
          this.#targets ?? {
            files: new Set([o.file]),
            directories: new Map(),
            globs: [],
            outputs: new Set(),
          },
          named,
        ),
      );
      return;
    }
    const {spec, graph, planMs} = loaded.value;
    this.#watch(watchTargets(spec, graph));
    const targets = resolveTargets(graph, o.targets);
    if (!targets.ok) {
      o.logger.log({
        type: 'diagnostics',
        diagnostics: [
          error(
            `no step, job or output is called "${targets.error.target}"`,
            undefined,
            targets.error.hint,
          ),
        ],
      });
      return;
    }
    const selected = upstreamClosure(graph, targets.jobs);
    const impossible = selected.find(
      (j) => o.resources.impossible(j.step.resources) !== undefined,
    );
    if (impossible !== undefined) {
      o.logger.log({
        type: 'diagnostics',
        diagnostics: [
          error(
            `step "${impossible.step.id}" ${o.resources.impossible(impossible.step.resources) ?? ''}`,
            impossible.step.location,
          ),
        ],
      });
      return;
    }
    o.logger.log({
      type: 'plan',
      jobs: selected.length,
      steps: spec.steps.size,
      planMs,
    });
    const summary = await runCycle({
      spec,
      graph,
      stateDir: o.stateDir,
      state: o.state,
      pool: o.pool,
      resources: o.resources,
      logger: o.logger,
      selected,
      forced: new Set(),
      keepGoing: o.keepGoing,
      signal,
      failedKeys: this.#failedKeys,
      command: 'watch',
    });
    // Keep earlier failures too: a job that failed before but was not
    // evaluated this cycle (a new failure stopped the run) has not changed.
    this.#failedKeys = new Map([...this.#failedKeys, ...summary.failedKeys]);
  }

  /** Brings the watcher in line with a new watch set. */
  #watch(next: WatchTargets): void {
    const watcher = this.#watcher;
    if (watcher === undefined) return;
    const before = this.#targets;
    const wanted = new Set([...next.files, ...next.directories.keys()]);
    const had = new Set(
      before === undefined
        ? []
        : [...before.files, ...before.directories.keys()],
    );
    const added = [...wanted].filter((p) => !had.has(p));
    const removed = [...had].filter((p) => !wanted.has(p));
    this.#targets = next;
    if (removed.length > 0) watcher.unwatch(removed);

    // Note: a directory held since before lists other matches under new
    // globs, which is no edit.
    const patterns = (t?: WatchTargets) => t?.globs.map((g) => g.pattern);
    if (String(patterns(before)) !== String(patterns(next))) {
      this.#added.renote(next.directories.keys());
    }
    if (added.length > 0) this.#addPaths(added);
  }

  async #stop(): Promise<void> {
    const previous = this.#state;
    this.#state = 'stopping';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const timer of this.#rechecks.values()) clearTimeout(timer);
    this.#rechecks.clear();
    for (const timer of this.#settleTimers) clearTimeout(timer);
    this.#settleTimers = [];
    if (previous === 'running' || previous === 'queued') {
      this.#cycle?.abort();
      return; // #runCycle finishes the session once the run has stopped.
    }
    await this.#finish();
  }

  async #finish(): Promise<void> {
    await this.#watcher?.close();
    this.#done?.();
  }

  #relative(path: string): string {
    return relative(process.cwd(), path) || path;
  }
}
