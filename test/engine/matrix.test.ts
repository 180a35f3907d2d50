import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {
  outcomes,
  show,
  waitFor,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * An experiment sweep as issue #6 describes it: a matrix of model × order ×
 * seed cells, each a chain (fine-tune → score), gathered into one table.
 */
function sweep(rig: WorkspaceRig, seeds: string, gateFor = ''): void {
  rig.pipeline(
    'steps:',
    '  tune:',
    `    for_each: {matrix: {model: [small, large], order: [joint, fmri_ethics], seed: [${seeds}]}}`,
    '    outputs: {out: "out/{model}_{order}_{seed}.tune"}',
    gateFor === ''
      ? '    shell: "sh tools/fake.sh tune {outputs.out}"'
      : `    shell: "if [ {seed} = ${gateFor} ]; then sh tools/gate.sh tune {outputs.out} go; else sh tools/fake.sh tune {outputs.out}; fi"`,
    '  score:',
    '    for_each: {step: tune}',
    '    inputs: {tuned: "out/{model}_{order}_{seed}.tune"}',
    '    outputs: {out: "out/{model}_{order}_{seed}.score"}',
    '    shell: "sh tools/fake.sh score {outputs.out} {inputs.tuned}"',
    '  table:',
    '    inputs: {scores: {from: score, output: out}}',
    '    outputs: {out: out/table.txt}',
    '    shell: "sh tools/fake.sh table {outputs.out} {inputs.scores}"',
  );
}

void describe('experiment matrices', {concurrency: FILE_CONCURRENCY}, () => {
  void test('a matrix expands to its cartesian product', async (t) => {
    const rig = WorkspaceRig.create(t);
    sweep(rig, "'1', '2'");
    const dag = await rig.run('dag', '--format', 'json');
    assert.equal(dag.code, 0, show(dag));
    const jobs = (JSON.parse(dag.stdout) as {jobs: {id: string}[]}).jobs;
    const tune = jobs.map((j) => j.id).filter((id) => id.startsWith('tune['));
    assert.equal(tune.length, 2 * 2 * 2);
    assert.ok(tune.includes('tune[model=large,order=fmri_ethics,seed=2]'));
    assert.equal(jobs.length, 8 + 8 + 1);
  });

  void test('adding a seed runs only the new cells and the table', async (t) => {
    const rig = WorkspaceRig.create(t);
    sweep(rig, "'1', '2'");
    assert.equal((await rig.run('run', '-j', '2')).code, 0);
    assert.deepEqual(rig.counts(), {score: 8, table: 1, tune: 8});

    sweep(rig, "'1', '2', '3'");
    const more = await rig.run('run', '-j', '2', '--json');
    assert.equal(more.code, 0, show(more));
    assert.deepEqual(rig.counts(), {score: 12, table: 2, tune: 12});
    const ran = Object.entries(outcomes(more))
      .filter(([, o]) => o === 'ran')
      .map(([id]) => id)
      .sort();
    assert.deepEqual(
      ran.filter((id) => id.startsWith('tune[')),
      [
        'tune[model=large,order=fmri_ethics,seed=3]',
        'tune[model=large,order=joint,seed=3]',
        'tune[model=small,order=fmri_ethics,seed=3]',
        'tune[model=small,order=joint,seed=3]',
      ],
    );
  });

  void test('an interrupted sweep resumes with only the unfinished cells', async (t) => {
    const rig = WorkspaceRig.create(t);
    // Seed 2's cells wait at a gate that never opens during the first run;
    // with 6 slots, 4 hold them and seed 1 finishes in the other 2.
    sweep(rig, "'1', '2'", '2');
    const running = rig.start('run', '-j', '6', '--json');
    // An output in place means its job is recorded (records come first).
    const seed1 = ['small', 'large'].flatMap((m) =>
      ['joint', 'fmri_ethics'].map((o) => `out/${m}_${o}_1.score`),
    );
    await waitFor(
      'seed 1 scored',
      () => seed1.every((p) => rig.exists(p)),
      20_000,
    );
    await waitFor('seed 2 tuning', () => rig.count('tune') === 8, 20_000);
    running.child.kill('SIGINT');
    const stopped = await running.done;
    assert.equal(stopped.code, 130, show(stopped));
    assert.deepEqual(rig.tempFiles(), []);
    const tunedBefore = rig.count('tune');

    rig.openGate('go');
    const resumed = await rig.run('run', '-j', '2', '--json');
    assert.equal(resumed.code, 0, show(resumed));
    const done = outcomes(resumed);
    for (const [id, outcome] of Object.entries(done)) {
      const seed2 = id.includes('seed=2');
      if (id.startsWith('tune[') || id.startsWith('score[')) {
        assert.equal(outcome, seed2 ? 'ran' : 'fresh', id);
      }
    }
    // Each seed-2 cell was tuned once more; no seed-1 cell ran again.
    assert.equal(rig.count('tune'), tunedBefore + 4);
    assert.equal(rig.count('score'), 8);
    assert.equal(rig.count('table'), 1);
  });

  void test('a matrix over a list param grows with --set, running only new cells', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'params:',
      '  samplings: [LAST, AVG]',
      'steps:',
      '  sample:',
      "    for_each: {matrix: {sampling: '{params.samplings}', run: ['1', '2']}}",
      '    outputs: {out: "out/{sampling}_{run}.txt"}',
      '    shell: "sh tools/fake.sh sample {outputs.out}"',
      '  dataset:',
      "    for_each: {matrix: {sampling: '{params.samplings}'}}",
      '    inputs: {runs: {from: sample, output: out}}',
      '    outputs: {out: "out/{sampling}.dataset"}',
      '    shell: "sh tools/fake.sh dataset {outputs.out} {inputs.runs}"',
    );
    assert.equal((await rig.run('run', '-j', '2')).code, 0);
    assert.deepEqual(rig.counts(), {dataset: 2, sample: 4});

    const more = await rig.run(
      'run',
      '-j',
      '2',
      '--json',
      '--set',
      'samplings=[LAST, AVG, MIDDLE]',
    );
    assert.equal(more.code, 0, show(more));
    const ran = Object.entries(outcomes(more))
      .filter(([, o]) => o === 'ran')
      .map(([id]) => id)
      .sort();
    assert.deepEqual(ran, [
      'dataset[sampling=MIDDLE]',
      'sample[sampling=MIDDLE,run=1]',
      'sample[sampling=MIDDLE,run=2]',
    ]);
    // The new dataset gathered only its own method's two runs.
    assert.equal(
      rig.read('out/MIDDLE.dataset'),
      '+sample\n+sample\n+dataset\n',
    );
    assert.deepEqual(rig.runs('dataset').slice(-1), [
      'dataset[sampling=MIDDLE]',
    ]);
  });
});
