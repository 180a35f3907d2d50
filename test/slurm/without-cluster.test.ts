/**
 * The Slurm executor's edges that need no cluster: the node-side
 * `run-job` command, flag and profile errors, and Slurm commands that are
 * missing or hang (faked by scripts put first on PATH).
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';

import {eventsOf, show, WorkspaceRig} from '../rig/workspace-rig.js';

function onePipeline(rig: WorkspaceRig, extra: string[] = []): void {
  rig.write('in/a.txt', 'a\n');
  rig.pipeline(
    'params: {suffix: "!"}',
    'steps:',
    '  up:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.up"}',
    '    shell: "cat {inputs.src} > {outputs.out}; echo {params.suffix} >> {outputs.out}"',
    ...extra,
  );
}

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Puts fake Slurm commands first on PATH for the rig's CLI runs. */
function fakeSlurm(rig: WorkspaceRig, scripts: Record<string, string>): string {
  const bin = join(rig.root, 'fake-bin');
  mkdirSync(bin, {recursive: true});
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  rig.env['PATH'] = `${bin}:${process.env['PATH'] ?? ''}`;
  return bin;
}

void test('run-job runs one action into the given temporary path and nothing else', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig);
  const temp = 'out/.nm-tmp-0badc0de-a.up';
  const result = await rig.run(
    'run-job',
    '--file',
    'pipeline.yaml',
    '--job',
    'up[s=a]',
    '--temp',
    `out=${temp}`,
    '--set',
    'suffix=?',
  );
  assert.equal(result.code, 0, show(result));
  assert.equal(rig.read(temp), 'a\n?\n');
  assert.match(
    result.stdout,
    /^\$ cat in\/a\.txt > out\/\.nm-tmp-0badc0de-a\.up/,
  );
  assert.equal(rig.exists('out/a.up'), false, 'the head renames, not the node');
  assert.equal(rig.exists('.neuromake'), false, 'no state, no lock');
});

void test('run-job refuses what the node cannot run, with exit 2', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig);
  const cases: [string[], RegExp][] = [
    [
      ['--job', 'up[s=zz]', '--temp', 'out=out/.nm-tmp-1-zz.up'],
      /no job "up\[s=zz\]"/,
    ],
    [['--job', 'up[s=a]'], /--temp gives no path for output "out"/],
    [
      ['--job', 'up[s=a]', '--temp', 'out=elsewhere/x'],
      /not a temporary path beside out\/a\.up/,
    ],
    [
      [
        '--job',
        'up[s=a]',
        '--temp',
        'out=out/.nm-tmp-1-a.up',
        '--temp',
        'log=out/.nm-tmp-1-l',
      ],
      /has no output "log"/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await rig.run('run-job', '--file', 'pipeline.yaml', ...args);
    assert.equal(result.code, 2, show(result));
    assert.match(result.stderr, /^neuromake run-job: failed: /m);
    assert.match(result.stderr, message);
  }
  assert.deepEqual(rig.tempFiles(), []);
});

void test('a failing action exits 1 and says why on its last line', async (t) => {
  const rig = WorkspaceRig.create(t);
  rig.pipeline(
    'steps:',
    '  bad:',
    '    outputs: {o: o.txt}',
    '    shell: "exit 3"',
  );
  const result = await rig.run(
    'run-job',
    '--file',
    'pipeline.yaml',
    '--job',
    'bad',
    '--temp',
    'o=.nm-tmp-1-o.txt',
  );
  assert.equal(result.code, 1, show(result));
  assert.equal(
    result.stderr.trim().split('\n').at(-1),
    'neuromake run-job: failed: command exited with code 3',
  );
});

