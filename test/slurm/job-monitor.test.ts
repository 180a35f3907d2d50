import assert from 'node:assert/strict';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import {JobMonitor} from '../../src/execution/slurm/job-monitor.js';
import {
  slurmCli,
  type CommandOutput,
  type CommandProblem,
  type SlurmCli,
} from '../../src/execution/slurm/slurm-command.js';

type Answer =
  {ok: true; value: CommandOutput} | {ok: false; error: CommandProblem};

/** A scripted Slurm: `answer` decides each call; every call is recorded. */
function fakeCli(
  answer: (command: string, args: readonly string[]) => Answer,
): {
  cli: SlurmCli;
  calls: {command: string; args: readonly string[]; at: number}[];
} {
  const calls: {command: string; args: readonly string[]; at: number}[] = [];
  return {
    calls,
    cli: (command, args) => {
      calls.push({command, args, at: performance.now()});
      return Promise.resolve(answer(command, args));
    },
  };
}

const out = (stdout: string): Answer => ({
  ok: true,
  value: {stdout, stderr: ''},
});
const failed = (command: string, message: string): Answer => ({
  ok: false,
  error: {reason: 'exit-non-zero', command, code: 1, message},
});

void test('one squeue call covers every watched job; an ended job gets its exit code', async () => {
  let polls = 0;
  const {cli, calls} = fakeCli((command, args) => {
    if (command === 'scontrol') {
      return out(
        `JobId=${args[3]} JobState=FAILED Reason=NonZeroExitCode ExitCode=2:0`,
      );
    }
    polls++;
    return polls < 3
      ? out('1|RUNNING|None\n2|PENDING|Resources\n')
      : out('1|FAILED|NonZeroExitCode\n2|COMPLETED|None\n');
  });
  const changes: string[] = [];
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 5,
    pollMaxMs: 20,
    unreachableMs: 1000,
    onChange: (s) => changes.push(`${s.id} ${s.state}`),
  });
  const [one, two] = await Promise.all([
    monitor.watch('1'),
    monitor.watch('2'),
  ]);
  assert.deepEqual(one, {
    kind: 'ended',
    ending: {
      id: '1',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      exitCode: 2,
      signal: 0,
    },
  });
  assert.equal(two.kind, 'ended');
  const squeues = calls.filter((c) => c.command === 'squeue');
  assert.equal(squeues.length, 3);
  for (const call of squeues) {
    assert.deepEqual(call.args, [
      '-h',
      '-t',
      'all',
      '-j',
      '1,2',
      '-o',
      '%i|%T|%r',
    ]);
  }
  assert.deepEqual(changes, [
    '1 RUNNING',
    '2 PENDING',
    '1 FAILED',
    '2 COMPLETED',
  ]);
  assert.equal(monitor.size, 0);
});

void test('polls start fast and slow down as the job ages', async () => {
  const {cli, calls} = fakeCli(() => out('5|RUNNING|None\n'));
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 10,
    pollMaxMs: 80,
    unreachableMs: 1000,
  });
  void monitor.watch('5');
  await new Promise((r) => setTimeout(r, 600));
  monitor.close();
  const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
  assert.ok(calls.length >= 8, `${calls.length} polls`);
  assert.ok((gaps[0] ?? 0) < 40, `first gap ${gaps[0]}`);
  assert.ok((gaps.at(-1) ?? 0) >= 60, `last gap ${gaps.at(-1)}`);
  assert.ok(
    gaps.every((g) => g < 80 + 40),
    gaps.join(', '),
  );
});

void test('a pending job that can never start is reported at once', async () => {
  const {cli} = fakeCli(() => out('8|PENDING|PartitionTimeLimit\n'));
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 5,
    pollMaxMs: 10,
    unreachableMs: 1000,
  });
  assert.deepEqual(await monitor.watch('8'), {
    kind: 'hopeless',
    status: {id: '8', state: 'PENDING', reason: 'PartitionTimeLimit'},
  });
});

void test('a purged job is looked up with scontrol and sacct, then reported lost', async () => {
  const {cli, calls} = fakeCli((command) => {
    if (command === 'squeue')
      return failed(
        'squeue',
        'slurm_load_jobs error: Invalid job id specified',
      );
    if (command === 'scontrol')
      return failed('scontrol', 'Invalid job id specified');
    return failed('sacct', 'Slurm accounting storage is disabled');
  });
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 5,
    pollMaxMs: 10,
    unreachableMs: 1000,
  });
  const outcome = await monitor.watch('9');
  assert.equal(outcome.kind, 'lost');
  assert.match(
    outcome.kind === 'lost' ? outcome.message : '',
    /no longer know job 9/,
  );
  assert.equal(calls.filter((c) => c.command === 'squeue').length, 3);
  // Accounting is off: sacct is not asked again for the next job.
  await monitor.watch('10');
  assert.equal(calls.filter((c) => c.command === 'sacct').length, 1);
});

void test('sacct answers for a job scontrol has forgotten', async () => {
  const {cli} = fakeCli((command) => {
    if (command === 'squeue') return out('');
    if (command === 'scontrol')
      return failed('scontrol', 'Invalid job id specified');
    return out('11|TIMEOUT|1:0|None\n');
  });
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 5,
    pollMaxMs: 10,
    unreachableMs: 1000,
  });
  assert.deepEqual(await monitor.watch('11'), {
    kind: 'ended',
    ending: {
      id: '11',
      state: 'TIMEOUT',
      reason: 'None',
      exitCode: 1,
      signal: 0,
    },
  });
});

void test('a controller that stops answering fails the watch after the deadline', async () => {
  const {cli} = fakeCli(() => ({
    ok: false,
    error: {reason: 'timed-out', command: 'squeue', timeoutMs: 5},
  }));
  const monitor = new JobMonitor({
    cli,
    pollMinMs: 5,
    pollMaxMs: 10,
    unreachableMs: 100,
  });
  const started = performance.now();
  const outcome = await monitor.watch('12');
  assert.equal(outcome.kind, 'unreachable');
  assert.match(
    outcome.kind === 'unreachable' ? outcome.message : '',
    /squeue gave no answer within 0 s/,
  );
  assert.ok(performance.now() - started < 1000);
});

void test('every Slurm command runs under a deadline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nm-slurm-cli-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const hang = join(dir, 'hang');
  writeFileSync(hang, '#!/bin/sh\nsleep 30\n');
  chmodSync(hang, 0o755);
  const fails = join(dir, 'fails');
  writeFileSync(fails, '#!/bin/sh\necho "sbatch: error: nope" >&2\nexit 1\n');
  chmodSync(fails, 0o755);
  const cli = slurmCli(200);
  const started = performance.now();
  assert.deepEqual(await cli(hang, []), {
    ok: false,
    error: {reason: 'timed-out', command: hang, timeoutMs: 200},
  });
  assert.ok(performance.now() - started < 2000);
  assert.deepEqual(await cli(fails, []), {
    ok: false,
    error: {
      reason: 'exit-non-zero',
      command: fails,
      code: 1,
      message: 'sbatch: error: nope',
    },
  });
  assert.deepEqual(await cli(join(dir, 'missing'), []), {
    ok: false,
    error: {reason: 'not-installed', command: join(dir, 'missing')},
  });
});
