import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import Database from 'better-sqlite3';

import {spanStep} from '../rig/fixtures.js';
import {
  assertAlone,
  assertSpans,
  maxOverlap,
  overlaps,
  spans,
} from '../rig/spans.js';
import {
  lineOf,
  locate,
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * GPU tests name their devices: the CUDA_VISIBLE_DEVICES of the machine
 * running the tests would otherwise bound what `--gpus` may hand out.
 */
const EIGHT_VISIBLE = {CUDA_VISIBLE_DEVICES: '0,1,2,3,4,5,6,7'};

void describe('resource limits', {concurrency: FILE_CONCURRENCY}, () => {
  void test('-j 2 runs at most two jobs at once, and does run two', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('work', 6, 0.25));
    const result = await rig.run('run', '-j', '2');
    assert.equal(result.code, 0, show(result));
    assertSpans(rig, 2, 6);
  });

  void test('a job with cpus: 2 under -j 2 runs alone', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      ...spanStep('wide', 2, 0.25, '{cpus: 2}'),
      ...spanStep('narrow', 4, 0.25),
    );
    const result = await rig.run('run', '-j', '2');
    assert.equal(result.code, 0, show(result));
    const all = spans(rig.countsFile('spans.spans'));
    assert.equal(all.length, 6);
    for (const wide of all.filter((s) => s.job.startsWith('wide'))) {
      assert.equal(wide.cpus, '2', 'NEUROMAKE_CPUS is the job’s share');
    }
    assertAlone(all, 'wide');
    assertSpans(rig, 2);
  });

  void test('--memory 1GB runs jobs of 600MB one at a time', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('big', 3, 0.2, '{memory: 600MB}'));
    const result = await rig.run('run', '-j', '4', '--memory', '1GB');
    assert.equal(result.code, 0, show(result));
    assertSpans(rig, 1, 3);
  });

  void test('--memory 1.5GB runs two jobs of 600MB at a time', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('big', 4, 0.25, '{memory: 600MB}'));
    const result = await rig.run('run', '-j', '4', '--memory', '1.5GB');
    assert.equal(result.code, 0, show(result));
    assertSpans(rig, 2);
  });

  void test('a job needing more memory than the budget: exit 2 and a diagnostic', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  small:',
      '    outputs: {out: small.txt}',
      '    shell: "sh tools/fake.sh small {outputs.out}"',
      ...spanStep('huge', 1, 0, '{memory: 2GB}'),
    );
    const result = await rig.run('run', '--memory', '1GB');
    assert.equal(result.code, 2, show(result));
    assert.match(
      result.stderr,
      /error: step "huge" needs 2 GB \(1\.9 GiB\) of memory but the budget is 1 GB \(953\.7 MiB\)/,
    );
    assert.ok(
      result.stderr.includes(`pipeline.yaml:${locate(text, 'huge:')}`),
      result.stderr,
    );
    assert.ok(result.stderr.includes(lineOf(text, 'huge:')));
    assert.deepEqual(rig.counts(), {}, 'nothing may run');
  });

  void test('a job needing more cpus or GPUs than exist: exit 2', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('wide', 1, 0, '{cpus: 4}'));
    const cpus = await rig.run('run', '-j', '2');
    assert.equal(cpus.code, 2, show(cpus));
    assert.match(cpus.stderr, /step "wide" needs 4 cpus but the budget is 2/);

    // Every resource that does not fit is named at once.
    rig.pipeline('steps:', ...spanStep('all', 1, 0, '{cpus: 4, gpus: 1}'));
    Object.assign(rig.env, {CUDA_VISIBLE_DEVICES: ''});
    const both = await rig.run('run', '-j', '2');
    assert.equal(both.code, 2, show(both));
    assert.match(
      both.stderr,
      /step "all" needs 4 cpus but the budget is 2 \(raise -j\/--jobs\), and needs 1 GPU\(s\) but 0 are available/,
    );

    rig.pipeline('steps:', ...spanStep('gpu', 1, 0, '{gpus: 2}'));
    Object.assign(rig.env, EIGHT_VISIBLE);
    const gpus = await rig.run('run', '--gpus', '1');
    assert.equal(gpus.code, 2, show(gpus));
    assert.match(
      gpus.stderr,
      /step "gpu" needs 2 GPU\(s\) but 1 are available/,
    );

    // Devices named by UUID (as some Slurm sites and MIG slices set them)
    // are said to be why no GPU is there to hand out.
    Object.assign(rig.env, {CUDA_VISIBLE_DEVICES: 'GPU-8f1e2a3b'});
    const byName = await rig.run('run');
    assert.equal(byName.code, 2, show(byName));
    assert.match(
      byName.stderr,
      /needs 2 GPU\(s\) but 0 are available \(CUDA_VISIBLE_DEVICES="GPU-8f1e2a3b" names devices by UUID or MIG id/,
    );
    assert.deepEqual(rig.counts(), {});
  });

  void test('a fresh or restorable job may ask for more than the budget', async (t) => {
    // Trained on a GPU node, its tables made on a laptop.
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  train:',
      '    outputs: {out: model.txt}',
      '    shell: "sh tools/fake.sh train {outputs.out}"',
      '    resources: {cpus: 4, gpus: 1}',
      '  table:',
      '    inputs: {model: model.txt}',
      '    outputs: {out: table.txt}',
      '    shell: "sh tools/fake.sh table {outputs.out} {inputs.model}"',
    );
    Object.assign(rig.env, EIGHT_VISIBLE);
    const gpuNode = await rig.run('run', '-j', '4', '--gpus', '1');
    assert.equal(gpuNode.code, 0, show(gpuNode));

    Object.assign(rig.env, {CUDA_VISIBLE_DEVICES: ''});
    const laptop = await rig.run('run', '-j', '2', '--force', 'table');
    assert.equal(laptop.code, 0, show(laptop));
    rig.remove('model.txt');
    const restored = await rig.run('run', '-j', '2', '--json');
    assert.equal(outcomes(restored)['train'], 'restored', show(restored));
    assert.deepEqual(rig.counts(), {train: 1, table: 2});

    // Once it has to run, it is an error before anything runs.
    for (const args of [
      ['--force', 'train'],
      ['--force', 'train', '-n'],
    ]) {
      const result = await rig.run('run', '-j', '2', ...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${show(result)}`);
      assert.match(result.stderr, /step "train" needs 4 cpus/);
    }

    // A restore that fails (its stored copy is corrupt) leaves a job that
    // must run: it fails, saying why, rather than wait for ever.
    const hash = rig.sha256('model.txt');
    rig.remove('model.txt');
    const db = new Database(rig.path('.neuromake/state.db'));
    db.prepare('UPDATE blobs SET bytes = ? WHERE hash = ?').run(
      Buffer.from('corrupt\n'),
      hash,
    );
    db.close();
    const lost = await rig.run('run', '-j', '2');
    assert.equal(lost.code, 1, show(lost));
    assert.match(
      lost.stdout + lost.stderr,
      /failed +train: over-budget: it has to run but does not fit the budget: it needs 4 cpus but the budget is 2/,
    );
    assert.deepEqual(rig.counts(), {train: 1, table: 2});
  });

  void test('GPU jobs each see one distinct device, at most two at once', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      ...spanStep('train', 5, 0.25, '{gpus: 1}'),
      ...spanStep('cpu', 1, 0.1),
    );
    Object.assign(rig.env, EIGHT_VISIBLE);
    const result = await rig.run('run', '-j', '6', '--gpus', '0,1');
    assert.equal(result.code, 0, show(result));
    const all = spans(rig.countsFile('spans.spans'));
    const train = all.filter((s) => s.job.startsWith('train'));
    assert.equal(train.length, 5);
    for (const s of train) assert.match(s.gpus, /^[01]$/, s.job);
    for (const a of train) {
      for (const b of train) {
        if (a !== b && overlaps(a, b)) {
          assert.notEqual(a.gpus, b.gpus, `${a.job} and ${b.job} share a GPU`);
        }
      }
    }
    const trainSpans = all
      .filter((s) => s.job.startsWith('train'))
      .flatMap((s) => [`start ${s.start}`, `end ${s.end}`])
      .join('\n');
    assert.equal(maxOverlap(trainSpans), 2);
    const cpu = all.find((s) => s.job.startsWith('cpu'));
    assert.equal(cpu?.gpus, '', 'a job without gpus sees no device');
  });

  void test('--gpus with device ids hands out exactly those ids', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('train', 4, 0.1, '{gpus: 1}'));
    Object.assign(rig.env, EIGHT_VISIBLE);
    const result = await rig.run('run', '-j', '4', '--gpus', '3,5');
    assert.equal(result.code, 0, show(result));
    const seen = new Set(
      spans(rig.countsFile('spans.spans')).map((s) => s.gpus),
    );
    assert.ok(
      [...seen].every((g) => g === '3' || g === '5'),
      [...seen].join(),
    );
  });

  void test('--gpus stays within CUDA_VISIBLE_DEVICES: a count takes the first visible', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline('steps:', ...spanStep('train', 3, 0, '{gpus: 1}'));
    rig.env['CUDA_VISIBLE_DEVICES'] = '2,5';
    const one = await rig.run('run', '--gpus', '1');
    assert.equal(one.code, 0, show(one));
    assert.deepEqual(
      spans(rig.countsFile('spans.spans')).map((s) => s.gpus),
      ['2', '2', '2'],
      'a count of 1 is the first visible device, not device 0',
    );

    const errors: [string, RegExp][] = [
      ['3', /--gpus 3 asks for more GPUs than CUDA_VISIBLE_DEVICES="2,5"/],
      ['0,5', /--gpus 0,5: device 0 is not in CUDA_VISIBLE_DEVICES="2,5"/],
      ['5,5', /--gpus 5,5 names device 5 twice/],
    ];
    for (const [flag, message] of errors) {
      const result = await rig.run('run', '--force', 'train', '--gpus', flag);
      assert.equal(result.code, 2, `--gpus ${flag}: ${show(result)}`);
      assert.match(result.stderr, message);
    }
    assert.equal(
      spans(rig.countsFile('spans.spans')).length,
      3,
      'a usage error runs nothing',
    );
  });
});
