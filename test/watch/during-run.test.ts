/**
 * Watch mode while jobs run and fail (issue #3): edits that arrive during a
 * run are queued for the next cycle and none is lost; a failed job does not
 * end the session and is retried only when its key changes. Every test
 * runs with file-system events and with `--poll`.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {fanOut} from '../rig/fixtures.js';
import {
  addWatchTools,
  ofType,
  saveUnchanged,
  startIdle,
  startWatch,
  started,
  STRATEGIES,
} from '../rig/watch-rig.js';
import {WorkspaceRig, type RigEvent} from '../rig/workspace-rig.js';

/**
 * The standard fan-out next to `hold` (reads hold/src.txt, waits for the
 * gate `go`) and `after` (reads hold's output).
 */
function withHold(rig: WorkspaceRig): void {
  addWatchTools(rig);
  rig.write('hold/src.txt', 'hold v1\n');
  const text = fanOut(rig);
  rig.write(
    'pipeline.yaml',
    [
      text.trimEnd(),
      '  hold:',
      '    inputs: {src: hold/src.txt}',
      '    outputs: {out: out/hold.txt}',
      '    shell: "sh tools/hold.sh hold {outputs.out} go {inputs.src}"',
      '  after:',
      '    inputs: {src: out/hold.txt}',
      '    outputs: {out: out/after.txt}',
      '    shell: "sh tools/fake.sh after {outputs.out} {inputs.src}"',
      '',
    ].join('\n'),
  );
}

/** Job ids of the `job-done` events among `events`. */
function done(events: readonly RigEvent[]): string[] {
  return ofType(events, 'job-done').map((e) => String(e.job));
}

/** The events after the first `run-end` among `events`. */
function afterFirstRun(events: readonly RigEvent[]): RigEvent[] {
  const end = events.findIndex((e) => e.type === 'run-end');
  return end === -1 ? [] : events.slice(end + 1);
}

const ranCycle = (events: readonly RigEvent[]) =>
  events.some((e) => e.type === 'run-end');

void describe(
  'watch: edits during a run, and failures',
  {concurrency: 2},
  () => {
    for (const strategy of STRATEGIES) {
      void test(`${strategy}: edits during a run are queued for the next cycle`, async (t) => {
        const rig = WorkspaceRig.create(t);
        withHold(rig);
        const watch = startWatch(rig, strategy, '-j', '4');

        // The first run: everything but hold finishes; hold waits at its gate.
        {
          await watch.until('hold running, the rest done', 0, (e) => {
            const ended = done(e);
            return (
              started(e).includes('hold') &&
              ['a', 'b', 'c'].every((s) => ended.includes(`post[s=${s}]`))
            );
          });
          assert.equal(rig.count('hold'), 1);
        }

        // Edit an input of a finished job and the input of the running one:
        // the session says the change is queued and does not cancel the run.
        const edited = watch.mark();
        {
          rig.write('in/a.txt', 'subject a, edited\n');
          rig.write('hold/src.txt', 'hold v2\n');
          const events = await watch.until('a queued change', edited, (e) =>
            e.some((x) => x.type === 'watch-change' && x['queued'] === true),
          );
          assert.deepEqual(ofType(events, 'plan'), []);
          assert.deepEqual(ofType(events, 'job-failed'), []);
        }

        // Let hold finish: the first run completes as it was, then the next
        // cycle reruns what both edits affect, exactly once each. hold read
        // v1 when it started, so it runs again (and after with it).
        {
          rig.openGate('go');
          const events = await watch.cycle('the queued cycle', edited, (e) => {
            const next = started(afterFirstRun(e));
            return next.includes('up[s=a]') && next.includes('hold');
          });
          const first = events.slice(
            0,
            events.length - afterFirstRun(events).length,
          );
          const [end] = ofType(first, 'run-end');
          assert.equal(end?.['interrupted'], false, watch.dump());
          assert.ok(done(first).includes('hold'), watch.dump());
          assert.deepEqual(
            started(afterFirstRun(events)).sort(),
            ['after', 'all', 'hold', 'post[s=a]', 'up[s=a]'],
            watch.dump(),
          );
          assert.match(rig.read('out/hold.txt'), /hold v2/);
          assert.match(rig.read('out/after.txt'), /hold v2/);
          assert.match(rig.read('out/all.txt'), /subject a, edited/);
          assert.deepEqual(rig.counts(), {
            after: 2,
            all: 2,
            hold: 2,
            post: 4,
            up: 4,
          });
        }

        // Nothing more was pending: no further cycle starts.
        {
          const from = watch.mark();
          const events = await watch.quiet(from);
          assert.deepEqual(events, [], watch.dump());
        }

        {
          const result = await watch.stop();
          assert.equal(result.code, 0, watch.dump());
        }
      });

      void test(`${strategy}: a failed job keeps watching and waits for its input to change`, async (t) => {
        const rig = WorkspaceRig.create(t);
        fanOut(rig);
        const {watch} = await startIdle(rig, strategy, '-j', '2');

        // up[a] is told to fail: its downstream is skipped, the session
        // reports the failure and goes back to watching.
        {
          const from = watch.mark();
          rig.write('in/a.txt', 'subject a: FAIL\n');
          const events = await watch.cycle('the failing cycle', from, ranCycle);
          assert.deepEqual(
            ofType(events, 'job-failed').map((e) => [e.job, e.reason]),
            [['up[s=a]', 'exit-non-zero']],
          );
          assert.equal(ofType(events, 'run-end')[0]?.['failed'], 1);
          assert.equal(watch.exited, undefined);
          // The failed attempt's partial output went nowhere: the last good
          // output stays.
          assert.equal(rig.read('out/a.up'), 'subject a\n+up\n');
          assert.deepEqual(rig.tempFiles(), []);
        }

        // Editing b reruns b's jobs; up[a] is not retried, since nothing it
        // reads has changed.
        {
          const from = watch.mark();
          rig.write('in/b.txt', 'subject b, edited\n');
          const events = await watch.cycle('the cycle for b', from, ranCycle);
          assert.deepEqual(
            started(events),
            ['up[s=b]', 'post[s=b]'],
            watch.dump(),
          );
          assert.deepEqual(rig.runs('up').slice(3), ['up[s=a]', 'up[s=b]']);
          assert.match(rig.read('out/b.post'), /subject b, edited/);
        }

        // Saving a's file unchanged does not retry it either.
        {
          const from = watch.mark();
          saveUnchanged(rig, 'in/a.txt');
          const events = await watch.cycle('the cycle for a', from, ranCycle);
          assert.deepEqual(started(events), [], watch.dump());
          assert.equal(rig.count('up'), 5);
        }

        // Fixing a's input reruns it and everything it holds up.
        {
          const from = watch.mark();
          rig.write('in/a.txt', 'subject a, fixed\n');
          const events = await watch.cycle('the fixed cycle', from, ranCycle);
          assert.deepEqual(
            started(events),
            ['up[s=a]', 'post[s=a]', 'all'],
            watch.dump(),
          );
          assert.equal(ofType(events, 'run-end')[0]?.['failed'], 0);
          assert.match(rig.read('out/all.txt'), /subject a, fixed/);
          assert.match(rig.read('out/all.txt'), /subject b, edited/);
        }

        {
          const result = await watch.stop();
          assert.equal(result.code, 0, watch.dump());
        }
      });
    }
  },
);
