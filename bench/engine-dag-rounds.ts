/**
 * More full runs for the engine benchmark (engine-dag.ts), interleaved:
 * each round runs neuromake, both Makefiles and the launch floor once.
 * A single run of each varies by a quarter on a shared machine, and runs
 * taken tool after tool also take the machine's drift for a difference
 * between the tools; rounds spread both over every tool alike.
 *
 * Every round's workspaces are written before the first round and deleted
 * after the last (the launch floor writes its own in its round, outside
 * its timed span): ext4 scans the inodes deleted in the last half minute
 * whenever it creates a file, so a run right after another's outputs were
 * deleted pays for that deletion.
 */
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';

import {events, expectRun, field, verifyOutputs} from './engine-dag-checks.js';
import {describe, type Options} from './engine-dag-results.js';
import {jobCount, writeWorkspace, type DagShape} from './generate-dag.js';
import type {LaunchFloorResult} from './launch-floor.js';
import {timeCommand, type Peer, type Timed} from './peers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * One full `--json` run of neuromake in `dir`, checked (every job ran,
 * none failed, the outputs are right), with the engine's own time from
 * its run-end event.
 */
export async function neuromakeFullRun(
  cli: string,
  j: string,
  dir: string,
  shape: DagShape,
  what: string,
): Promise<Timed & {readonly engineMs: number}> {
  const run = await timeCommand(
    process.execPath,
    [cli, 'run', '-j', j, '--json'],
    {cwd: dir},
  );
  const runEvents = events(run.stdout);
  expectRun(runEvents, jobCount(shape), what);
  await verifyOutputs(dir, shape);
  return {...run, engineMs: field(runEvents, 'run-end', 'ms')};
}

/**
 * Runs launch-floor.js on the benchmark's DAG (in `dir`, kept, when given)
 * and returns what it measured.
 */
export async function launchFloor(
  options: Options,
  tmp: string,
  dir?: string,
): Promise<LaunchFloorResult> {
  const {shape} = options;
  const run = await timeCommand(
    process.execPath,
    [
      path.join(HERE, 'launch-floor.js'),
      '--size',
      String(shape.fanOut),
      '--depth',
      String(shape.depth),
      '--lanes',
      String(options.jobs),
      ...(dir === undefined ? [] : ['--dir', dir]),
    ],
    {cwd: tmp},
  );
  return JSON.parse(run.stdout) as LaunchFloorResult;
}

/** The full runs of the extra rounds, by tool. */
export interface Rounds {
  /** With the run-end event's `ms` (engine time). */
  readonly neuromake: (Timed & {readonly engineMs: number})[];
  readonly make: Timed[];
  readonly makePattern: Timed[];
  readonly floor: LaunchFloorResult[];
}

/**
 * Runs `count` rounds under `tmp`; `make` is undefined when make is not
 * measured (skipped or missing).
 */
export async function fullRunRounds(
  options: Options,
  tmp: string,
  count: number,
  make: Peer | undefined,
  log: (message: string) => void,
): Promise<Rounds> {
  const {shape} = options;
  const j = String(options.jobs);
  const rounds: Rounds = {neuromake: [], make: [], makePattern: [], floor: []};
  const dirOf = (round: number, tool: string) =>
    path.join(tmp, `round-${round}`, tool);

  log(`full runs: writing the workspaces of ${count} more rounds`);
  for (let r = 1; r <= count; r++) {
    await writeWorkspace(dirOf(r, 'neuromake'), 'neuromake', shape);
    if (make !== undefined) {
      await writeWorkspace(dirOf(r, 'make'), 'make', shape);
      await writeWorkspace(dirOf(r, 'make-pattern'), 'make-pattern', shape);
    }
  }
  await sleep(2000);

  for (let r = 1; r <= count; r++) {
    log(`full runs: round ${r} of ${count} (${describe(shape)}, -j ${j})`);
    rounds.neuromake.push(
      await neuromakeFullRun(
        options.neuromake,
        j,
        dirOf(r, 'neuromake'),
        shape,
        `neuromake run, round ${r}`,
      ),
    );

    if (make !== undefined) {
      for (const kind of ['make', 'make-pattern'] as const) {
        const dir = dirOf(r, kind);
        const run = await timeCommand(make.command, ['-j', j], {cwd: dir});
        await verifyOutputs(dir, shape);
        (kind === 'make' ? rounds.make : rounds.makePattern).push(run);
      }
    }

    rounds.floor.push(await launchFloor(options, tmp, dirOf(r, 'floor')));
  }
  return rounds;
}
