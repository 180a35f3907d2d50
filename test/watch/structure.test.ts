/**
 * Watch mode follows changes to the pipeline's shape (issue #3): a broken
 * pipeline.yaml is reported and watching goes on; files matching a
 * `for_each` glob add jobs, and deleting them removes the jobs. Every test
 * runs with file-system events and with `--poll`.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {fanOut} from '../rig/fixtures.js';
import {
  changedPaths,
  ofType,
  startIdle,
  started,
  STRATEGIES,
} from '../rig/watch-rig.js';
import {WorkspaceRig, type RigEvent} from '../rig/workspace-rig.js';

/**
 * A BIDS-like layout: `data/sub-{s}/anat.txt` per subject → mask[s] →
 * `derived/sub-{s}/mask.txt`, and `group` gathering every mask.
 */
function subjects(rig: WorkspaceRig, names: readonly string[]): void {
  for (const s of names) rig.write(`data/sub-${s}/anat.txt`, `anat ${s}\n`);
  rig.pipeline(
    'steps:',
    '  mask:',
    '    for_each: {glob: "data/sub-{s}/anat.txt"}',
    '    inputs: {anat: "data/sub-{s}/anat.txt"}',
    '    outputs: {mask: "derived/sub-{s}/mask.txt"}',
    '    shell: "sh tools/fake.sh mask {outputs.mask} {inputs.anat}"',
    '  group:',
    '    inputs: {masks: {from: mask, output: mask}}',
    '    outputs: {out: derived/group.txt}',
    '    shell: "sh tools/fake.sh group {outputs.out} {inputs.masks}"',
  );
}

const ranCycle = (events: readonly RigEvent[]) =>
  events.some((e) => e.type === 'run-end');

/** The `jobs` count of the (single) plan event among `events`. */
function planned(events: readonly RigEvent[]): unknown {
  const plans = ofType(events, 'plan');
  assert.equal(plans.length, 1, `plans: ${JSON.stringify(plans)}`);
  return plans[0]?.['jobs'];
}

