/**
 * End to end against a real Slurm cluster (issue #7): the head submits each
 * job with sbatch, a node runs `neuromake run-job`, the head verifies and
 * stores the outputs. Skipped, with the reason, where no cluster answers;
 * CI starts one with scripts/slurm/start-local-cluster.sh. All tests of
 * this file share that one cluster, so they run one after another.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

import {maxOverlap} from '../rig/spans.js';
import {
  eventsOf,
  outcomes,
  runEnd,
  show,
  waitFor,
  WorkspaceRig,
} from '../rig/workspace-rig.js';
import {
  activeJobs,
  clusterProblem,
  liveInGroup,
  slurmIds,
  slurmStates,
} from './local-cluster.js';

const unavailable = await clusterProblem();

/** Skips the test, saying why, when there is no cluster. */
function needsCluster(t: {skip(message: string): void}): boolean {
  if (unavailable === undefined) return true;
  t.skip(unavailable);
  return false;
}

/**
 * One `slow` job per subject (tools/slow.sh): each writes a partial output
 * and sleeps 60 s (SLOW_SECS overrides that) before writing it in full.
 */
function slowJobs(rig: WorkspaceRig, subjects: readonly string[]): void {
  for (const s of subjects) rig.write(`in/${s}.txt`, `${s}\n`);
  rig.pipeline(
    'steps:',
    '  slow:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.slow"}',
    '    shell: "sh tools/slow.sh slow {outputs.out} 60 {inputs.src}"',
  );
}

/** Real ds000212 events: two subjects, two dis-task runs each. */
const EVENTS = [
  ['03', '01'],
  ['03', '02'],
  ['04', '01'],
  ['04', '02'],
] as const;

function dataFile(rel: string): Buffer {
  return readFileSync(
    new URL(`../../../data/ds000212/${rel}`, import.meta.url),
  );
}

/**
 * The default pipeline in small: a shell fan-out over a glob (run_summary),
 * a built-in task gathering per subject (files.concat), and one gather of
 * everything.
 */
function defaultLike(rig: WorkspaceRig): void {
  for (const [s, r] of EVENTS) {
    const rel = `sub-${s}/func/sub-${s}_task-dis_run-${r}_events.tsv`;
    rig.write(`data/${rel}`, dataFile(rel));
  }
  for (const s of new Set(EVENTS.map(([subject]) => subject))) {
    const rel = `sub-${s}/anat/sub-${s}_T1w.json`;
    rig.write(`data/${rel}`, dataFile(rel));
  }
  rig.pipeline(
    'params:',
    '  min_key: 1',
    'steps:',
    '  run_summary:',
    '    for_each:',
    '      glob: data/sub-{subject}/func/sub-{subject}_task-dis_run-{run}_events.tsv',
    '    inputs:',
    '      events: data/sub-{subject}/func/sub-{subject}_task-dis_run-{run}_events.tsv',
    '    outputs:',
    '      summary: out/events/sub-{subject}_run-{run}.tsv',
    '    shell: >-',
    "      awk -F'\\t' -v s={subject} -v r={run} -v min={params.min_key}",
    "      'NR > 1 {{ n++; rt += $6; if ($5 >= min) {{ k++; key += $5 }} }}",
    '      END {{ printf "%s\\t%s\\t%d\\t%.3f\\t%.3f\\n", s, r, n, n ? rt / n : 0, k ? key / k : 0 }}\'',
    '      {inputs.events} > {outputs.summary}',
    '  subject_summary:',
    '    for_each:',
    '      glob: data/sub-{subject}/anat/sub-{subject}_T1w.json',
    '    task: files.concat',
    '    inputs:',
    '      files: {from: run_summary, output: summary}',
    '    outputs:',
    '      out: out/subjects/sub-{subject}.tsv',
    '  table:',
    '    task: files.concat',
    '    params:',
    '      header: "subject\\trun\\ttrials\\tmean_rt_s\\tmean_rating\\n"',
    '    inputs:',
    '      files: {from: subject_summary, output: out}',
    '    outputs:',
    '      out: out/dis-runs.tsv',
  );
}

/** Every output of {@link defaultLike}. */
const OUTPUTS = [
  ...EVENTS.map(([s, r]) => `out/events/sub-${s}_run-${r}.tsv`),
  'out/subjects/sub-03.tsv',
  'out/subjects/sub-04.tsv',
  'out/dis-runs.tsv',
];

