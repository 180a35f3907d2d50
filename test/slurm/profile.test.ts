import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import {
  DEFAULT_PROFILE,
  loadProfile,
  parseDuration,
  parseProfile,
  settingsFor,
  type ClusterProfile,
} from '../../src/execution/slurm/cluster-profile.js';

const FILE = '/lab/cluster.yaml';

function parsed(...lines: string[]): ClusterProfile {
  const result = parseProfile(lines.join('\n'), FILE);
  if (!result.ok) assert.fail(result.error.join('\n'));
  return result.value;
}

function problems(...lines: string[]): string[] {
  const result = parseProfile(lines.join('\n'), FILE);
  assert.ok(!result.ok, 'expected problems');
  return result.error;
}

void test('a full profile is read, and per-step settings replace top-level ones', () => {
  const profile = parsed(
    'partition: short',
    'account: lab',
    'qos: normal',
    'time: "1:00:00"',
    'memory: 2GB',
    'gpu_flag: gres',
    'max_jobs: 250',
    'extra: [--exclusive]',
    'setup: |',
    '  module load nodejs/20',
    'node: /opt/node20/bin/node',
    'neuromake: /opt/neuromake/bin/neuromake.js',
    'command_timeout: 10s',
    'unreachable_timeout: 2m',
    'poll_max: 500ms',
    'cancel_wait: 30',
    'output_wait: 1m',
    'steps:',
    '  train: {partition: gpu, time: 2-00:00:00, extra: [--constraint=a100]}',
  );
  assert.equal(profile.file, FILE);
  assert.equal(profile.memoryBytes, 2e9);
  assert.equal(profile.gpuFlag, 'gres');
  assert.equal(profile.maxJobs, 250);
  assert.equal(profile.setup, 'module load nodejs/20\n');
  assert.equal(profile.node, '/opt/node20/bin/node');
  assert.equal(profile.commandTimeoutMs, 10_000);
  assert.equal(profile.unreachableMs, 120_000);
  assert.equal(profile.pollMaxMs, 500);
  assert.equal(profile.cancelWaitMs, 30_000);
  assert.equal(profile.outputWaitMs, 60_000);
  assert.deepEqual(settingsFor(profile, 'train'), {
    partition: 'gpu',
    account: 'lab',
    qos: 'normal',
    time: '2-00:00:00',
    extra: ['--exclusive', '--constraint=a100'],
  });
  assert.deepEqual(settingsFor(profile, 'other'), {
    partition: 'short',
    account: 'lab',
    qos: 'normal',
    time: '1:00:00',
    extra: ['--exclusive'],
  });
});

void test('an empty profile is the defaults', () => {
  const profile = parsed('');
  assert.deepEqual({...profile, file: undefined}, DEFAULT_PROFILE);
  assert.equal(profile.maxJobs, 100);
  assert.equal(profile.node, process.execPath);
  assert.match(profile.neuromake, /bin\/neuromake\.js$/);
});

void test('time limits take minutes or Slurm time forms', () => {
  assert.equal(parsed('time: 30').time, '30');
  for (const time of ['30:00', '4:00:00', '1-12', '1-00:30:00', 'UNLIMITED']) {
    assert.equal(parsed(`time: "${time}"`).time, time);
  }
  assert.match(
    problems('time: 1h').join('\n'),
    /time "1h" is not a Slurm time limit/,
  );
});

void test('every problem is reported with the file and a hint', () => {
  const found = problems(
    'partiton: gpu',
    'memory: lots',
    'gpu_flag: cuda',
    'max_jobs: 0',
    'extra: --exclusive',
    'command_timeout: soon',
    'steps:',
    '  train: {tiem: 10}',
  );
  assert.deepEqual(found, [
    `${FILE}: unknown key "partiton" in the profile; did you mean "partition"?`,
    `${FILE}: extra must be a list of sbatch flags, e.g. [--exclusive, --constraint=a100]`,
    `${FILE}: memory must be a size such as 2GB or 512MiB`,
    `${FILE}: gpu_flag must be "gpus" (--gpus=N) or "gres" (--gres=gpu:N)`,
    `${FILE}: max_jobs must be a whole number ≥ 1`,
    `${FILE}: command_timeout must be a duration such as 30s, 5m or 500ms`,
    `${FILE}: unknown key "tiem" in steps.train; did you mean "time"?`,
  ]);
  assert.match(problems('- a list').join(''), /must be a mapping/);
  assert.match(problems('a: [').join(''), /cluster\.yaml: /);
});

void test('durations: seconds as numbers, or with a unit', () => {
  assert.equal(parseDuration(2), 2000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(parseDuration(-1), undefined);
});

void test('the profile is --profile, else cluster.yaml beside the pipeline, else defaults', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nm-profile-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const pipeline = join(dir, 'pipeline.yaml');
  const none = loadProfile(undefined, pipeline);
  assert.ok(none.ok);
  assert.equal(none.value, DEFAULT_PROFILE);

  writeFileSync(join(dir, 'cluster.yaml'), 'partition: beside\n');
  const beside = loadProfile(undefined, pipeline);
  assert.ok(beside.ok);
  assert.equal(beside.value.partition, 'beside');
  assert.equal(beside.value.file, join(dir, 'cluster.yaml'));

  writeFileSync(join(dir, 'other.yaml'), 'partition: other\n');
  const explicit = loadProfile(join(dir, 'other.yaml'), pipeline);
  assert.ok(explicit.ok);
  assert.equal(explicit.value.partition, 'other');

  const missing = loadProfile(join(dir, 'nope.yaml'), pipeline);
  assert.ok(!missing.ok);
  assert.match(
    missing.error[0] ?? '',
    /--profile: .*nope\.yaml does not exist/,
  );
});
