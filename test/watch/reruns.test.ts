/**
 * Watch mode reruns exactly what an edit affects (issue #3): an input's
 * downstream, a param's step and downstream, and nothing for a save that
 * changes no content. Every test runs with file-system events and with
 * `--poll`.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';

import {fanOut} from '../rig/fixtures.js';
import {
  changedPaths,
  endsIdle,
  ofType,
  saveUnchanged,
  startIdle,
  startWatch,
  started,
  STRATEGIES,
  touch,
} from '../rig/watch-rig.js';
import {WorkspaceRig} from '../rig/workspace-rig.js';

/**
 * The standard fan-out, where `post` also reads a global param and runs its
 * own script, `tools/post.sh` (a copy of `fake.sh`).
 */
function withParam(rig: WorkspaceRig, scale: number): void {
  for (const s of ['a', 'b', 'c']) rig.write(`in/${s}.txt`, `subject ${s}\n`);
  if (!rig.exists('tools/post.sh')) {
    rig.write('tools/post.sh', rig.read('tools/fake.sh'));
  }
  rig.pipeline(
    'params:',
    `  scale: ${scale}`,
    'steps:',
    '  up:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "out/{s}.up"}',
    '    shell: "sh tools/fake.sh up {outputs.out} {inputs.src}"',
    '  post:',
    '    for_each: {step: up}',
    '    inputs: {src: "out/{s}.up"}',
    '    outputs: {out: "out/{s}.post"}',
    '    params: {scale: "{params.scale}"}',
    '    shell: "sh tools/post.sh post {outputs.out} {inputs.src} && echo scale={params.scale} >> {outputs.out}"',
    '  all:',
    '    inputs: {parts: {from: post, output: out}}',
    '    outputs: {out: "out/all.txt"}',
    '    shell: "sh tools/fake.sh all {outputs.out} {inputs.parts}"',
  );
}

/** True once a cycle has run to its summary. */
const ranCycle = (events: readonly {type: string}[]) =>
  events.some((e) => e.type === 'run-end');

