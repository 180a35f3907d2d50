import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

function paramPipeline(rig: WorkspaceRig, tag: string): void {
  rig.pipeline(
    'params:',
    '  suffix: X',
    '  level: 1',
    'steps:',
    '  up:',
    '    for_each: {matrix: {s: [a, b]}}',
    '    outputs: {out: "out/{s}.up"}',
    `    params: {tag: ${tag}, n: "{params.level}"}`,
    '    shell: "sh tools/fake.sh up {outputs.out} && echo {params.suffix} {params.tag} {params.n} >> {outputs.out}"',
    '  other:',
    '    outputs: {out: other.txt}',
    '    shell: "sh tools/fake.sh other {outputs.out}"',
    '  all:',
    '    inputs: {parts: {from: up, output: out}}',
    '    outputs: {out: all.txt}',
    '    shell: "sh tools/fake.sh all {outputs.out} {inputs.parts}"',
  );
}

const UP_AND_ALL_RAN = {
  'up[s=a]': 'ran',
  'up[s=b]': 'ran',
  other: 'fresh',
  all: 'ran',
};

void describe('params', {concurrency: FILE_CONCURRENCY}, () => {
  void test('--set of a global param in a command reruns its step and downstream', async (t) => {
    const rig = WorkspaceRig.create(t);
    paramPipeline(rig, 'one');
    assert.equal((await rig.run('run')).code, 0);
    assert.equal(rig.read('out/a.up'), '+up\nX one 1\n');

    const set = await rig.run('run', '--set', 'suffix=Y', '--json');
    assert.equal(set.code, 0, show(set));
    assert.deepEqual(outcomes(set), UP_AND_ALL_RAN);
    assert.deepEqual(rig.counts(), {all: 2, other: 1, up: 4});
    assert.equal(rig.read('out/a.up'), '+up\nY one 1\n');

    const same = await rig.run('run', '--set', 'suffix=Y');
    assert.equal(same.code, 0, show(same));
    assert.deepEqual(rig.counts(), {all: 2, other: 1, up: 4});

    // Back to the file's value: everything comes from the store.
    const back = await rig.run('run', '--json');
    assert.equal(back.code, 0, show(back));
    assert.deepEqual(rig.counts(), {all: 2, other: 1, up: 4});
    assert.equal(outcomes(back)['up[s=a]'], 'restored');
    assert.equal(rig.read('out/a.up'), '+up\nX one 1\n');
  });

  void test('why names a global param changed with --set, old → new', async (t) => {
    // The rerun itself is right (the rendered command changes); `why` must
    // also say which param did it, not only that the command changed.
    const rig = WorkspaceRig.create(t);
    paramPipeline(rig, 'one');
    assert.equal((await rig.run('run')).code, 0);
    const why = await rig.run('why', 'up[s=a]', '--set', 'suffix=Y');
    assert.equal(why.code, 0, show(why));
    assert.match(why.stdout, /^up\[s=a\] is stale:/);
    assert.match(why.stdout, /param suffix: "X" → "Y"/, why.stdout);
  });

  void test('--set of a global param used by a step param: why names both', async (t) => {
    const rig = WorkspaceRig.create(t);
    paramPipeline(rig, 'one');
    assert.equal((await rig.run('run')).code, 0);
    const why = await rig.run('why', 'up[s=b]', '--set', 'level=2');
    assert.equal(why.code, 0, show(why));
    assert.match(why.stdout, /param n: 1 → 2/);

    const run = await rig.run('run', '--set', 'level=2', '--json');
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(outcomes(run), UP_AND_ALL_RAN);
    assert.equal(rig.read('out/b.up'), '+up\nX one 2\n');
  });

  void test('editing a step param in pipeline.yaml reruns that step and downstream', async (t) => {
    const rig = WorkspaceRig.create(t);
    paramPipeline(rig, 'one');
    assert.equal((await rig.run('run')).code, 0);
    paramPipeline(rig, 'two');

    const why = await rig.run('why', 'up');
    assert.equal(why.code, 0, show(why));
    assert.match(why.stdout, /up\[s=a\] is stale:[^]*param tag: "one" → "two"/);
    assert.match(why.stdout, /up\[s=b\] is stale:[^]*param tag: "one" → "two"/);
    const whyAll = await rig.run('why', 'all');
    assert.match(whyAll.stdout, /upstream up\[s=a\] will run first/);

    const run = await rig.run('run', '--json');
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(outcomes(run), UP_AND_ALL_RAN);
    assert.deepEqual(rig.counts(), {all: 2, other: 1, up: 4});
    assert.equal(rig.read('all.txt'), '+up\nX two 1\n+up\nX two 1\n+all\n');
  });

  void test('a param edit whose value is unchanged in effect reruns nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    paramPipeline(rig, 'one');
    assert.equal((await rig.run('run')).code, 0);
    paramPipeline(rig, '"one"'); // the same string, quoted
    const run = await rig.run('run');
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(rig.counts(), {all: 1, other: 1, up: 2});
  });

  void test('an env variable the step lists reruns it when it changes', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  flavoured:',
      '    env: [NM_FLAVOUR]',
      '    outputs: {out: flavour.txt}',
      '    shell: "sh tools/fake.sh flavoured {outputs.out} && echo $NM_FLAVOUR >> {outputs.out}"',
    );
    rig.env['NM_FLAVOUR'] = 'mint';
    assert.equal((await rig.run('run')).code, 0);
    rig.env['NM_FLAVOUR'] = 'lime';
    const why = await rig.run('why', 'flavoured');
    assert.match(why.stdout, /environment NM_FLAVOUR: "mint" → "lime"/);
    const run = await rig.run('run');
    assert.equal(run.code, 0, show(run));
    assert.equal(rig.read('flavour.txt'), '+flavoured\nlime\n');
    assert.equal(rig.count('flavoured'), 2);

    // Unset is said as such, apart from the empty string.
    delete rig.env['NM_FLAVOUR'];
    const unset = await rig.run('why', 'flavoured');
    assert.match(unset.stdout, /environment NM_FLAVOUR: "lime" → \(unset\)/);
    assert.equal((await rig.run('run')).code, 0);
    rig.env['NM_FLAVOUR'] = '';
    const empty = await rig.run('why', 'flavoured');
    assert.match(empty.stdout, /environment NM_FLAVOUR: \(unset\) → ""/);
  });

  void test('a step param written with no value is null, even where a global param has the name', async (t) => {
    // It renders as it does in paths and task params (JSON null), and never
    // falls back to the global param of the same name.
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'params: {extra: -v}',
      'steps:',
      '  a:',
      '    params:',
      '      extra:',
      '    outputs: {o: out/a.txt}',
      '    shell: "echo [{params.extra}] > {outputs.o}"',
      '  b:',
      '    outputs: {o: out/b.txt}',
      '    shell: "echo [{params.extra}] > {outputs.o}"',
    );
    const run = await rig.run('run');
    assert.equal(run.code, 0, show(run));
    assert.equal(rig.read('out/a.txt'), '[null]\n');
    assert.equal(rig.read('out/b.txt'), '[-v]\n');
  });
});
