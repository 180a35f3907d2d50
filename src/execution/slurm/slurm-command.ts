import {spawn} from 'node:child_process';

import {unreachable} from '../../util/unreachable.js';

/** Why a Slurm command gave no usable answer. */
export type CommandProblem =
  | {readonly reason: 'not-installed'; readonly command: string}
  | {
      readonly reason: 'timed-out';
      readonly command: string;
      readonly timeoutMs: number;
    }
  | {
      readonly reason: 'exit-non-zero';
      readonly command: string;
      readonly code: number;
      /** stderr (else stdout), trimmed: Slurm's own message. */
      readonly message: string;
    };

/** What one call of a Slurm command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs Slurm's command-line tools, each call under a wall-clock deadline. */
export type SlurmCli = (
  command: string,
  args: readonly string[],
) => Promise<
  {ok: true; value: CommandOutput} | {ok: false; error: CommandProblem}
>;

/**
 * A {@link SlurmCli} that spawns the real commands. Every call has a
 * deadline, because sinfo, squeue and sbatch retry for minutes when
 * slurmctld is down; past it the command is killed and the call fails with
 * `timed-out` rather than hanging the run.
 */
export function slurmCli(timeoutMs: number): SlurmCli {
  return (command, args) =>
    new Promise((settle) => {
      // Its own process group, so that a wrapper script (sites wrap sbatch)
      // dies with its children when the deadline passes.
      const child = spawn(command, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (stdout += chunk));
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        // A grandchild may still hold the pipes open: answer now.
        child.stdout.destroy();
        child.stderr.destroy();
        settle({ok: false, error: {reason: 'timed-out', command, timeoutMs}});
      }, timeoutMs);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        settle(
          err.code === 'ENOENT'
            ? {ok: false, error: {reason: 'not-installed', command}}
            : {
                ok: false,
                error: {
                  reason: 'exit-non-zero',
                  command,
                  code: -1,
                  message: err.message,
                },
              },
        );
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (timedOut) {
          return;
        } else if (code === 0) {
          settle({ok: true, value: {stdout, stderr}});
        } else {
          settle({
            ok: false,
            error: {
              reason: 'exit-non-zero',
              command,
              code: code ?? -1,
              message: (stderr.trim() || stdout.trim()).replace(/\s+/g, ' '),
            },
          });
        }
      });
    });
}

/** A one-line description of a command problem. */
export function describeProblem(problem: CommandProblem): string {
  switch (problem.reason) {
    case 'not-installed':
      return `${problem.command} is not installed here (run the head on a Slurm login node, or install slurm-client)`;
    case 'timed-out':
      return `${problem.command} gave no answer within ${Math.round(problem.timeoutMs / 1000)} s (is slurmctld up? see command_timeout in the profile)`;
    case 'exit-non-zero':
      return `${problem.command} failed (exit ${problem.code}): ${problem.message}`;
    default:
      return unreachable(problem);
  }
}
