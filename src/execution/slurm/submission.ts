import type {Job} from '../../graph/job.js';
import {shellQuote} from '../../util/shell-quote.js';
import {settingsFor, type ClusterProfile} from './cluster-profile.js';

/** Slurm counts `--mem` in mebibytes. */
const MIB = 2 ** 20;

/** Where one submission's files live and what it is called. */
export interface SubmissionFiles {
  /** The batch script. */
  readonly script: string;
  /** Slurm's `--output` pattern (`%j` becomes the job id). */
  readonly log: string;
  /** The job name; unique per submission, so it can be found by name. */
  readonly name: string;
  /** The directory the job starts in: the workspace. */
  readonly workdir: string;
}

/**
 * sbatch's arguments for one job: its resources mapped to Slurm's flags
 * (`--cpus-per-task`, `--mem`, `--gpus` or `--gres`), the profile's
 * partition, account, QOS, time limit and extra flags (a step's own
 * entries replace the top-level ones), then the script.
 */
export function sbatchArgs(
  job: Job,
  profile: ClusterProfile,
  files: SubmissionFiles,
): string[] {
  const {resources} = job.step;
  const settings = settingsFor(profile, job.step.id);
  const args = [
    '--parsable',
    `--job-name=${files.name}`,
    `--output=${files.log}`,
    `--chdir=${files.workdir}`,
    '--nodes=1',
    '--ntasks=1',
    // Slurm hands out whole cpus; a step's 0.5 cpu still needs one.
    `--cpus-per-task=${Math.max(1, Math.ceil(resources.cpus))}`,
    // The job sees the head's environment: PATH, and the variables a
    // step's `env:` puts into its cache key.
    '--export=ALL',
  ];
  const memory =
    resources.memoryBytes > 0 ? resources.memoryBytes : profile.memoryBytes;
  if (memory !== undefined) {
    args.push(`--mem=${Math.max(1, Math.ceil(memory / MIB))}M`);
  }
  if (resources.gpus > 0) {
    args.push(
      profile.gpuFlag === 'gres'
        ? `--gres=gpu:${resources.gpus}`
        : `--gpus=${resources.gpus}`,
    );
  }
  if (settings.time !== undefined) args.push(`--time=${settings.time}`);
  if (settings.partition !== undefined) {
    args.push(`--partition=${settings.partition}`);
  }
  if (settings.account !== undefined) {
    args.push(`--account=${settings.account}`);
  }
  if (settings.qos !== undefined) args.push(`--qos=${settings.qos}`);
  args.push(...settings.extra, files.script);
  return args;
}

/** What the node is told to run. */
export interface RunJobCall {
  readonly pipelineFile: string;
  readonly job: Job;
  /** Output name → temporary path (workspace-relative). */
  readonly temps: ReadonlyMap<string, string>;
  /** The head's `--set` overrides, so the node sees the same params. */
  readonly overrides: ReadonlyMap<string, string>;
}

/**
 * The batch script: the profile's setup lines, then `neuromake run-job`,
 * exec'd so that Slurm's signals (scancel, the time limit) reach it. The
 * sbatch command line is written in a comment, so a failed job can be
 * resubmitted by hand to debug it.
 */
export function batchScript(
  profile: ClusterProfile,
  call: RunJobCall,
  sbatch: readonly string[],
): string {
  const words = [
    profile.node,
    profile.neuromake,
    'run-job',
    '--file',
    call.pipelineFile,
    '--job',
    call.job.id,
  ];
  for (const [name, temp] of call.temps)
    words.push('--temp', `${name}=${temp}`);
  for (const [name, value] of call.overrides) {
    words.push('--set', `${name}=${value}`);
  }
  const lines = [
    '#!/bin/sh',
    `# neuromake: job ${oneLine(call.job.id)}, one submission of it, written by the head.`,
    '# The node runs the action from the shared workspace and writes only the',
    '# temporary outputs named below; the head verifies, stores and renames them.',
    '# Submitted with:',
    `#   sbatch ${oneLine(sbatch.map(shellQuote).join(' '))}`,
  ];
  if (profile.setup.trim() !== '') lines.push(profile.setup.trimEnd());
  lines.push(`exec ${words.map(shellQuote).join(' ')}`, '');
  return lines.join('\n');
}

/** Text for a `#` comment: a newline in it would end the comment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