void test('bad executor flags and profiles are usage errors before anything runs', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig);
  const bogus = await rig.run('run', '--executor', 'slrum');
  assert.equal(bogus.code, 2, show(bogus));
  assert.match(
    bogus.stderr,
    /--executor must be local or slurm, got "slrum"\n {2}hint: did you mean "slurm"\?/,
  );

  const maxJobs = await rig.run(
    'run',
    '--executor',
    'slurm',
    '--max-jobs',
    '0',
  );
  assert.equal(maxJobs.code, 2);
  assert.match(maxJobs.stderr, /--max-jobs must be a positive integer/);

  rig.write('cluster.yaml', 'partiton: gpu\nsteps: {upp: {time: 5}}\n');
  const profile = await rig.run('run', '--executor', 'slurm');
  assert.equal(profile.code, 2, show(profile));
  assert.match(
    profile.stderr,
    /cluster\.yaml: unknown key "partiton" in the profile; did you mean "partition"\?/,
  );
  rig.write('cluster.yaml', 'steps: {upp: {time: 5}}\n');
  const step = await rig.run('run', '--executor', 'slurm');
  assert.match(
    step.stderr,
    /steps\.upp names no step of .*\n {2}hint: did you mean "up"\?/,
  );

  // A local run never reads the profile.
  const local = await rig.run('run');
  assert.equal(local.code, 0, show(local));
  assert.equal(rig.exists('.neuromake/slurm'), false);
});

void test('without Slurm installed a Slurm job fails saying so', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig, ['    executor: slurm']);
  // An empty PATH but for node's directory: no sbatch anywhere.
  rig.env['PATH'] = join(rig.root, 'empty');
  const result = await rig.run('run', '--json');
  assert.equal(result.code, 1, show(result));
  const [failure] = eventsOf(result, 'job-failed');
  assert.equal(failure?.reason, 'slurm-unreachable');
  assert.match(failure.message ?? '', /sbatch is not installed here/);
});

void test('an sbatch that hangs is killed at the deadline and its job cancelled by name', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig);
  const calls = join(rig.root, 'scancel.calls');
  fakeSlurm(rig, {
    sbatch: 'sleep 30',
    scancel: `echo "$@" >> ${calls}`,
  });
  rig.write('cluster.yaml', 'command_timeout: 300ms\n');
  const started = performance.now();
  const result = await rig.run('run', '--executor', 'slurm', '--json');
  assert.ok(performance.now() - started < 10_000);
  assert.equal(result.code, 1, show(result));
  const [failure] = eventsOf(result, 'job-failed');
  assert.equal(failure?.reason, 'slurm-unreachable');
  assert.match(
    failure.message ?? '',
    /sbatch gave no answer within 0 s \(is slurmctld up\?/,
  );
  assert.match(readText(calls), /^--name=nm-up_s_a_-[0-9a-f]{8}-[0-9a-f]{6}$/m);
  assert.deepEqual(rig.walk('.neuromake/slurm/active'), [], 'cancelled');
  assert.deepEqual(rig.tempFiles(), []);
});

void test('a head killed with -9 leaves a record; the next run cancels those jobs first', async (t) => {
  const rig = WorkspaceRig.create(t);
  onePipeline(rig);
  const calls = join(rig.root, 'scancel.calls');
  const squeues = join(rig.root, 'squeue.calls');
  // The job is still listed once after scancel, then gone.
  fakeSlurm(rig, {
    scancel: `echo "$@" >> ${calls}`,
    squeue: `echo "$@" >> ${squeues}; [ "$(wc -l < ${squeues})" -gt 1 ] || echo 4242`,
  });
  rig.write('.neuromake/slurm/active/nm-up-0000-aaaaaa', '4242\n');
  // sbatch never answered for this one: only its name is known.
  rig.write('.neuromake/slurm/active/nm-up-0000-bbbbbb', '\n');
  const result = await rig.run('run', '--json');
  assert.equal(result.code, 0, show(result));
  assert.equal(
    readText(calls),
    '--name=nm-up-0000-aaaaaa 4242\n--name=nm-up-0000-bbbbbb\n',
  );
  assert.equal(readText(squeues), '-h -j 4242 -o %i\n'.repeat(2));
  assert.ok(
    eventsOf(result, 'info').some((e) =>
      /cancelled 2 Slurm job\(s\) left by an interrupted run/.test(
        e.message ?? '',
      ),
    ),
  );
  assert.deepEqual(rig.walk('.neuromake/slurm/active'), []);
});
