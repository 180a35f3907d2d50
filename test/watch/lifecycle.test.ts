/**
 * How a watch session ends and what it never reacts to (issue #3): Ctrl-C
 * exits with success and leaves no half-written output and no lock; the
 * files a run writes never start another cycle. Every test runs with
 * file-system events and with `--poll`.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {describe, test} from 'node:test';

import {fanOut} from '../rig/fixtures.js';
import {
  changedPaths,
  ofType,
  startIdle,
  startWatch,
  started,
  STRATEGIES,
} from '../rig/watch-rig.js';
import {show, WorkspaceRig, type RigEvent} from '../rig/workspace-rig.js';

const ranCycle = (events: readonly RigEvent[]) =>
  events.some((e) => e.type === 'run-end');

/**
 * The live (not zombie) processes of a process group. Zombies are left out:
 * where pid 1 does not reap orphans (a bare container), a killed job's
 * processes linger as zombies, which hold no files and use no CPU.
 */
function liveMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Gone meanwhile.
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(entry));
  }
  return out;
}

void describe('watch: stopping, and outputs', {concurrency: 2}, () => {
  for (const strategy of STRATEGIES) {
    void test(`${strategy}: Ctrl-C during a run exits cleanly`, async (t) => {
      const rig = WorkspaceRig.create(t);
      rig.write('in/x.txt', 'x\n');
      rig.pipeline(
        'steps:',
        '  slow:',
        '    inputs: {src: in/x.txt}',
        '    outputs: {out: out/slow.txt}',
        '    shell: "sh tools/slow.sh slow {outputs.out} 30 {inputs.src}"',
      );
      const watch = startWatch(rig, strategy);

      // slow.sh has written a partial output and sleeps; the workspace is
      // locked.
      {
        await watch.until('slow to start', 0, (e) =>
          started(e).includes('slow'),
        );
        await watch.until(
          'the partial output',
          0,
          () => rig.count('slow') === 1,
        );
        assert.equal(rig.tempFiles().length, 1, rig.walk().join('\n'));
        assert.ok(rig.exists('.neuromake/lock'));
        const pgid = Number(rig.countsFile('slow.pgid').trim());
        assert.notDeepEqual(liveMembers(pgid), []);
      }

      // SIGINT: exit code 0, soon, and nothing is left behind: no temporary
      // file, no output, no lock, no job process.
      {
        const pgid = Number(rig.countsFile('slow.pgid').trim());
        const result = await watch.stop('SIGINT', 5000);
        assert.equal(result.code, 0, watch.dump());
        assert.equal(result.signal, null);
        assert.deepEqual(rig.tempFiles(), []);
        assert.equal(rig.exists('out/slow.txt'), false);
        assert.equal(rig.exists('.neuromake/lock'), false);
        assert.ok(pgid > 1);
        assert.deepEqual(liveMembers(pgid), [], `group ${pgid} survived`);
        const [end] = ofType(watch.since(0), 'run-end');
        assert.equal(end?.['interrupted'], true, watch.dump());
      }

      // The workspace is usable at once: a plain run redoes the job.
      {
        rig.env['SLOW_SECS'] = '0';
        const result = await rig.run('run', '--json');
        assert.equal(result.code, 0, show(result));
        assert.match(rig.read('out/slow.txt'), /slow complete/);
      }
    });

    void test(`${strategy}: Ctrl-C while idle exits cleanly`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig);
      const {watch} = await startIdle(rig, strategy);
      {
        assert.ok(rig.exists('.neuromake/lock'));
        const result = await watch.stop('SIGINT', 5000);
        assert.equal(result.code, 0, watch.dump());
        assert.equal(rig.exists('.neuromake/lock'), false);
        assert.deepEqual(rig.tempFiles(), []);
        assert.equal(result.stderr, '');
      }
    });

    void test(`${strategy}: a run's outputs never start another cycle`, async (t) => {
      const rig = WorkspaceRig.create(t);
      fanOut(rig);
      const {watch} = await startIdle(rig, strategy, '-j', '2');

      // After the first run, nothing happens.
      {
        const events = await watch.quiet(watch.mark());
        assert.deepEqual(events, [], watch.dump());
      }

      // After an edit's cycle (which rewrites outputs), nothing happens.
      {
        const from = watch.mark();
        rig.write('in/a.txt', 'subject a, edited\n');
        const events = await watch.cycle('the cycle for a', from, ranCycle);
        assert.deepEqual(changedPaths(events), new Set(['in/a.txt']));
        const after = watch.mark();
        assert.deepEqual(await watch.quiet(after), [], watch.dump());
        assert.deepEqual(rig.counts(), {all: 2, post: 4, up: 4});
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });

    void test(`${strategy}: a directory the first run creates where the glob looks starts no cycle`, async (t) => {
      const rig = WorkspaceRig.create(t);
      // The glob's first part is a bare wildcard, so out/ is on its way
      // (out/in.txt would match); the first run creates out/ while the
      // session still checks the paths it just began to watch.
      for (const s of ['a', 'b']) rig.write(`${s}/in.txt`, `in ${s}\n`);
      rig.pipeline(
        'steps:',
        '  copy:',
        '    for_each: {glob: "{s}/in.txt"}',
        '    inputs: {src: "{s}/in.txt"}',
        '    outputs: {out: "out/{s}.txt"}',
        '    shell: "sh tools/fake.sh copy {outputs.out} {inputs.src}"',
      );
      const {watch, first} = await startIdle(rig, strategy);
      assert.equal(started(first).length, 2, watch.dump());
      assert.equal(ofType(first, 'plan').length, 1, watch.dump());
      // Past the session's last check of the paths it added (5 s).
      const events = await watch.quiet(watch.mark(), 5500);
      assert.deepEqual(events, [], watch.dump());
      assert.equal((await watch.stop()).code, 0, watch.dump());
    });

    void test(`${strategy}: outputs inside a watched directory never start another cycle`, async (t) => {
      const rig = WorkspaceRig.create(t);
      // A BIDS dataset: subjects at the top, derivatives beside them and a
      // report next to each input, so the glob's directory (the workspace
      // itself) holds every output.
      const pipeline = () =>
        rig.pipeline(
          'steps:',
          '  mask:',
          '    for_each: {glob: "sub-{s}/anat.txt"}',
          '    inputs: {anat: "sub-{s}/anat.txt"}',
          '    outputs:',
          '      mask: "derivatives/sub-{s}/mask.txt"',
          '      report: "sub-{s}/report.txt"',
          '    shell: "sh tools/fake.sh mask {outputs.mask} {inputs.anat} && cp {outputs.mask} {outputs.report}"',
        );
      for (const s of ['01', '02'])
        rig.write(`sub-${s}/anat.txt`, `anat ${s}\n`);
      pipeline();
      const {watch} = await startIdle(rig, strategy, '-j', '2');
      {
        const events = await watch.quiet(watch.mark());
        assert.deepEqual(events, [], watch.dump());
      }

      // A new subject makes new output directories; still no extra cycle.
      {
        const from = watch.mark();
        rig.write('sub-03/anat.txt', 'anat 03\n');
        const events = await watch.cycle('the new subject', from, ranCycle);
        assert.deepEqual(started(events), ['mask[s=03]'], watch.dump());
        // Only the new subject's paths were changes, not the directories
        // and files its job wrote (an extra cycle could hide inside this
        // wait, as a queued one).
        assert.deepEqual(
          changedPaths(events),
          new Set(['sub-03', 'sub-03/anat.txt']),
          watch.dump(),
        );
        const after = watch.mark();
        assert.deepEqual(await watch.quiet(after), [], watch.dump());
      }

      // An edit reruns just its job, and again nothing follows.
      {
        const from = watch.mark();
        rig.write('sub-01/anat.txt', 'anat 01, edited\n');
        const events = await watch.cycle('the cycle for 01', from, ranCycle);
        assert.deepEqual(started(events), ['mask[s=01]'], watch.dump());
        assert.deepEqual(changedPaths(events), new Set(['sub-01/anat.txt']));
        const after = watch.mark();
        assert.deepEqual(await watch.quiet(after), [], watch.dump());
        assert.deepEqual(rig.counts(), {mask: 4});
      }

      {
        const result = await watch.stop();
        assert.equal(result.code, 0, watch.dump());
      }
    });
  }
});
