import assert from 'node:assert/strict';
import {mkdirSync, utimesSync} from 'node:fs';
import {describe, test} from 'node:test';

import {
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

void describe(
  'outputs that are not plain files',
  {concurrency: FILE_CONCURRENCY},
  () => {
    void test('a job that writes a directory as its output fails, says so and leaves no temporary', async (t) => {
      const rig = WorkspaceRig.create(t);
      rig.pipeline(
        'steps:',
        '  dir:',
        '    outputs: {out: out/d}',
        '    shell: "sh tools/fake.sh dir scratch.txt && mkdir -p {outputs.out} && echo hi > {outputs.out}/f"',
      );
      for (let run = 1; run <= 2; run++) {
        const result = await rig.run('run');
        assert.equal(result.code, 1, show(result));
        assert.match(
          result.stderr + result.stdout,
          /wrote output "out" \(out\/d\) as a directory, not a regular file/,
        );
        // Each attempt's temporary directory went with its failure.
        assert.deepEqual(rig.tempFiles(), [], `run ${run}`);
      }
      assert.deepEqual(rig.counts(), {dir: 2});
    });

    void test('a command that writes its output path itself is told to use {outputs.NAME}', async (t) => {
      const rig = WorkspaceRig.create(t);
      rig.write('out/lazy.txt', 'from before\n');
      rig.pipeline(
        'steps:',
        '  direct:',
        '    outputs: {out: out/direct.txt}',
        '    shell: "sh tools/fake.sh direct out/direct.txt"',
        '  lazy:',
        '    outputs: {out: out/lazy.txt}',
        '    shell: "true"',
      );
      const result = await rig.run('run', '-k');
      assert.equal(result.code, 1, show(result));
      const text = result.stderr + result.stdout;
      assert.match(
        text,
        /direct: missing-output: wrote out\/direct\.txt itself instead of output "out": write each output to the path \{outputs\.out\} gives/,
      );
      // An old file there is not taken for one the job wrote.
      assert.match(
        text,
        /lazy: missing-output: finished without writing output "out" \(out\/lazy\.txt\)/,
      );
      // What the failed job wrote is not left as if it were its output;
      // the old file it did not touch stays.
      assert.ok(!rig.exists('out/direct.txt'));
      assert.match(
        text,
        /warning: direct: removed out\/direct\.txt, which the failed job wrote itself/,
      );
      assert.equal(rig.read('out/lazy.txt'), 'from before\n');
    });

    void test('a failed job that wrote its final path itself leaves the last good version there', async (t) => {
      const rig = WorkspaceRig.create(t);
      const pipeline = (command: string) =>
        rig.pipeline(
          'steps:',
          '  fit:',
          '    outputs: {out: out/fit.txt}',
          `    shell: "${command}"`,
        );
      pipeline('sh tools/fake.sh fit {outputs.out}');
      assert.equal((await rig.run('run')).code, 0);

      // The edit writes the final path, half-way, then fails.
      pipeline('echo half-written > out/fit.txt && false');
      const failed = await rig.run('run');
      assert.equal(failed.code, 1, show(failed));
      assert.equal(rig.read('out/fit.txt'), '+fit\n');
      assert.match(
        failed.stderr,
        /warning: fit: put back out\/fit\.txt as it was before the failed job/,
      );
      assert.deepEqual(rig.tempFiles(), []);
    });

    void test('after a failure, files the job did not create or that are not ours are left alone', async (t) => {
      const rig = WorkspaceRig.create(t);
      const pipeline = (command: string, output = 'out.txt') =>
        rig.pipeline(
          'steps:',
          '  a:',
          `    outputs: {x: ${output}}`,
          `    shell: "${command}"`,
        );

      // A file of the user's at the output path, appended to: kept.
      rig.write('out.txt', 'precious\n');
      pipeline('echo appended >> out.txt; exit 1');
      const appended = await rig.run('run');
      assert.equal(appended.code, 1, show(appended));
      assert.equal(rig.read('out.txt'), 'precious\nappended\n');
      assert.match(
        appended.stderr,
        /warning: a: out\.txt was changed by the failed job and is left as it is/,
      );

      // One the job did not touch, with a time in the future: kept, quietly.
      rig.write('out.txt', 'precious\n');
      const future = new Date(Date.now() + 3_600_000);
      utimesSync(rig.path('out.txt'), future, future);
      pipeline('exit 1');
      const untouched = await rig.run('run');
      assert.equal(untouched.code, 1, show(untouched));
      assert.equal(rig.read('out.txt'), 'precious\n');
      assert.doesNotMatch(untouched.stderr, /warning/);

      // A path that held nothing before gets nothing back: not another
      // path's old content.
      pipeline('echo partial > result.csv; exit 1', 'result.csv');
      const created = await rig.run('run');
      assert.equal(created.code, 1, show(created));
      assert.ok(!rig.exists('result.csv'));
    });

    void test('an output whose path is held by a directory: a clear error, then a restore once it is moved', async (t) => {
      const rig = WorkspaceRig.create(t);
      rig.pipeline(
        'steps:',
        '  two:',
        '    outputs: {a: out/a.txt, b: out/b.txt}',
        '    shell: "sh tools/fake.sh two {outputs.a} && sh tools/fake.sh two {outputs.b}"',
      );
      mkdirSync(rig.path('out/b.txt/sub'), {recursive: true});
      const blocked = await rig.run('run');
      assert.equal(blocked.code, 1, show(blocked));
      assert.match(
        blocked.stderr + blocked.stdout,
        /cannot put output "b" in place: out\/b\.txt is a directory; move it away/,
      );

      // The job finished and its outputs are in the store: nothing reruns.
      rig.remove('out/b.txt');
      const after = await rig.run('run', '--json');
      assert.equal(after.code, 0, show(after));
      assert.equal(outcomes(after)['two'], 'restored');
      assert.equal(rig.read('out/b.txt'), '+two\n');
      assert.equal(rig.count('two'), 2);
      assert.deepEqual(rig.tempFiles(), []);
    });
  },
);