void describe('watch: the pipeline changes shape', {concurrency: 2}, () => {
  for (const strategy of STRATEGIES) {
    void test(`${strategy}: a broken pipeline.yaml is reported and watching goes on`, async (t) => {
      const rig = WorkspaceRig.create(t);
      const good = fanOut(rig);
      const {watch} = await startIdle(rig, strategy, '-j', '2');
      const before = rig.counts();

      // A YAML syntax error: a diagnostic, no plan, no job, still running.
      {
        const from = watch.mark();
        rig.write(
          'pipeline.yaml',
          good.replace('"in/{s}.txt"}', '"in/{s}.txt}'),
        );
        const events = await watch.cycle('the diagnostics', from, (e) =>
          e.some((x) => x.type === 'diagnostics'),
        );
        const [report] = ofType(events, 'diagnostics');
        const diagnostics = report?.['diagnostics'];
        assert.ok(Array.isArray(diagnostics) && diagnostics.length > 0);
        assert.deepEqual(ofType(events, 'plan'), []);
        assert.deepEqual(started(events), []);
        assert.equal(watch.exited, undefined, watch.dump());
      }

      // A valid file with a checking error (an unknown key) is reported the
      // same way, pointing at the key.
      {
        const from = watch.mark();
        const text = good.replace(
          '    shell: "sh tools/fake.sh all',
          '    shel: "sh tools/fake.sh all',
        );
        rig.write('pipeline.yaml', text);
        const events = await watch.cycle(
          'the unknown-key diagnostic',
          from,
          (e) => e.some((x) => x.type === 'diagnostics'),
        );
        assert.match(JSON.stringify(ofType(events, 'diagnostics')), /shel/);
        assert.deepEqual(started(events), []);
      }

      // An input edited while the file is broken is not lost: fixing the
      // file runs exactly that input's downstream.
      {
        const from = watch.mark();
        rig.write('in/a.txt', 'subject a, edited\n');
        await watch.cycle('the edit while broken', from, (e) =>
          changedPaths(e).has('in/a.txt'),
        );
        assert.deepEqual(rig.counts(), before);
        const fixed = watch.mark();
        rig.write('pipeline.yaml', good);
        const events = await watch.cycle(
          'the cycle after the fix',
          fixed,
          ranCycle,
        );
        assert.deepEqual(
          started(events),
          ['up[s=a]', 'post[s=a]', 'all'],
          watch.dump(),
        );
        assert.equal(ofType(events, 'run-end')[0]?.['failed'], 0);
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a new subject's file adds its jobs, which run`, async (t) => {
      const rig = WorkspaceRig.create(t);
      subjects(rig, ['01', '02']);
      const {watch, first} = await startIdle(rig, strategy, '-j', '2');
      {
        assert.equal(planned(first), 3);
        assert.deepEqual(rig.counts(), {group: 1, mask: 2});
      }

      // A new subject directory with its file: mask[s=03] appears and runs,
      // and the gather takes it in.
      {
        const from = watch.mark();
        rig.write('data/sub-03/anat.txt', 'anat 03\n');
        const events = await watch.cycle('the new subject', from, ranCycle);
        assert.equal(planned(events), 4);
        assert.deepEqual(
          started(events),
          ['mask[s=03]', 'group'],
          watch.dump(),
        );
        assert.match(rig.read('derived/group.txt'), /anat 03/);
        assert.deepEqual(rig.counts(), {group: 2, mask: 3});
      }

      // The new file is watched from now on like the others.
      {
        const from = watch.mark();
        rig.write('data/sub-03/anat.txt', 'anat 03, edited\n');
        const events = await watch.cycle(
          'the edit of the new file',
          from,
          ranCycle,
        );
        assert.deepEqual(
          started(events),
          ['mask[s=03]', 'group'],
          watch.dump(),
        );
        assert.match(rig.read('derived/group.txt'), /anat 03, edited/);
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: deleting a subject's file removes its job without failing`, async (t) => {
      const rig = WorkspaceRig.create(t);
      subjects(rig, ['01', '02', '03']);
      const {watch} = await startIdle(rig, strategy, '-j', '2');

      // Deleting sub-02 leaves two mask jobs; only the gather reruns, and
      // nothing fails over the missing file. (The directory and the file
      // may come as two cycles: the watcher holds a deletion back 100 ms in
      // case it is an editor's delete-and-recreate.)
      {
        const from = watch.mark();
        rig.remove('data/sub-02');
        const events = await watch.cycle('the deletion', from, (e) =>
          changedPaths(e).has('data/sub-02/anat.txt'),
        );
        const plans = ofType(events, 'plan');
        assert.equal(plans.at(-1)?.['jobs'], 3, watch.dump());
        assert.deepEqual(started(events), ['group'], watch.dump());
        assert.deepEqual(ofType(events, 'job-failed'), []);
        for (const end of ofType(events, 'run-end')) {
          assert.equal(end['failed'], 0);
        }
        assert.doesNotMatch(rig.read('derived/group.txt'), /anat 02/);
        assert.match(rig.read('derived/group.txt'), /anat 01[^]*anat 03/);
      }

      // The remaining subjects are still watched.
      {
        const from = watch.mark();
        rig.write('data/sub-01/anat.txt', 'anat 01, edited\n');
        const events = await watch.cycle(
          'an edit after the deletion',
          from,
          ranCycle,
        );
        assert.deepEqual(started(events), ['mask[s=01]', 'group']);
        assert.deepEqual(rig.counts(), {group: 3, mask: 4});
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a deleted input, created again later, is still watched`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig, ['a']);
      const {watch} = await startIdle(rig, strategy);
      {
        const from = watch.mark();
        rig.remove('in/a.txt');
        await watch.cycle('the cycle after the delete', from, (e) =>
          changedPaths(e).has('in/a.txt'),
        );
      }
      // Created again, then edited: each is seen.
      for (const content of ['subject a, back\n', 'subject a, edited\n']) {
        const from = watch.mark();
        rig.write('in/a.txt', content);
        const events = await watch.cycle(
          'a cycle for in/a.txt',
          from,
          ranCycle,
        );
        assert.ok(started(events).includes('up[s=a]'), watch.dump());
        assert.equal(rig.read('out/a.up'), `${content}+up\n`);
      }
      await watch.stop();
    });

    void test(`${strategy}: files a pipeline that does not plan is missing start a cycle when they appear`, async (t) => {
      const rig = WorkspaceRig.create(t);
      rig.pipeline(
        'steps:',
        '  each:',
        '    for_each: {glob: "raw/{n}.txt"}',
        '    inputs: {src: "raw/{n}.txt", cfg: cfg.txt}',
        '    outputs: {out: "out/{n}.txt"}',
        '    shell: "sh tools/fake.sh each {outputs.out} {inputs.src} {inputs.cfg}"',
        '  tool:',
        '    outputs: {out: out/tool.txt}',
        '    shell: "sh tools/late.sh {outputs.out}"',
      );
      // The glob's directory does not exist yet either.
      const {watch, first} = await startIdle(rig, strategy);
      assert.match(JSON.stringify(first), /matches no files|no file matches/);
      {
        // The glob's first file: still not enough (cfg.txt is missing).
        const from = watch.mark();
        rig.write('raw/r1.txt', 'r1\n');
        const events = await watch.cycle('the glob file', from, (e) =>
          e.some((x) => x.type === 'diagnostics'),
        );
        assert.match(JSON.stringify(events), /cfg\.txt/);
      }
      {
        const from = watch.mark();
        rig.write('cfg.txt', 'cfg\n');
        const events = await watch.cycle('the input', from, ranCycle);
        assert.ok(started(events).includes('each[n=r1]'), watch.dump());
      }
      {
        // A script the command names, written only now.
        const from = watch.mark();
        rig.write('tools/late.sh', 'echo late > "$1"\n');
        const events = await watch.cycle('the script', from, (e) =>
          started(e).includes('tool'),
        );
        assert.ok(ranCycle(events));
        assert.equal(rig.read('out/tool.txt'), 'late\n');
      }
      await watch.stop();
    });
  }
});
