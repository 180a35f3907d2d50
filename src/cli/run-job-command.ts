import {createWriteStream, mkdirSync} from 'node:fs';
import {basename, dirname, normalize, resolve} from 'node:path';
import {parseArgs} from 'node:util';

import type {TempPaths} from '../execution/action-runner.js';
import {describeFailure} from '../execution/job-failure.js';
import {TEMP_PREFIX} from '../execution/job-outputs.js';
import {LocalRunner} from '../execution/local-runner.js';
import {RUN_JOB_FAILED_PREFIX} from '../execution/slurm/run-job-marker.js';
import {TaskPool} from '../execution/task-pool.js';
import type {Job} from '../graph/job.js';
import type {Logger} from '../logging/events.js';
import {diagnosticFormatter, EXIT, type CliIo} from './cli-io.js';
import {listenForInterrupts} from './interrupts.js';
import {loadGraph} from './load-graph.js';

/**
 * `neuromake run-job --file F --job ID --temp NAME=PATH… [--set N=V…]`: the
 * hidden command a cluster node runs for one job (docs/cluster.md). It
 * loads the pipeline from the shared workspace, finds the job and runs its
 * action with the local runner, writing each output to the temporary path
 * the head chose; its stdout and stderr are the job's log. It never opens
 * the state DB nor takes the workspace lock: the head, the only writer of
 * state, verifies, hashes, stores and renames the outputs afterwards.
 *
 * Exit 0 when the action succeeded, 1 when it failed (the last line then
 * starts with {@link RUN_JOB_FAILED_PREFIX}), 2 when the job cannot be run
 * here (bad arguments, the pipeline does not load, no such job).
 */
export async function runJobCommand(
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const problem = (message: string) => {
    io.stderr.write(`${RUN_JOB_FAILED_PREFIX}${message}\n`);
    return EXIT.usage;
  };
  let values;
  try {
    ({values} = parseArgs({
      args: [...argv],
      options: {
        file: {type: 'string'},
        job: {type: 'string'},
        temp: {type: 'string', multiple: true},
        set: {type: 'string', multiple: true},
      },
      strict: true,
    }));
  } catch (err) {
    return problem((err as Error).message);
  }
  if (values.file === undefined || values.job === undefined) {
    return problem('run-job needs --file and --job');
  }
  const overrides = pairs(values.set ?? []);
  const temps = pairs(values.temp ?? []);
  if (overrides === undefined || temps === undefined) {
    return problem('--set and --temp take NAME=VALUE');
  }

  const loaded = await loadGraph(values.file, overrides);
  if (!loaded.ok) {
    const format = diagnosticFormatter(false);
    for (const d of loaded.diagnostics) io.stderr.write(`${format(d)}\n`);
    return problem(`${values.file} does not load on this node`);
  }
  const {spec, graph} = loaded.value;
  // As on the head: tasks see workspace-relative paths (LocalRunner).
  process.chdir(spec.workspace);
  const job = graph.byId.get(values.job);
  if (job === undefined) {
    return problem(
      `no job "${values.job}" in ${values.file} as this node sees it (do head and node see the same files?)`,
    );
  }
  const checked = checkTemps(job, temps);
  if (typeof checked === 'string') return problem(checked);
  const outputs: TempPaths = {
    tempOf: (name) => checked.get(name),
    absoluteTemp: (name) => resolve(spec.workspace, checked.get(name) ?? ''),
  };
  for (const name of checked.keys()) {
    mkdirSync(dirname(outputs.absoluteTemp(name)), {recursive: true});
  }

  const controller = new AbortController();
  const logger = nodeLogger(io);
  // scancel and the time limit send SIGTERM: stop the action, so its
  // process group goes down with the job.
  const stopListening = listenForInterrupts(controller, logger);
  const cpus = slurmCpus(job);
  const gpus = visibleGpus();
  const pool = new TaskPool(Math.ceil(cpus));
  const log = createWriteStream('', {fd: 1, autoClose: false});
  try {
    const failure = await new LocalRunner({
      spec,
      pool,
      logger,
      // A job that asked for no GPU sees none, as on the head; a GPU job
      // sees the devices Slurm gave it.
      gpuBudget: true,
      inheritGpus: true,
    }).run({
      job,
      outputs,
      allocation: {
        cpus,
        memoryBytes: job.step.resources.memoryBytes,
        gpus,
        slot: 0,
      },
      log,
      signal: controller.signal,
    });
    await new Promise((settle) => log.end(settle));
    if (failure === undefined) return EXIT.ok;
    io.stderr.write(`${RUN_JOB_FAILED_PREFIX}${describeFailure(failure)}\n`);
    return EXIT.failed;
  } finally {
    stopListening();
    await pool.close();
  }
}

function pairs(list: readonly string[]): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const pair of list) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/**
 * Every output needs a temporary path, beside its final one and named as
 * the head names temporary files: the node writes nothing else.
 */
function checkTemps(
  job: Job,
  temps: ReadonlyMap<string, string>,
): Map<string, string> | string {
  const checked = new Map<string, string>();
  for (const [name, final] of job.outputs) {
    const temp = temps.get(name);
    if (temp === undefined) return `--temp gives no path for output "${name}"`;
    const normal = normalize(temp);
    if (
      dirname(normal) !== dirname(normalize(final)) ||
      !basename(normal).startsWith(TEMP_PREFIX)
    ) {
      return `--temp ${name}=${temp} is not a temporary path beside ${final}`;
    }
    checked.set(name, temp);
  }
  for (const name of temps.keys()) {
    if (!job.outputs.has(name)) return `${job.id} has no output "${name}"`;
  }
  return checked;
}

/** The cpus Slurm gave the job, else what its step asks for. */
function slurmCpus(job: Job): number {
  const given = Number(process.env['SLURM_CPUS_PER_TASK']);
  return Number.isInteger(given) && given > 0 ? given : job.step.resources.cpus;
}

/** The GPUs Slurm gave the job, where they are numeric device ids. */
function visibleGpus(): number[] {
  const visible = process.env['CUDA_VISIBLE_DEVICES'] ?? '';
  const ids = visible.split(',').map((s) => s.trim());
  return ids.every((s) => /^\d+$/.test(s)) ? ids.map(Number) : [];
}

/** Task warnings reach the log already; nothing else needs printing. */
function nodeLogger(io: CliIo): Logger {
  return {
    log(event) {
      if (event.type === 'warning' && event.job === undefined) {
        io.stderr.write(`warning: ${event.message}\n`);
      }
    },
    close() {
      // Nothing to flush.
    },
  };
}
