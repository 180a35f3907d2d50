import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {nativeLauncher} from '../../src/execution/launcher-native.js';
import {pythonLauncher} from '../../src/execution/launcher-python.js';
import {fanOut, spanStep} from '../rig/fixtures.js';
import {assertAlone, assertSpans, spans} from '../rig/spans.js';
import {
  FILE_CONCURRENCY,
  outcomes,
  runEnd,
  show,
  waitFor,
  WorkspaceRig,
} from '../rig/workspace-rig.js';

/**
 * Jobs queued behind running ones (ActionRequest.behind), end to end, with
 * each launcher that can queue (Python, native) from the run's first job.
 * Where the kernel has no pidfds these runs take the ordinary way and must
 * give the same results, so the tests hold either way.
 */
const KINDS = [
  {
    kind: 'python',
    skip:
      (await pythonLauncher(process.env)) === undefined && 'no Python 3.8 here',
  },
  {
    kind: 'native',
    skip: nativeLauncher() === undefined && 'no native launcher built here',
  },
] as const;

for (const {kind, skip} of KINDS) {
  /** A rig whose runs use this kind of launcher only. */
  const rigFor = (t: Parameters<typeof WorkspaceRig.create>[0]) => {
    const rig = WorkspaceRig.create(t);
    rig.env['NEUROMAKE_LAUNCHER'] = kind;
    return rig;
  };

  void describe(
    `jobs queued behind others (${kind})`,
    {concurrency: FILE_CONCURRENCY, skip},
    () => {
      // Note: the native launcher starts only where the kernel has pidfds;
      // Python (3.9 here or later) then queues too.
      void test(
        'jobs do wait behind others, and each starts once',
        {skip: nativeLauncher() === undefined && 'no pidfds known here'},
        async (t) => {
          const rig = rigFor(t);
          fanOut(rig, ['a', 'b', 'c', 'd', 'e', 'f']);
          const result = await rig.run('run', '-j', '1', '--json');
          assert.equal(result.code, 0, show(result));
          const starts = result.events.filter((e) => e['type'] === 'job-start');
          const ids = starts.map((e) => String(e['job']));
          assert.equal(ids.length, 13, show(result));
          assert.equal(new Set(ids).size, 13, 'a job started twice');
          assert.ok(
            starts.some((e) => e['behind'] === true),
            `no job waited behind another:\n${show(result)}`,
          );
        },
      );

      void test('without -k, no job starts after a failure', async (t) => {
        const rig = rigFor(t);
        fanOut(rig, ['a', 'b', 'c', 'd']);
        rig.write('in/a.txt', 'subject a: FAIL\n');
        const result = await rig.run('run', '-j', '1', '--json');
        assert.equal(result.code, 1, show(result));
        // With one slot, up[s=b] waits behind up[s=a]: it must be dropped
        // when a fails, not started.
        assert.deepEqual(rig.runs('up'), ['up[s=a]']);
        assert.equal(rig.count('post'), 0);
        assert.equal(runEnd(result)['ran'], 0);
        assert.deepEqual(rig.tempFiles(), []);
      });

      void test('with -k, jobs dropped behind a failure run later, once', async (t) => {
        const rig = rigFor(t);
        fanOut(rig, ['a', 'b', 'c', 'd']);
        rig.write('in/a.txt', 'subject a: FAIL\n');
        const result = await rig.run('run', '-k', '-j', '1', '--json');
        assert.equal(result.code, 1, show(result));
        assert.deepEqual(rig.runs('up').sort(), [
          'up[s=a]',
          'up[s=b]',
          'up[s=c]',
          'up[s=d]',
        ]);
        assert.deepEqual(rig.runs('post').sort(), [
          'post[s=b]',
          'post[s=c]',
          'post[s=d]',
        ]);
        assert.equal(rig.count('all'), 0);
        const done = outcomes(result);
        assert.equal(done['up[s=b]'], 'ran');
        assert.equal(done['post[s=d]'], 'ran');
      });

      void test('budgets hold while jobs wait behind others', async (t) => {
        const rig = rigFor(t);
        rig.pipeline(
          'steps:',
          ...spanStep('narrow', 8, 0.1),
          ...spanStep('wide', 2, 0.1, '{cpus: 2}'),
        );
        const result = await rig.run('run', '-j', '2', '--json');
        assert.equal(result.code, 0, show(result));
        const text = assertSpans(rig, 2, 10);
        // A wide job (both cpus) never overlaps another job.
        assertAlone(spans(text), 'wide');
      });

      void test('no job waits behind an attempt that may be retried', async (t) => {
        const rig = rigFor(t);
        // first: its first attempt exits 0 without its output (a failure
        // found after the process ended), its retry writes it. A job queued
        // behind the first attempt would run beside the retry on one slot.
        rig.pipeline(
          'steps:',
          '  first:',
          '    outputs: {out: "first.txt"}',
          '    retries: 1',
          '    shell: "sh tools/span.sh spans {outputs.out} 0.2; if [ ! -e tried ]; then touch tried; rm {outputs.out}; fi"',
          ...spanStep('rest', 3, 0.1),
        );
        const result = await rig.run('run', '-j', '1', '--json');
        assert.equal(result.code, 0, show(result));
        // first twice, rest once each, never two at once.
        assertSpans(rig, 1, 5);
      });

      void test('a job waiting behind a long one is taken back when a slot frees', async (t) => {
        const rig = rigFor(t);
        // long runs first (it goes first by its index), quick beside it;
        // then later is queued behind one of them. If it waited behind long
        // it would finish after long looked for it.
        rig.pipeline(
          'steps:',
          '  long:',
          '    outputs: {out: "long.txt"}',
          '    shell: "sleep 1.5; if [ -e later.txt ]; then echo early; else echo late; fi > {outputs.out}"',
          '  quick:',
          '    outputs: {out: "quick.txt"}',
          '    shell: "echo quick > {outputs.out}"',
          '  later:',
          '    outputs: {out: "later.txt"}',
          '    shell: "echo later > {outputs.out}"',
        );
        const result = await rig.run('run', '-j', '2', '--json');
        assert.equal(result.code, 0, show(result));
        assert.equal(rig.read('long.txt'), 'early\n');
        assert.equal(rig.read('later.txt'), 'later\n');
        const rerun = await rig.run('run', '-j', '2', '--json');
        assert.equal(runEnd(rerun)['ran'], 0, 'each job recorded once');
      });

      void test('SIGINT drops the jobs waiting behind the running one', async (t) => {
        const rig = rigFor(t);
        rig.pipeline(
          'steps:',
          '  gated:',
          '    outputs: {out: "gated.txt"}',
          '    shell: "sh tools/gate.sh gated {outputs.out} never"',
          '  next:',
          '    for_each: {matrix: {i: [1, 2]}}',
          '    outputs: {out: "next/{i}.txt"}',
          '    shell: "sh tools/fake.sh next {outputs.out}"',
        );
        const running = rig.start('run', '-j', '1', '--json');
        await waitFor('the gated job', () => rig.count('gated') === 1);
        running.child.kill('SIGINT');
        const stopped = await running.done;
        assert.equal(stopped.code, 130, show(stopped));
        assert.equal(rig.count('next'), 0, 'a queued job started after SIGINT');
        // Both waited behind the gated job: they count as not reached, and
        // so does the gated job, stopped by the interrupt.
        assert.equal(runEnd(stopped)['skipped'], 3, show(stopped));
        assert.equal(rig.exists('.neuromake/logs/next[i=1].log'), false);
        assert.deepEqual(rig.tempFiles(), []);

        rig.openGate('never');
        const rerun = await rig.run('run', '-j', '1', '--json');
        assert.equal(rerun.code, 0, show(rerun));
        assert.equal(rig.count('next'), 2);
      });
    },
  );
}
