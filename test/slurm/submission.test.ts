import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  DEFAULT_PROFILE,
  parseProfile,
  type ClusterProfile,
} from '../../src/execution/slurm/cluster-profile.js';
import {
  isHopeless,
  isTerminal,
  parseExitCode,
  parseSacct,
  parseScontrol,
  parseSqueue,
  succeeded,
} from '../../src/execution/slurm/job-states.js';
import type {ActionRunner} from '../../src/execution/action-runner.js';
import {selectRunner} from '../../src/execution/select-runner.js';
import {batchScript, sbatchArgs} from '../../src/execution/slurm/submission.js';
import {expandJobs} from '../../src/graph/expand-jobs.js';
import type {Job} from '../../src/graph/job.js';
import {loadPipelineText} from '../../src/pipeline/load-pipeline.js';
import {JobSlots} from '../../src/scheduler/job-slots.js';

/** The jobs of a small pipeline, by id. */
function jobs(...steps: string[]): Map<string, Job> {
  const loaded = loadPipelineText(
    '/ws/pipeline.yaml',
    ['steps:', ...steps].join('\n'),
  );
  if (!loaded.ok) assert.fail(loaded.error.map((d) => d.message).join('\n'));
  const expanded = expandJobs(loaded.value);
  assert.ok(expanded.ok);
  return new Map(expanded.jobs.map((j) => [j.id, j]));
}

function profile(...lines: string[]): ClusterProfile {
  const result = parseProfile(lines.join('\n'), '/ws/cluster.yaml');
  if (!result.ok) assert.fail(result.error.join('\n'));
  return result.value;
}

const FILES = {
  script: '/ws/.neuromake/slurm/scripts/fit.sh',
  log: '/ws/.neuromake/slurm/logs/fit-%j.out',
  name: 'nm-fit-1a2b3c',
  workdir: '/ws',
};

void test('resources map to sbatch flags; the profile adds the rest', () => {
  const fit = jobs(
    '  fit:',
    '    shell: "train > {outputs.model}"',
    '    outputs: {model: model.bin}',
    '    resources: {cpus: 2.5, memory: 3GiB, gpus: 2}',
  ).get('fit')!;
  assert.deepEqual(sbatchArgs(fit, DEFAULT_PROFILE, FILES), [
    '--parsable',
    '--job-name=nm-fit-1a2b3c',
    '--output=/ws/.neuromake/slurm/logs/fit-%j.out',
    '--chdir=/ws',
    '--nodes=1',
    '--ntasks=1',
    '--cpus-per-task=3',
    '--export=ALL',
    '--mem=3072M',
    '--gpus=2',
    '/ws/.neuromake/slurm/scripts/fit.sh',
  ]);
  const gres = profile(
    'gpu_flag: gres',
    'partition: short',
    'account: lab',
    'qos: low',
    'time: 30',
    'extra: [--exclusive]',
    'steps: {fit: {partition: gpu, extra: ["--constraint=a100"]}}',
  );
  assert.deepEqual(sbatchArgs(fit, gres, FILES).slice(8), [
    '--mem=3072M',
    '--gres=gpu:2',
    '--time=30',
    '--partition=gpu',
    '--account=lab',
    '--qos=low',
    '--exclusive',
    '--constraint=a100',
    '/ws/.neuromake/slurm/scripts/fit.sh',
  ]);
});

void test('memory: the step, else the profile default, else none', () => {
  const plain = jobs(
    '  a:',
    '    shell: "true > {outputs.o}"',
    '    outputs: {o: a}',
    '    resources: {cpus: 0.5}',
  ).get('a')!;
  const args = sbatchArgs(plain, DEFAULT_PROFILE, FILES);
  assert.ok(args.includes('--cpus-per-task=1'), 'fractions round up');
  assert.ok(!args.some((a) => a.startsWith('--mem')));
  assert.ok(!args.some((a) => a.startsWith('--gpus')));
  assert.ok(
    sbatchArgs(plain, profile('memory: 1500MB'), FILES).includes('--mem=1431M'),
  );
});

void test('the batch script execs run-job with the temporary paths and overrides', () => {
  const job = jobs(
    '  up:',
    '    for_each: {matrix: {s: ["it\'s"]}}',
    '    shell: "cat > {outputs.out}"',
    '    outputs: {out: "out/{s}.txt"}',
  ).get("up[s=it's]")!;
  const script = batchScript(
    profile(
      'setup: "module load nodejs/20"',
      'node: /opt/node',
      'neuromake: /opt/nm.js',
    ),
    {
      pipelineFile: '/ws/pipeline.yaml',
      job,
      temps: new Map([['out', "out/.nm-tmp-0a1b2c3d-it's.txt"]]),
      overrides: new Map([['lag', '4']]),
    },
    ['--parsable', '--job-name=x\ny', '/ws/s.sh'],
  );
  assert.equal(
    script,
    [
      '#!/bin/sh',
      "# neuromake: job up[s=it's], one submission of it, written by the head.",
      '# The node runs the action from the shared workspace and writes only the',
      '# temporary outputs named below; the head verifies, stores and renames them.',
      '# Submitted with:',
      "#   sbatch --parsable '--job-name=x y' /ws/s.sh",
      'module load nodejs/20',
      "exec /opt/node /opt/nm.js run-job --file /ws/pipeline.yaml --job 'up[s=it'\\''s]' --temp 'out=out/.nm-tmp-0a1b2c3d-it'\\''s.txt' --set lag=4",
      '',
    ].join('\n'),
  );
});