void test('a Slurm run writes the same bytes as a local run, and a rerun runs nothing', async (t) => {
  if (!needsCluster(t)) return;
  const local = WorkspaceRig.create(t);
  defaultLike(local);
  const localRun = await local.run('run', '--json');
  assert.equal(localRun.code, 0, show(localRun));

  const rig = WorkspaceRig.create(t);
  defaultLike(rig);
  const started = performance.now();
  const first = await rig.run('run', '--executor', 'slurm', '--json', '-v');
  const ms = performance.now() - started;
  assert.equal(first.code, 0, show(first));
  assert.equal(runEnd(first)['ran'], OUTPUTS.length);
  for (const path of OUTPUTS) {
    assert.deepEqual(rig.bytes(path), local.bytes(path), path);
  }
  assert.match(rig.read('out/dis-runs.tsv'), /^subject\trun\ttrials/);
  // Every job really went through Slurm, one submission each.
  assert.equal(slurmIds(rig).length, OUTPUTS.length);
  const submitted = eventsOf(first, 'info').filter((e) =>
    /submitted as Slurm job \d+/.test(e.message ?? ''),
  );
  assert.equal(submitted.length, OUTPUTS.length);
  assert.deepEqual(rig.tempFiles(), []);
  // Scripts and Slurm logs of jobs that succeeded are not kept: their
  // output is in the job logs.
  assert.deepEqual(
    rig.walk('.neuromake/slurm').filter((p) => /\.(sh|out)$/.test(p)),
    [],
  );
  assert.match(
    rig.read('.neuromake/logs/table.log'),
    /\$ sbatch --parsable[^\n]*\nneuromake: Slurm job \d+/,
  );
  t.diagnostic(`${OUTPUTS.length} jobs on Slurm in ${Math.round(ms)} ms`);

  const second = await rig.run('run', '--executor', 'slurm', '--json');
  assert.equal(second.code, 0, show(second));
  assert.equal(runEnd(second)['ran'], 0);
  assert.equal(runEnd(second)['fresh'], OUTPUTS.length);
  assert.equal(slurmIds(rig).length, OUTPUTS.length, 'nothing was submitted');

  // The cache is shared across executors: a local run finds it all fresh.
  const third = await rig.run('run', '--json');
  assert.equal(runEnd(third)['fresh'], OUTPUTS.length, show(third));
});

void test('a failing Slurm job reports its Slurm state, exit code and log', async (t) => {
  if (!needsCluster(t)) return;
  const rig = WorkspaceRig.create(t);
  rig.write('in/a.txt', 'FAIL\n');
  rig.write('in/b.txt', 'fine\n');
  rig.pipeline(
    'steps:',
    '  up:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.up"}',
    '    shell: "sh tools/fake.sh up {outputs.out} {inputs.src}"',
    '    executor: slurm',
  );
  const result = await rig.run('run', '-k', '--json');
  assert.equal(result.code, 1, show(result));
  const failed = eventsOf(result, 'job-failed');
  assert.equal(failed.length, 1, show(result));
  const [failure] = failed;
  assert.equal(failure?.job, 'up[s=a]');
  assert.equal(failure.reason, 'slurm-failed');
  assert.match(
    failure.message ?? '',
    /^Slurm job \d+ ended FAILED with exit code 1 \(NonZeroExitCode\): command exited with code 1; Slurm log: (\.neuromake\/slurm\/logs\/\S+\.out)$/,
  );
  const slurmLog = /Slurm log: (\S+)$/.exec(failure.message ?? '')?.[1] ?? '';
  assert.match(rig.read(slurmLog), /up\[s=a\] was told to fail/);
  // The job log has the node's output too, after the submission.
  assert.match(
    rig.read(String(failure['log'])),
    /Slurm job \d+[\s\S]*up\[s=a\] was told to fail/,
  );
  assert.equal(outcomes(result)['up[s=b]'], 'ran');
  assert.equal(rig.read('out/b.up'), 'fine\n+up\n');
  assert.equal(rig.exists('out/a.up'), false, 'no half-written output');
  assert.deepEqual(rig.tempFiles(), []);
});

