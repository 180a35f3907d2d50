import {dirname, join, resolve} from 'node:path';
import {parseArgs, type ParseArgsConfig} from 'node:util';

import {createLogger} from '../logging/create-logger.js';
import {NEUROMAKE_VERSION} from '../util/version.js';
import {diagnosticFormatter, EXIT, usageError, type CliIo} from './cli-io.js';

// Commands are imported where they run: a no-op `run` should not pay for
// loading watch mode, the Slurm executor or the NIfTI inspector.

const USAGE = `neuromake ${NEUROMAKE_VERSION}: a content-hash cached, parallel workflow engine

Usage: neuromake <command> [options] [TARGET…]

Commands:
  run [TARGET…]      bring targets (steps, jobs or output paths) up to date
  status [TARGET…]   list jobs as fresh or stale, with the first reason
  why TARGET…        explain every reason a job would run
  dag [TARGET…]      print the job graph (--format dot|mermaid|json)
  gc                 drop store entries no recorded job needs
  inspect FILE       describe a NIfTI file (--json for machine output)
  tasks              list the built-in tasks, their inputs, outputs, params
  watch [TARGET…]    run, then rerun what each edit affects (--poll for NFS)
  report             write an HTML report of the graph, last run and results

Options:
  -f, --file FILE    pipeline file (default: pipeline.yaml)
  -j, --jobs N       cpus to use at once (default: every core)
  -n, --dry-run      show what would run or be restored, and why (gc:
                     what would be removed)
  -k, --keep-going   keep running independent jobs after a failure
      --force TARGET rerun TARGET even if it is fresh (repeatable)
      --set NAME=VAL override a global param (repeatable)
      --memory SIZE  memory budget, e.g. 16GB (default: physical memory)
      --gpus N|IDS   GPUs to hand out, e.g. 2 or 0,3 (default and bound:
                     CUDA_VISIBLE_DEVICES where set, else nvidia-smi)
      --executor E   (run) where steps without executor: run: local or slurm
      --profile FILE (run) cluster profile (default: cluster.yaml beside
                     the pipeline file, if any); see docs/cluster.md
      --max-jobs N   (run) Slurm jobs queued at once (default: profile, 100)
      --wait         wait for another run in this workspace to finish
      --poll         (watch) poll files instead of file-system events
      --json         one JSON event per line
  -v, --verbose      also print job starts, fresh jobs and why jobs run
      --keep-runs N  (gc) keep entries used by the last N runs
      --max-size S   (gc) cap the store's size
      --format F     (dag) dot, mermaid or json
  -o, --output FILE  (report) where to write (default: out/report.html)

Exit codes: 0 ok, 1 a job failed, 2 invalid pipeline or usage, 130 interrupted.
`;

