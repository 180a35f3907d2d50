import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {
  eventsOf,
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

function lineCountPipeline(rig: WorkspaceRig): void {
  rig.write('text.txt', 'one\ntwo\nthree\n');
  rig.pipeline(
    'steps:',
    '  count:',
    '    inputs: {src: text.txt}',
    '    outputs: {out: count.txt}',
    '    shell: "sh tools/lines.sh count {outputs.out} {inputs.src}"',
    '  report:',
    '    inputs: {n: count.txt}',
    '    outputs: {out: report.txt}',
    '    shell: "sh tools/fake.sh report {outputs.out} {inputs.n}"',
    '  final:',
    '    inputs: {r: report.txt}',
    '    outputs: {out: final.txt}',
    '    shell: "sh tools/fake.sh final {outputs.out} {inputs.r}"',
  );
}

void describe('early cutoff', {concurrency: FILE_CONCURRENCY}, () => {
  void test('an upstream rerun with byte-identical output does not rerun downstream', async (t) => {
    const rig = WorkspaceRig.create(t);
    lineCountPipeline(rig);
    assert.equal((await rig.run('run')).code, 0);
    assert.equal(rig.read('count.txt'), '3\n');
    assert.deepEqual(rig.counts(), {count: 1, final: 1, report: 1});

    rig.write('text.txt', 'one\nTWO\nthree\n');
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {count: 2, final: 1, report: 1});
    assert.deepEqual(outcomes(result), {
      count: 'ran',
      report: 'fresh',
      final: 'fresh',
    });
    const countDone = eventsOf(result, 'job-done').find(
      (e) => e.job === 'count',
    );
    assert.equal(countDone?.unchanged, true);
    const plain = await rig.run('run');
    assert.equal(plain.code, 0);
    assert.deepEqual(rig.counts(), {count: 2, final: 1, report: 1});
  });

  void test('an upstream whose output changes reruns the whole chain', async (t) => {
    const rig = WorkspaceRig.create(t);
    lineCountPipeline(rig);
    assert.equal((await rig.run('run')).code, 0);

    rig.write('text.txt', 'one\ntwo\nthree\nfour\n');
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {count: 2, final: 2, report: 2});
    const countDone = eventsOf(result, 'job-done').find(
      (e) => e.job === 'count',
    );
    assert.equal(countDone?.unchanged, false);
    assert.equal(rig.read('final.txt'), '4\n+report\n+final\n');
  });

  void test('early cutoff stops at the unchanged branch of a fan-out', async (t) => {
    const rig = WorkspaceRig.create(t);
    for (const s of ['a', 'b']) rig.write(`in/${s}.txt`, `${s}1\n${s}2\n`);
    rig.pipeline(
      'steps:',
      '  count:',
      '    for_each: {glob: "in/{s}.txt"}',
      '    inputs: {src: "in/{s}.txt"}',
      '    outputs: {out: "n/{s}.txt"}',
      '    shell: "sh tools/lines.sh count {outputs.out} {inputs.src}"',
      '  sum:',
      '    inputs: {parts: {from: count, output: out}}',
      '    outputs: {out: sum.txt}',
      '    shell: "sh tools/fake.sh sum {outputs.out} {inputs.parts}"',
    );
    assert.equal((await rig.run('run')).code, 0);
    rig.write('in/a.txt', 'changed\nlines\n');
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(outcomes(result), {
      'count[s=a]': 'ran',
      'count[s=b]': 'fresh',
      sum: 'fresh',
    });
    assert.deepEqual(rig.counts(), {count: 3, sum: 1});
  });
});