void test('Ctrl-C cancels every submitted Slurm job and leaves no half-written output', async (t) => {
  if (!needsCluster(t)) return;
  const rig = WorkspaceRig.create(t);
  slowJobs(rig, ['a', 'b', 'c']);
  const cli = rig.start('run', '--executor', 'slurm', '--json');
  // Two run on the node's two cpus (slow.sh has written its partial
  // output by then); the third pends in the queue.
  await waitFor(
    'two slow jobs to start on the node',
    () => rig.count('slow') >= 2,
    30_000,
  );
  await waitFor('three submissions', () => slurmIds(rig).length === 3, 10_000);
  const ids = slurmIds(rig);
  const started = performance.now();
  cli.child.kill('SIGINT');
  const result = await cli.done;
  const stopMs = performance.now() - started;
  assert.equal(result.code, 130, show(result));
  assert.equal(runEnd(result)['interrupted'], true);
  assert.deepEqual(
    await activeJobs(ids),
    [],
    'no Slurm job is left queued or running',
  );
  const states = await slurmStates(ids);
  for (const id of ids) assert.equal(states.get(id), 'CANCELLED', `job ${id}`);
  assert.deepEqual(rig.tempFiles(), [], 'no half-written temporary file');
  for (const s of ['a', 'b', 'c'])
    assert.equal(rig.exists(`out/${s}.slow`), false);
  // The jobs' processes are gone too: nothing can write later.
  for (const line of rig.countsFile('slow.pgid').split('\n')) {
    const pgid = Number(line.trim());
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    assert.deepEqual(liveInGroup(pgid), [], `process group ${pgid} is gone`);
  }
  t.diagnostic(`stopped ${ids.length} Slurm jobs in ${Math.round(stopMs)} ms`);
  // Nothing is left to clean up: the next run does not cancel anything.
  assert.deepEqual(rig.walk('.neuromake/slurm/active'), []);
});

void test('after kill -9 of the head, the next run cancels its Slurm jobs and finishes cleanly', async (t) => {
  if (!needsCluster(t)) return;
  const rig = WorkspaceRig.create(t);
  slowJobs(rig, ['a', 'b']);
  const cli = rig.start('run', '--executor', 'slurm', '--json');
  await waitFor(
    'both slow jobs to start',
    () => rig.count('slow') >= 2,
    30_000,
  );
  const orphans = slurmIds(rig);
  cli.child.kill('SIGKILL');
  await cli.done;
  assert.deepEqual(
    (await activeJobs(orphans)).sort(),
    [...orphans].sort(),
    'the orphans still run',
  );

  // The same command (the jobs quicker now: SLOW_SECS is not in their key).
  rig.env['SLOW_SECS'] = '0';
  const rerun = await rig.run('run', '--executor', 'slurm', '--json');
  assert.equal(rerun.code, 0, show(rerun));
  assert.ok(
    eventsOf(rerun, 'info').some(
      (e) =>
        e.message ===
        `cancelled ${orphans.length} Slurm job(s) left by an interrupted run`,
    ),
    show(rerun),
  );
  assert.deepEqual(await activeJobs(orphans), []);
  for (const s of ['a', 'b']) {
    assert.equal(rig.read(`out/${s}.slow`), `${s}\n+slow complete\n`);
  }
  assert.deepEqual(rig.tempFiles(), []);
});

void test('a GPU request the cluster cannot meet fails at once with a clear error', async (t) => {
  if (!needsCluster(t)) return;
  const rig = WorkspaceRig.create(t);
  rig.pipeline(
    'steps:',
    '  train:',
    '    outputs: {model: out/model.bin}',
    '    shell: "echo weights > {outputs.model}"',
    '    resources: {gpus: 1}',
    '    executor: slurm',
  );
  const started = performance.now();
  const result = await rig.run('run', '--json');
  const ms = performance.now() - started;
  assert.equal(result.code, 1, show(result));
  const [failure] = eventsOf(result, 'job-failed');
  assert.equal(failure?.reason, 'slurm-rejected', show(result));
  assert.match(
    failure.message ?? '',
    /^Slurm refused the job: .*generic resource/i,
  );
  assert.match(
    failure.message ?? '',
    /asks for --gpus=1, from its step's resources\.gpus/,
  );
  assert.ok(ms < 15_000, `took ${Math.round(ms)} ms`);
  assert.equal(rig.exists('out/model.bin'), false);
  assert.deepEqual(rig.tempFiles(), []);
});

void test('--max-jobs bounds queued Slurm jobs; the local budgets do not', async (t) => {
  if (!needsCluster(t)) return;
  const rig = WorkspaceRig.create(t);
  for (const s of ['a', 'b', 'c']) rig.write(`in/${s}.txt`, `${s}\n`);
  rig.pipeline(
    'steps:',
    '  span:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.span"}',
    '    shell: "sh tools/span.sh span {outputs.out} 0.3"',
    '    resources: {memory: 1GiB}',
  );
  // Locally, 1 GiB jobs could never start within --memory 100MB; on Slurm
  // the cluster sizes them, and --max-jobs 1 lets one be queued at a time
  // although the node has room for two.
  const result = await rig.run(
    'run',
    '--executor',
    'slurm',
    '--memory',
    '100MB',
    '--max-jobs',
    '1',
    '--json',
  );
  assert.equal(result.code, 0, show(result));
  assert.equal(runEnd(result)['ran'], 3);
  assert.equal(maxOverlap(rig.countsFile('span.spans')), 1);
  assert.match(rig.read('.neuromake/logs/span[s=a].log'), /--mem=1024M/);
});
