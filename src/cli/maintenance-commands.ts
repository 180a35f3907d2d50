import {dirname, join} from 'node:path';

import {collectGarbage} from '../cache/gc.js';
import {busyHint, lockWorkspace} from '../cache/workspace-lock.js';
import {formatDag} from '../graph/dag-format.js';
import {resolveTargets, upstreamClosure} from '../graph/select-jobs.js';
import {parseSize} from '../pipeline/parse-size.js';
import {formatBytes, formatSize} from '../scheduler/resource-pool.js';
import {findTask, taskNames} from '../tasks/registry.js';
import {EXIT, usageError, type CliIo} from './cli-io.js';
import type {LoadedPipeline} from './load-graph.js';
import {openState} from './open-state.js';

/** `neuromake dag [TARGET…] --format dot|mermaid|json` (or `--json`). */
export function dagCommand(
  loaded: LoadedPipeline,
  targets: readonly string[],
  format: string,
  io: CliIo,
  oneLine = false,
): number {
  if (format !== 'dot' && format !== 'mermaid' && format !== 'json') {
    return usageError(
      io,
      `--format must be dot, mermaid or json, got "${format}"`,
    );
  }
  const resolved = resolveTargets(loaded.graph, targets);
  if (!resolved.ok) {
    return usageError(
      io,
      `no step, job or output is called "${resolved.error.target}"`,
      resolved.error.hint,
    );
  }
  const jobs = upstreamClosure(loaded.graph, resolved.jobs);
  io.stdout.write(formatDag(jobs, format, oneLine));
  return EXIT.ok;
}

/** `neuromake gc [--keep-runs N] [--max-size SIZE]`. */
export async function gcCommand(
  stateDir: string,
  flags: {
    keepRuns: string | undefined;
    maxSize: string | undefined;
    dryRun: boolean;
  },
  io: CliIo,
): Promise<number> {
  const keepRuns = flags.keepRuns === undefined ? 0 : Number(flags.keepRuns);
  if (!Number.isInteger(keepRuns) || keepRuns < 0) {
    return usageError(
      io,
      `--keep-runs must be a whole number, got "${flags.keepRuns}"`,
    );
  }
  let maxBytes: number | undefined;
  if (flags.maxSize !== undefined) {
    const parsed = parseSize(flags.maxSize);
    if (!parsed.ok)
      return usageError(
        io,
        `--max-size: ${parsed.error}`,
        'for example --max-size 20GB',
      );
    maxBytes = parsed.value;
  }
  // gc deletes blobs, so it must not race a run that is adding them.
  const lock = await lockWorkspace(stateDir, {wait: false});
  if (!lock.ok)
    return usageError(
      io,
      `a run (pid ${lock.error.pid} on ${lock.error.host}) is using this workspace`,
      busyHint(lock.error, stateDir, 'run gc when it has finished'),
    );
  const {store, contentStore} = openState(
    {stateDir, workspace: dirname(stateDir)},
    lock,
  );
  try {
    const report = await collectGarbage(store, contentStore, {
      keepRuns,
      maxBytes,
      dryRun: flags.dryRun,
    });
    io.stdout.write(
      `${flags.dryRun ? 'dry run: would remove' : 'removed'} ${report.entriesRemoved} cache entries and ${report.blobsRemoved} blobs (${formatBytes(report.bytesFreed)}); ${formatBytes(report.bytesKept)} ${flags.dryRun ? 'would be ' : ''}kept\n`,
    );
    if (report.entriesRemoved > 0) {
      // Note: what gc drops are results of earlier versions, which a
      // revert would otherwise restore at once.
      const keep =
        maxBytes === undefined
          ? '--keep-runs N keeps what the last N runs used'
          : 'a larger --max-size keeps more of them';
      io.stdout.write(
        `note: ${flags.dryRun ? 'these are' : 'those were'} the results of earlier versions of inputs, params and code: going back to one runs its jobs again (${keep})\n`,
      );
    }
    if (report.neededOverCap !== undefined && maxBytes !== undefined) {
      io.stdout.write(
        `note: the store stays over --max-size ${formatSize(maxBytes)}: the current outputs of the pipeline's jobs alone take ${formatSize(report.neededOverCap)}, and gc never drops those\n`,
      );
    }
    if (report.compactError !== undefined) {
      io.stderr.write(
        `neuromake: gc could not shrink ${join(stateDir, 'state.db')}: ${report.compactError}\n  hint: later runs reuse the freed space; run gc again where the file system has room for a copy of it\n`,
      );
    }
    return EXIT.ok;
  } finally {
    store.close();
    lock.release();
  }
}

/** `neuromake tasks`: the built-in tasks with their ports and params. */
export function tasksCommand(io: CliIo): number {
  for (const name of taskNames()) {
    const task = findTask(name)!.definition;
    io.stdout.write(`${name}\n  ${task.description}\n`);
    for (const [port, spec] of Object.entries(task.inputs)) {
      io.stdout.write(
        `  input  ${port}${spec.list === true ? ' (list)' : ''}${spec.optional === true ? ' (optional)' : ''}: ${spec.description}\n`,
      );
    }
    for (const [port, spec] of Object.entries(task.outputs)) {
      io.stdout.write(`  output ${port}: ${spec.description}\n`);
    }
    for (const [param, spec] of Object.entries(task.params)) {
      const def =
        spec.default === undefined
          ? 'required'
          : `default ${JSON.stringify(spec.default)}`;
      io.stdout.write(
        `  param  ${param} (${spec.type}, ${def}): ${spec.description}\n`,
      );
    }
  }
  return EXIT.ok;
}