const OPTIONS = {
  file: {type: 'string', short: 'f'},
  jobs: {type: 'string', short: 'j'},
  'dry-run': {type: 'boolean', short: 'n'},
  'keep-going': {type: 'boolean', short: 'k'},
  force: {type: 'string', multiple: true},
  set: {type: 'string', multiple: true},
  memory: {type: 'string'},
  gpus: {type: 'string'},
  executor: {type: 'string'},
  profile: {type: 'string'},
  'max-jobs': {type: 'string'},
  wait: {type: 'boolean'},
  poll: {type: 'boolean'},
  json: {type: 'boolean'},
  verbose: {type: 'boolean', short: 'v'},
  'keep-runs': {type: 'string'},
  'max-size': {type: 'string'},
  format: {type: 'string'},
  output: {type: 'string', short: 'o'},
  help: {type: 'boolean', short: 'h'},
  version: {type: 'boolean'},
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;

/**
 * The options each command takes besides -f and -h. Any other is a usage
 * error: an option silently ignored is worse than none (`gc -n` once
 * deleted what a researcher meant to preview).
 */
const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = {
  run: [
    'jobs',
    'dry-run',
    'keep-going',
    'force',
    'set',
    'memory',
    'gpus',
    'executor',
    'profile',
    'max-jobs',
    'wait',
    'json',
    'verbose',
  ],
  status: ['set', 'force', 'json'],
  why: ['set', 'force', 'json'],
  dag: ['set', 'format', 'json'],
  watch: [
    'jobs',
    'keep-going',
    'set',
    'memory',
    'gpus',
    'poll',
    'json',
    'verbose',
  ],
  report: ['set', 'output'],
  gc: ['keep-runs', 'max-size', 'dry-run'],
};

/** Commands that take no targets. */
const NO_TARGETS = new Set(['gc', 'report']);

/**
 * A usage error for an option `command` does not take, or a target given
 * to a command that takes none; undefined when all is well.
 */
function misplacedOption(
  command: string,
  values: Readonly<Record<string, unknown>>,
  positionals: readonly string[],
): {message: string; hint: string} | undefined {
  const allowed = COMMAND_OPTIONS[command] ?? [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'file' || name === 'help') continue;
    if (allowed.includes(name as OptionName)) continue;
    const owners = Object.entries(COMMAND_OPTIONS)
      .filter(([, names]) => names.includes(name as OptionName))
      .map(([owner]) => owner);
    return {
      message: `--${name} is not an option of ${command}`,
      hint:
        owners.length === 0
          ? 'see `neuromake help`'
          : `it is for ${owners.join(', ')}; see \`neuromake help\``,
    };
  }
  if (NO_TARGETS.has(command) && positionals.length > 0) {
    return {
      message: `${command} takes no targets, got "${positionals[0]}"`,
      hint: 'see `neuromake help`',
    };
  }
  return undefined;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === 'help' ||
    command === '--help' ||
    command === '-h'
  ) {
    io.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    io.stdout.write(`${NEUROMAKE_VERSION}\n`);
    return EXIT.ok;
  }
  if (command === 'inspect') {
    const {inspectCommand} = await import('./inspect.js');
    return inspectCommand(rest, io.stdout);
  }
  if (command === 'tasks') {
    const {tasksCommand} = await import('./maintenance-commands.js');
    return tasksCommand(io);
  }
  // Hidden: what a cluster node runs for one job (docs/cluster.md).
  if (command === 'run-job') {
    const {runJobCommand} = await import('./run-job-command.js');
    return runJobCommand(rest, io);
  }

  if (!(command in COMMAND_OPTIONS)) {
    return usageError(
      io,
      `unknown command "${command}"`,
      command.startsWith('-')
        ? 'the command comes first: neuromake <command> [options], e.g. neuromake status -f FILE'
        : 'see `neuromake help`',
    );
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usageError(io, (err as Error).message, 'see `neuromake help`');
  }
  const {values, positionals} = parsed;
  // Note: from here on a usage error is also a JSON event under --json.
  if (values.json === true) io = {...io, json: true};
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const misplaced = misplacedOption(command, values, positionals);
  if (misplaced !== undefined) {
    return usageError(io, misplaced.message, misplaced.hint);
  }
  const file = resolve(values.file ?? 'pipeline.yaml');
  if (command === 'gc') {
    const {gcCommand} = await import('./maintenance-commands.js');
    return gcCommand(
      join(dirname(file), '.neuromake'),
      {
        keepRuns: values['keep-runs'],
        maxSize: values['max-size'],
        dryRun: values['dry-run'] === true,
      },
      io,
    );
  }

  const overrides = new Map<string, string>();
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      return usageError(
        io,
        `--set expects NAME=VALUE, got "${pair}"`,
        'for example --set lag=4',
      );
    overrides.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const json = values.json === true;
  const logger = createLogger({
    mode: json ? 'json' : 'auto',
    stdout: io.stdout,
    stderr: io.stderr,
    color: io.color,
    verbose: values.verbose === true,
    formatDiagnostic: diagnosticFormatter(io.color),
  });
  try {
    if (command === 'watch') {
      const {watchCommand} = await import('./watch-command.js');
      return await watchCommand(
        {
          file,
          stateDir: join(dirname(file), '.neuromake'),
          workspace: dirname(file),
          targets: positionals,
          overrides,
          jobs: values.jobs,
          memory: values.memory,
          gpus: values.gpus,
          keepGoing: values['keep-going'] === true,
          poll: values.poll === true,
        },
        io,
        logger,
      );
    }
    // The common no-op (`run` after nothing changed) is answered from the
    // stamp the last complete run left, without planning.
    if (
      command === 'run' &&
      positionals.length === 0 &&
      (values.force ?? []).length === 0 &&
      values['dry-run'] !== true &&
      values.executor === undefined &&
      values.profile === undefined &&
      values['max-jobs'] === undefined
    ) {
      const {fastNoopRun} = await import('./fast-noop-run.js');
      const code = await fastNoopRun(
        {
          file,
          overrides,
          jobs: values.jobs,
          memory: values.memory,
          gpus: values.gpus,
          command: process.argv.slice(2).join(' '),
          env: process.env,
        },
        logger,
      );
      if (code !== undefined) return code;
    }
    const {loadGraph} = await import('./load-graph.js');
    const loaded = await loadGraph(file, overrides);
    if (!loaded.ok) {
      logger.log({type: 'diagnostics', diagnostics: loaded.diagnostics});
      return EXIT.usage;
    }
    switch (command) {
      case 'status': {
        const {statusCommand} = await import('./status-command.js');
        return await statusCommand(
          loaded.value,
          positionals,
          io,
          json,
          values.force ?? [],
        );
      }
      case 'why': {
        const {whyCommand} = await import('./status-command.js');
        return await whyCommand(
          loaded.value,
          positionals,
          io,
          json,
          values.force ?? [],
        );
      }
      case 'dag': {
        const {dagCommand} = await import('./maintenance-commands.js');
        // `--json` asks for JSON here too; with another --format it is a
        // contradiction, reported as a usage error by dagCommand.
        const format =
          json && values.format !== undefined && values.format !== 'json'
            ? `${values.format} (and --json)`
            : (values.format ?? (json ? 'json' : 'dot'));
        return dagCommand(loaded.value, positionals, format, io, json);
      }
      case 'report': {
        const {reportCommand} = await import('./report-command.js');
        return await reportCommand(loaded.value, values.output, io);
      }
      default: {
        const {runCommand} = await import('./run-command.js');
        return await runCommand(
          loaded.value,
          {
            targets: positionals,
            force: values.force ?? [],
            jobs: values.jobs,
            memory: values.memory,
            gpus: values.gpus,
            executor: values.executor,
            profile: values.profile,
            maxJobs: values['max-jobs'],
            overrides,
            dryRun: values['dry-run'] === true,
            keepGoing: values['keep-going'] === true,
            wait: values.wait === true,
          },
          io,
          logger,
        );
      }
    }
  } finally {
    logger.close();
  }
}