void describe('watch: what an edit reruns', {concurrency: 2}, () => {
  for (const strategy of STRATEGIES) {
    void test(`${strategy}: editing an input reruns exactly its downstream`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig);

      // The first cycle runs every job once.
      const {watch, first} = await startIdle(rig, strategy, '-j', '2');
      {
        assert.equal(started(first).length, 7, watch.dump());
        assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
      }

      // Editing b reruns up[b], post[b] and the gather, and nothing else.
      {
        const from = watch.mark();
        rig.write('in/b.txt', 'subject b, edited\n');
        const events = await watch.cycle(
          'the cycle for in/b.txt',
          from,
          ranCycle,
        );
        assert.deepEqual(changedPaths(events), new Set(['in/b.txt']));
        assert.deepEqual(
          started(events),
          ['up[s=b]', 'post[s=b]', 'all'],
          watch.dump(),
        );
        assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
        const [end] = ofType(events, 'run-end');
        assert.deepEqual([end?.['ran'], end?.['fresh']], [3, 4]);
        assert.match(rig.read('out/all.txt'), /subject b, edited/);
      }

      // A second edit, to another subject, is picked up the same way.
      {
        const from = watch.mark();
        rig.write('in/c.txt', 'subject c, edited\n');
        const events = await watch.cycle(
          'the cycle for in/c.txt',
          from,
          ranCycle,
        );
        assert.deepEqual(started(events), ['up[s=c]', 'post[s=c]', 'all']);
        assert.deepEqual(rig.counts(), {all: 3, post: 5, up: 5});
      }

      // Ctrl-C ends the session with success.
      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: editing a param or a script reruns its step and downstream`, async (t) => {
      const rig = WorkspaceRig.create(t);
      withParam(rig, 1);
      const {watch} = await startIdle(rig, strategy, '-j', '2');
      {
        assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
        assert.match(rig.read('out/a.post'), /scale=1/);
      }

      // scale: 1 → 2 reruns every post and the gather; no up job.
      {
        const from = watch.mark();
        withParam(rig, 2);
        const events = await watch.cycle(
          'the cycle for the param',
          from,
          ranCycle,
        );
        assert.ok(changedPaths(events).has('pipeline.yaml'), watch.dump());
        assert.deepEqual(
          started(events).sort(),
          ['all', 'post[s=a]', 'post[s=b]', 'post[s=c]'],
          watch.dump(),
        );
        assert.deepEqual(rig.counts(), {all: 2, post: 6, up: 3});
        assert.match(rig.read('out/a.post'), /scale=2/);
        assert.match(rig.read('out/all.txt'), /scale=2/);
      }

      // Back to 1: every post job is restored from the cache, none runs.
      {
        const from = watch.mark();
        withParam(rig, 1);
        const events = await watch.cycle(
          'the cycle for the revert',
          from,
          ranCycle,
        );
        assert.deepEqual(started(events), [], watch.dump());
        assert.deepEqual(rig.counts(), {all: 2, post: 6, up: 3});
        assert.match(rig.read('out/all.txt'), /scale=1/);
      }

      // Editing post's script (so that it writes something else) reruns
      // every post and the gather.
      {
        const from = watch.mark();
        const script = rig.read('tools/post.sh');
        rig.write('tools/post.sh', `${script}echo edited >> "$out"\n`);
        const events = await watch.cycle(
          'the cycle for the script',
          from,
          ranCycle,
        );
        // Polling may also report inputs whose access time changed; what
        // matters is that the script is seen and only its jobs start.
        assert.ok(changedPaths(events).has('tools/post.sh'), watch.dump());
        assert.deepEqual(
          started(events).sort(),
          ['all', 'post[s=a]', 'post[s=b]', 'post[s=c]'],
          watch.dump(),
        );
        assert.deepEqual(rig.counts(), {all: 3, post: 9, up: 3});
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: the last of a burst of quick saves is not lost`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig);
      const {watch} = await startIdle(rig, strategy, '-j', '2');

      // Eight saves 15 ms apart (a save and the formatter's save after it,
      // a checkout): the file watcher may report only some of them, but
      // the last content must reach the outputs, and only a's jobs run.
      {
        const from = watch.mark();
        for (let i = 1; i <= 8; i++) {
          rig.write('in/a.txt', `subject a, save ${i}\n`);
          await sleep(15);
        }
        const events = await watch.until(
          'the last save to reach out/all.txt',
          from,
          (e) => endsIdle(e) && rig.read('out/all.txt').includes('save 8'),
          5000,
        );
        assert.equal(rig.read('out/a.up'), 'subject a, save 8\n+up\n');
        const others = started(events).filter((j) => !j.endsWith('[s=a]'));
        assert.deepEqual(new Set(others), new Set(['all']), watch.dump());
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a save right after a quick cycle is not lost`, async (t) => {
      const rig = WorkspaceRig.create(t);
      withParam(rig, 1);
      const good = rig.read('pipeline.yaml');
      const {watch} = await startIdle(rig, strategy, '-j', '2');

      // Three times: a broken save makes a cycle that only reads
      // pipeline.yaml, so it ends a few ms after the debounce, well within
      // the 50 ms in which chokidar drops a second change of the same file.
      // The corrected save (with a new scale), made the moment the
      // diagnostics arrive, must still start a cycle that runs the param's
      // jobs.
      for (const scale of [2, 3, 4]) {
        const broken = watch.mark();
        rig.write('pipeline.yaml', 'steps: [\n');
        await watch.until(
          'the diagnostics',
          broken,
          (e) => e.some((x) => x.type === 'diagnostics'),
          10_000,
          1,
        );
        const from = watch.mark();
        rig.write('pipeline.yaml', good.replace('scale: 1', `scale: ${scale}`));
        const events = await watch.cycle(
          `the corrected save (scale ${scale})`,
          from,
          ranCycle,
          5000,
        );
        assert.deepEqual(
          started(events).sort(),
          ['all', 'post[s=a]', 'post[s=b]', 'post[s=c]'],
          watch.dump(),
        );
        assert.match(rig.read('out/all.txt'), new RegExp(`scale=${scale}`));
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a save the moment a fresh session says it is idle is not lost`, async (t) => {
      // Three times over, a workspace already up to date: the first cycle
      // runs nothing and ends within milliseconds of starting to watch.
      // The session must not say it is idle before the watcher has its
      // files, or an edit made at once is never seen.
      for (const round of [1, 2, 3]) {
        const rig = WorkspaceRig.create(t);
        fanOut(rig);
        assert.equal((await rig.run('run')).code, 0);
        const watch = startWatch(rig, strategy);
        const events = await watch.until(
          'the session to say it is idle',
          0,
          endsIdle,
          10_000,
          1,
        );
        rig.write('in/b.txt', `subject b, round ${round}\n`);
        assert.deepEqual(started(events), [], watch.dump());
        const after = await watch.cycle(
          'the cycle for in/b.txt',
          events.length,
          ranCycle,
          5000,
        );
        assert.deepEqual(
          started(after),
          ['up[s=b]', 'post[s=b]', 'all'],
          watch.dump(),
        );
        assert.equal((await watch.stop()).code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a save that changes no content runs nothing`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig);
      const {watch} = await startIdle(rig, strategy, '-j', '2');
      const before = rig.counts();

      // Touch b, save a and pipeline.yaml with the same bytes, and add a
      // comment to pipeline.yaml: each is seen, and no job starts.
      {
        const from = watch.mark();
        touch(rig, 'in/b.txt');
        saveUnchanged(rig, 'in/a.txt');
        saveUnchanged(rig, 'tools/fake.sh');
        rig.write('pipeline.yaml', `# a comment\n${rig.read('pipeline.yaml')}`);
        await watch.cycle('cycles for the unchanged saves', from, (e) => {
          const paths = changedPaths(e);
          return ['in/a.txt', 'tools/fake.sh', 'pipeline.yaml'].every((p) =>
            paths.has(p),
          );
        });
        // A touch may be seen a poll later than the renames.
        const events = await watch.quiet(from);
        assert.deepEqual(started(events), [], watch.dump());
        assert.deepEqual(ofType(events, 'job-failed'), []);
        assert.deepEqual(rig.counts(), before);
      }

      // The session still reacts to a real edit, with exactly its jobs.
      {
        const from = watch.mark();
        rig.write('in/c.txt', 'subject c, edited\n');
        const events = await watch.cycle(
          'the cycle for in/c.txt',
          from,
          ranCycle,
        );
        assert.deepEqual(started(events), ['up[s=c]', 'post[s=c]', 'all']);
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });
  }
});