void test('squeue, scontrol and sacct answers are parsed', () => {
  assert.deepEqual(
    parseSqueue(
      '12|PENDING|Resources\n13|RUNNING|None\n14|PENDING|ReqNodeNotAvail, UnavailableNodes:n1|n2\n',
    ),
    [
      {id: '12', state: 'PENDING', reason: 'Resources'},
      {id: '13', state: 'RUNNING', reason: 'None'},
      {
        id: '14',
        state: 'PENDING',
        reason: 'ReqNodeNotAvail, UnavailableNodes:n1|n2',
      },
    ],
  );
  assert.deepEqual(
    parseScontrol(
      '7',
      'JobId=7 JobName=nm-a UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:01',
    ),
    {
      id: '7',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      exitCode: 3,
      signal: 0,
    },
  );
  assert.equal(parseScontrol('7', 'slurm_load_jobs error'), undefined);
  assert.deepEqual(parseSacct('9', '9|CANCELLED by 0|0:15|None\n'), {
    id: '9',
    state: 'CANCELLED',
    reason: 'None',
    exitCode: 0,
    signal: 15,
  });
  assert.equal(parseExitCode('nope'), undefined);
});

void test('states: what has ended, what succeeded, what can never start', () => {
  for (const s of [
    'COMPLETED',
    'FAILED',
    'CANCELLED',
    'TIMEOUT',
    'OUT_OF_MEMORY',
    'NODE_FAIL',
  ]) {
    assert.ok(isTerminal(s), s);
  }
  for (const s of [
    'PENDING',
    'RUNNING',
    'COMPLETING',
    'CONFIGURING',
    'REQUEUED',
  ]) {
    assert.ok(!isTerminal(s), s);
  }
  const ending = {id: '1', state: 'COMPLETED', reason: 'None'};
  assert.ok(succeeded({...ending, exitCode: 0, signal: 0}));
  assert.ok(succeeded({...ending, exitCode: undefined, signal: undefined}));
  assert.ok(!succeeded({...ending, state: 'FAILED', exitCode: 1, signal: 0}));
  assert.ok(isHopeless({id: '1', state: 'PENDING', reason: 'BadConstraints'}));
  assert.ok(
    isHopeless({id: '1', state: 'PENDING', reason: 'PartitionTimeLimit'}),
  );
  assert.ok(!isHopeless({id: '1', state: 'PENDING', reason: 'Resources'}));
  assert.ok(
    !isHopeless({id: '1', state: 'PENDING', reason: 'ReqNodeNotAvail, x'}),
  );
  assert.ok(!isHopeless({id: '1', state: 'RUNNING', reason: 'BadConstraints'}));
});

void test('job slots admit up to their limit whatever a job asks for', () => {
  const slots = new JobSlots(2, 8);
  const huge = {cpus: 512, memoryBytes: 2 ** 40, gpus: 8};
  assert.ok(slots.fits(huge));
  const a = slots.take(huge);
  const b = slots.take(huge);
  assert.deepEqual([a.slot, b.slot], [8, 9]);
  assert.deepEqual(a.gpus, [], 'the cluster picks devices');
  assert.equal(slots.inUse, 2);
  assert.ok(!slots.fits(huge));
  assert.throws(() => slots.take(huge), /not free/);
  slots.give(a);
  assert.ok(slots.fits(huge));
  assert.equal(slots.take(huge).slot, 8);
});

void test("runners are picked by the step's executor, else the run's default", async () => {
  const all = jobs(
    '  a: {shell: "true > {outputs.o}", outputs: {o: a}, executor: slurm}',
    '  b: {shell: "true > {outputs.o}", outputs: {o: b}, executor: local}',
    '  c: {shell: "true > {outputs.o}", outputs: {o: c}}',
  );
  const local: ActionRunner = {run: () => Promise.resolve(undefined)};
  const slurm: ActionRunner = {run: () => Promise.resolve(undefined)};
  const pick = (fallback: 'local' | 'slurm') =>
    ['a', 'b', 'c'].map((id) => {
      const runner = selectRunner({local, slurm, fallback})(all.get(id)!);
      return runner === slurm ? 'slurm' : 'local';
    });
  assert.deepEqual(pick('local'), ['slurm', 'local', 'local']);
  assert.deepEqual(pick('slurm'), ['slurm', 'local', 'slurm']);

  // Watch mode has no Slurm runner: such a job fails, saying so.
  const watch = selectRunner({local, fallback: 'local'});
  const runner = watch(all.get('a')!);
  assert.notEqual(runner, local);
  const failure = await runner.run({
    job: all.get('a')!,
  } as Parameters<ActionRunner['run']>[0]);
  assert.equal(failure?.reason, 'executor-unavailable');
  assert.match(
    failure.reason === 'executor-unavailable' ? failure.message : '',
    /step "a" runs on Slurm \(executor: slurm\), which only `neuromake run` submits to/,
  );
});
