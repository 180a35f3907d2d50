import assert from 'node:assert/strict';
import {statSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {fanOut, fanOutOutputs} from '../rig/fixtures.js';
import {
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

void describe('freshness', {concurrency: FILE_CONCURRENCY}, () => {
  void test('a first run runs every job once and writes every output', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const first = await rig.run('run', '-j', '2');
    assert.equal(first.code, 0, show(first));
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
    for (const out of fanOutOutputs()) assert.ok(rig.exists(out), out);
    assert.equal(
      rig.read('out/all.txt'),
      ['a', 'b', 'c'].map((s) => `subject ${s}\n+up\n+post\n`).join('') +
        '+all\n',
    );
  });

  void test('a second run runs nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run', '-j', '2')).code, 0);
    const before = rig.counts();

    const second = await rig.run('run', '-j', '2', '--json');
    assert.equal(second.code, 0, show(second));
    assert.deepEqual(rig.counts(), before);
    const done = outcomes(second);
    assert.equal(Object.keys(done).length, 7);
    for (const [job, outcome] of Object.entries(done)) {
      assert.equal(outcome, 'fresh', job);
    }
    const end = runEnd(second);
    assert.deepEqual(
      [end['ran'], end['restored'], end['fresh'], end['failed']],
      [0, 0, 7, 0],
    );
  });

  void test('editing one input of a fan-out reruns exactly its branch and the gather', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run', '-j', '2')).code, 0);
    const unrelated = rig.bytes('out/a.post');

    rig.write('in/b.txt', 'subject b, edited\n');
    const edited = await rig.run('run', '-j', '2', '--json');
    assert.equal(edited.code, 0, show(edited));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
    assert.deepEqual(rig.runs('up').slice(3), ['up[s=b]']);
    assert.deepEqual(rig.runs('post').slice(3), ['post[s=b]']);
    assert.deepEqual(outcomes(edited), {
      'up[s=a]': 'fresh',
      'up[s=b]': 'ran',
      'up[s=c]': 'fresh',
      'post[s=a]': 'fresh',
      'post[s=b]': 'ran',
      'post[s=c]': 'fresh',
      all: 'ran',
    });
    assert.match(rig.read('out/all.txt'), /subject b, edited\n/);
    assert.deepEqual(rig.bytes('out/a.post'), unrelated);

    const again = await rig.run('run', '-j', '2');
    assert.equal(again.code, 0, show(again));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
  });

  void test('touching an input without changing its bytes reruns nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const later = new Date(Date.now() + 60_000);
    utimesSync(rig.path('in/a.txt'), later, later);
    rig.write('in/c.txt', 'subject c\n'); // same bytes, new inode

    const result = await rig.run('run');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
  });

  void test('an edit that keeps size, mtime and inode is seen by its change time', async (t) => {
    // As `cp -p` over the file, or an archive's fixed timestamps, leave it.
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const fixed = 1_000_000_000; // whole seconds: set back exactly
    const edit = (text: string) => {
      writeFileSync(rig.path('in/a.txt'), text); // in place: same inode
      utimesSync(rig.path('in/a.txt'), fixed, fixed);
    };
    edit('subject a\n');
    Object.assign(rig.env, {NEUROMAKE_NO_STAMP: '1'});
    assert.equal((await rig.run('run')).code, 0);
    const inode = statSync(rig.path('in/a.txt')).ino;

    edit('subject A\n');
    assert.equal(statSync(rig.path('in/a.txt')).ino, inode);
    const why = await rig.run('why', 'up[s=a]');
    assert.match(why.stdout, /input src changed: in\/a\.txt/, show(why));
    const result = await rig.run('run');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
    assert.match(rig.read('out/all.txt'), /^subject A\n/);
  });

  void test('editing a script a command names reruns the jobs that use it', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('in.txt', 'x\n');
    rig.write('tools/tag.sh', 'echo one\n');
    rig.pipeline(
      'steps:',
      '  tagged:',
      '    inputs: {src: in.txt}',
      '    outputs: {out: tagged.txt}',
      '    shell: "sh tools/fake.sh tagged {outputs.out} {inputs.src} && sh tools/tag.sh >> {outputs.out}"',
      '  other:',
      '    inputs: {src: in.txt}',
      '    outputs: {out: other.txt}',
      '    shell: "sh tools/fake.sh other {outputs.out} {inputs.src}"',
    );
    assert.equal((await rig.run('run')).code, 0);
    rig.write('tools/tag.sh', 'echo two\n');

    const why = await rig.run('why', 'tagged');
    assert.match(why.stdout, /script tools\/tag\.sh changed/);
    const result = await rig.run('run');
    assert.equal(result.code, 0, show(result));
    assert.deepEqual(rig.counts(), {other: 1, tagged: 2});
    assert.equal(rig.read('tagged.txt'), 'x\n+tagged\ntwo\n');
  });

  void test('a script named in quotes, with a space in its name, is tracked too', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('tools/my tag.sh', 'echo one\n');
    rig.pipeline(
      'steps:',
      '  tagged:',
      '    outputs: {out: tagged.txt}',
      `    shell: "sh tools/fake.sh tagged {outputs.out} && sh 'tools/my tag.sh' >> {outputs.out}"`,
    );
    assert.equal((await rig.run('run')).code, 0);
    rig.write('tools/my tag.sh', 'echo two\n');

    const why = await rig.run('why', 'tagged');
    assert.match(why.stdout, /script tools\/my tag\.sh changed/, show(why));
    assert.equal((await rig.run('run')).code, 0);
    assert.equal(rig.count('tagged'), 2);
    assert.equal(rig.read('tagged.txt'), '+tagged\ntwo\n');
  });

  void test('a script run inside sh -c or bash -c is tracked too', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('tools/tag.sh', 'echo one\n');
    rig.write('tools/note.py', '# one\n');
    rig.pipeline(
      'steps:',
      '  single:',
      '    outputs: {out: single.txt}',
      `    shell: "sh -c 'sh tools/fake.sh single {outputs.out} && sh tools/tag.sh >> {outputs.out}'"`,
      '  double:',
      '    outputs: {out: double.txt}',
      `    shell: 'bash -c "set -e; sh tools/fake.sh double {outputs.out}; cat tools/note.py >> {outputs.out}"'`,
    );
    assert.equal((await rig.run('run')).code, 0);
    rig.write('tools/tag.sh', 'echo two\n');
    rig.write('tools/note.py', '# two\n');

    const why = await rig.run('why', 'single', 'double');
    assert.match(why.stdout, /script tools\/tag\.sh changed/, show(why));
    assert.match(why.stdout, /script tools\/note\.py changed/, show(why));
    assert.equal((await rig.run('run')).code, 0);
    assert.deepEqual(rig.counts(), {double: 2, single: 2});
    assert.equal(rig.read('single.txt'), '+single\ntwo\n');
    assert.equal(rig.read('double.txt'), '+double\n# two\n');
  });

  void test('an absolute input path inside the workspace depends on the step writing it', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('in.txt', 'v1\n');
    rig.pipeline(
      'steps:',
      '  up:',
      '    inputs: {src: in.txt}',
      '    outputs: {out: out/up.txt}',
      '    shell: "sh tools/fake.sh up {outputs.out} {inputs.src}"',
      '  down:',
      `    inputs: {src: ${JSON.stringify(join(rig.dir, 'out/up.txt'))}}`,
      '    outputs: {out: out/down.txt}',
      '    shell: "sh tools/fake.sh down {outputs.out} {inputs.src}"',
    );
    // Before: refused, as if nothing wrote out/up.txt.
    const first = await rig.run('run');
    assert.equal(first.code, 0, show(first));
    assert.equal(rig.read('out/down.txt'), 'v1\n+up\n+down\n');

    rig.write('in.txt', 'v2\n');
    const second = await rig.run('run');
    assert.equal(second.code, 0, show(second));
    assert.deepEqual(rig.counts(), {down: 2, up: 2});
    assert.equal(rig.read('out/down.txt'), 'v2\n+up\n+down\n');
  });

  void test('reordering or repeating a list input reruns the job, and why says so', async (t) => {
    // The files are the same, so only their order tells the keys apart; a
    // concatenation built from scratch would be B then A.
    const rig = WorkspaceRig.create(t);
    rig.write('a.txt', 'A\n');
    rig.write('b.txt', 'B\n');
    const pipeline = (files: string) =>
      rig.pipeline(
        'steps:',
        '  cat:',
        '    task: files.concat',
        `    inputs: {files: [${files}]}`,
        '    outputs: {out: out/cat.txt}',
      );
    pipeline('a.txt, b.txt');
    assert.equal((await rig.run('run')).code, 0);
    assert.equal(rig.read('out/cat.txt'), 'A\nB\n');

    pipeline('b.txt, a.txt');
    const why = await rig.run('why', 'cat');
    assert.match(
      why.stdout,
      /input files lists its files in another order \(a\.txt b\.txt → b\.txt a\.txt\)/,
      show(why),
    );
    const reordered = await rig.run('run', '--json');
    assert.equal(outcomes(reordered)['cat'], 'ran', show(reordered));
    assert.equal(rig.read('out/cat.txt'), 'B\nA\n');

    pipeline('b.txt, a.txt, b.txt');
    const repeated = await rig.run('run', '--json');
    assert.equal(outcomes(repeated)['cat'], 'ran', show(repeated));
    assert.equal(rig.read('out/cat.txt'), 'B\nA\nB\n');
  });

  void test("why lists a job's own changes as well as the upstream job that runs first", async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('in.txt', 'x\n');
    const pipeline = (tag: string) =>
      rig.pipeline(
        'steps:',
        '  a:',
        '    inputs: {src: in.txt}',
        '    outputs: {out: a.txt}',
        '    shell: "sh tools/fake.sh a {outputs.out} {inputs.src}"',
        '  b:',
        '    inputs: {src: a.txt}',
        '    outputs: {out: b.txt}',
        `    shell: "sh tools/fake.sh b {outputs.out} {inputs.src} && echo ${tag} >> {outputs.out}"`,
      );
    pipeline('one');
    assert.equal((await rig.run('run')).code, 0);

    rig.write('in.txt', 'y\n');
    pipeline('two');
    const why = await rig.run('why', 'b');
    assert.equal(why.code, 0, show(why));
    assert.match(why.stdout, /command changed:/, why.stdout);
    assert.match(why.stdout, /upstream a will run first/, why.stdout);
    assert.doesNotMatch(why.stdout, /input src changed/, why.stdout);
  });

  void test('why lines up the later lines of a multi-line command', async (t) => {
    const rig = WorkspaceRig.create(t);
    const pipeline = (word: string) =>
      rig.pipeline(
        'steps:',
        '  many:',
        '    outputs: {out: many.txt}',
        '    shell: |',
        '      echo first > {outputs.out}',
        `      echo ${word} >> {outputs.out}`,
      );
    pipeline('one');
    assert.equal((await rig.run('run')).code, 0);

    pipeline('two');
    const why = await rig.run('why', 'many');
    assert.equal(why.code, 0, show(why));
    assert.ok(
      why.stdout.includes(
        [
          '      was: echo first > many.txt',
          '           echo one >> many.txt',
          '      now: echo first > many.txt',
          '           echo two >> many.txt',
        ].join('\n'),
      ),
      why.stdout,
    );
  });
});
