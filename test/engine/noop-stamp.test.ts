import assert from 'node:assert/strict';
import {chmodSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {describe, test} from 'node:test';

import Database from 'better-sqlite3';

import {fanOut} from '../rig/fixtures.js';
import {
  eventsOf,
  outcomes,
  runEnd,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
  type RunResult,
} from '../rig/workspace-rig.js';

/**
 * The no-op stamp (src/cache/fresh-stamp.ts): after a complete run, `run`
 * answers "all fresh" without planning while nothing it rests on changed,
 * and any change sends it down the full path, which then decides exactly
 * as it would without a stamp. Each test counts how often the fake
 * commands really ran.
 */

/** Backdates every workspace file: the stamp trusts only settled mtimes. */
function settle(rig: WorkspaceRig): void {
  const past = new Date(Date.now() - 10_000);
  for (const rel of rig.walk()) {
    if (rel.startsWith('.neuromake')) continue;
    utimesSync(rig.path(rel), past, past);
  }
}

/** Whether a `--json` run was answered from the stamp. */
function fromStamp(result: RunResult): boolean {
  const plans = eventsOf(result, 'plan');
  return plans.length === 1 && plans[0]?.['fromStamp'] === true;
}

/**
 * The workspace's pipeline run with `args`, settled and run again, so a
 * valid stamp is on disk.
 */
async function stamp(rig: WorkspaceRig, ...args: string[]): Promise<void> {
  const first = await rig.run('run', ...args);
  assert.equal(first.code, 0, show(first));
  settle(rig);
  const second = await rig.run('run', ...args, '--json');
  assert.equal(second.code, 0, show(second));
  assert.equal(fromStamp(second), false, 'the settling run plans in full');
  assert.ok(rig.exists('.neuromake/fresh.json'), 'a stamp was written');
}

/** The fan-out, stamped. */
async function stamped(rig: WorkspaceRig): Promise<void> {
  fanOut(rig);
  await stamp(rig, '-j', '2');
}

function allFresh(result: RunResult, jobs: number): void {
  const end = runEnd(result);
  assert.deepEqual(
    [end['ran'], end['restored'], end['fresh'], end['failed']],
    [0, 0, jobs, 0],
    show(result),
  );
}

void describe('the no-op stamp', {concurrency: FILE_CONCURRENCY}, () => {
  void test('a rerun after nothing changed is answered from the stamp', async (t) => {
    const rig = WorkspaceRig.create(t);
    await stamped(rig);
    const counts = rig.counts();

    const noop = await rig.run('run', '-j', '2', '--json');
    assert.equal(noop.code, 0, show(noop));
    assert.ok(fromStamp(noop), show(noop));
    allFresh(noop, 7);
    assert.equal(Object.keys(outcomes(noop)).length, 7);
    assert.deepEqual(rig.counts(), counts);

    // No path is checked twice: the glob's matches are probed, and their
    // probes stand for them in the file list.
    const stamp = JSON.parse(rig.read('.neuromake/fresh.json')) as {
      files: [string][];
      probes: [string, string][];
    };
    const probed = stamp.probes.map(([path]) => path);
    assert.ok(probed.includes(rig.path('in/a.txt')), 'a match is probed');
    const checked = stamp.files.map(([path]) =>
      path.startsWith('/') ? path : rig.path(path),
    );
    assert.deepEqual(
      checked.filter((path) => probed.includes(path)),
      [],
    );
    assert.ok(checked.includes(rig.path('out/a.up')), 'an output is checked');

    // The run is recorded as the full path would record it.
    const db = new Database(rig.path('.neuromake/state.db'), {readonly: true});
    try {
      const runs = db
        .prepare('SELECT command, status FROM runs ORDER BY id')
        .all() as {command: string; status: string}[];
      assert.equal(runs.length, 3);
      assert.deepEqual(runs[2], {command: 'run -j 2 --json', status: 'ok'});
    } finally {
      db.close();
    }
  });

  void test('a run that does not reach the whole graph leaves no stamp', async (t) => {
    const rig = WorkspaceRig.create(t);
    await stamped(rig);

    // A target: only part of the graph was looked at.
    rig.write('in/a.txt', 'subject a, edited\n');
    const part = await rig.run('run', 'up');
    assert.equal(part.code, 0, show(part));
    assert.equal(rig.exists('.neuromake/fresh.json'), false);

    // A failure.
    settle(rig);
    rig.write('tools/fail-all.sh', 'exit 3\n');
    rig.write(
      'pipeline.yaml',
      [
        rig.read('pipeline.yaml'),
        '  broken:',
        '    outputs: {out: "out/never.txt"}',
        '    shell: "sh tools/fail-all.sh"',
        '',
      ].join('\n'),
    );
    settle(rig);
    const failed = await rig.run('run', '-k');
    assert.equal(failed.code, 1, show(failed));
    assert.equal(rig.exists('.neuromake/fresh.json'), false);
    const again = await rig.run('run', '-k', '--json');
    assert.equal(again.code, 1, show(again));
    assert.equal(fromStamp(again), false);
  });

  void test('each kind of change takes the full path, which reruns exactly what changed', async (t) => {
    const cases: {
      readonly what: string;
      readonly change: (rig: WorkspaceRig) => void;
      readonly args?: readonly string[];
      /** Fake-command runs the full path must add, by step. */
      readonly ran: Readonly<Record<string, number>>;
    }[] = [
      {
        what: 'an input edited in place, same size',
        change: (rig) => {
          const file = rig.path('in/b.txt');
          const before = statSync(file);
          writeFileSync(file, 'subject B\n');
          utimesSync(file, before.atime, new Date(before.mtimeMs + 1000));
        },
        ran: {up: 1, post: 1, all: 1},
      },
      {
        what: 'an input edited in place, same size, its mtime set back',
        change: (rig) => {
          const file = rig.path('in/b.txt');
          const before = statSync(file);
          writeFileSync(file, 'subject B\n');
          utimesSync(file, before.atime, before.mtime);
          assert.equal(statSync(file).mtimeMs, before.mtimeMs);
        },
        ran: {up: 1, post: 1, all: 1},
      },
      {
        what: 'an output deleted (restored from the store)',
        change: (rig) => rig.remove('out/c.post'),
        ran: {},
      },
      {
        what: 'a new file matching the glob',
        change: (rig) => rig.write('in/d.txt', 'subject d\n'),
        ran: {up: 1, post: 1, all: 1},
      },
      {
        what: 'the script a command names, edited',
        change: (rig) =>
          rig.write(
            'tools/fake.sh',
            `${rig.read('tools/fake.sh')}\n# edited\n`,
          ),
        ran: {up: 3, post: 3, all: 1},
      },
      {
        what: 'the pipeline file, a comment added',
        change: (rig) =>
          rig.write(
            'pipeline.yaml',
            `# a comment\n${rig.read('pipeline.yaml')}`,
          ),
        ran: {},
      },
      {
        what: 'a --set override',
        change: () => undefined,
        args: ['--set', 'unused=1'],
        ran: {},
      },
      {
        what: 'the state store replaced',
        change: (rig) => {
          for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) {
            rmSync(rig.path(`.neuromake/${f}`), {force: true});
          }
        },
        ran: {up: 3, post: 3, all: 1},
      },
    ];
    for (const c of cases) {
      const rig = WorkspaceRig.create(t);
      if (c.args !== undefined) {
        fanOut(rig);
        rig.write(
          'pipeline.yaml',
          `params: {unused: '0'}\n${rig.read('pipeline.yaml')}`,
        );
        await stamp(rig);
      } else {
        await stamped(rig);
      }
      const before = rig.counts();
      c.change(rig);
      const result = await rig.run(
        'run',
        '-j',
        '2',
        '--json',
        ...(c.args ?? []),
      );
      assert.equal(result.code, 0, `${c.what}: ${show(result)}`);
      assert.equal(fromStamp(result), false, c.what);
      const after = rig.counts();
      const added = Object.fromEntries(
        Object.entries(after)
          .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
          .filter(([, v]) => v > 0),
      );
      assert.deepEqual(added, c.ran, c.what);
    }
  });

  void test('a file named by a command that becomes executable is noticed', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('tools/helper', 'data, not yet a script\n');
    rig.pipeline(
      'steps:',
      '  one:',
      '    outputs: {out: out/one.txt}',
      '    shell: "sh tools/fake.sh one {outputs.out} tools/helper"',
    );
    await stamp(rig);
    assert.ok(fromStamp(await rig.run('run', '--json')));

    chmodSync(rig.path('tools/helper'), 0o755);
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(fromStamp(result), false);
    assert.equal(rig.count('one'), 2, 'an executable is keyed as a script');
  });

  void test('a changed env variable that a step lists is noticed', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  flavoured:',
      '    env: [NM_FLAVOUR]',
      '    outputs: {out: flavour.txt}',
      '    shell: "sh tools/fake.sh flavoured {outputs.out}"',
    );
    rig.env['NM_FLAVOUR'] = 'mint';
    await stamp(rig);
    assert.ok(fromStamp(await rig.run('run', '--json')));

    rig.env['NM_FLAVOUR'] = 'lime';
    const result = await rig.run('run', '--json');
    assert.equal(fromStamp(result), false);
    assert.equal(rig.count('flavoured'), 2);
  });

  void test('a stamp never hides a job that does not fit, a bad flag or a busy workspace', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  wide:',
      '    outputs: {out: out/wide.txt}',
      '    resources: {cpus: 2}',
      '    shell: "sh tools/fake.sh wide {outputs.out}"',
    );
    await stamp(rig, '-j', '2');
    assert.ok(fromStamp(await rig.run('run', '-j', '2', '--json')));

    // A fresh job needs no cpus: a smaller budget is still answered from
    // the stamp (a laptop after a GPU node); one that has to run is an
    // error.
    const narrow = await rig.run('run', '-j', '1', '--json');
    assert.equal(narrow.code, 0, show(narrow));
    assert.ok(fromStamp(narrow), show(narrow));
    allFresh(narrow, 1);
    const badFlag = await rig.run('run', '-j', '0');
    assert.equal(badFlag.code, 2, show(badFlag));
    const forced = await rig.run('run', '-j', '1', '--force', 'wide');
    assert.equal(forced.code, 2, show(forced));
    assert.match(forced.stderr, /needs 2 cpus but the budget is 1/);

    rig.write(
      '.neuromake/lock',
      JSON.stringify({pid: 4242, host: 'elsewhere.example', since: 'noon'}),
    );
    const busy = await rig.run('run', '-j', '2');
    assert.equal(busy.code, 2, show(busy));
    assert.match(busy.stderr, /pid 4242 on elsewhere\.example/);
    // Its processes cannot be checked from here: the hint says how to clear
    // a lock left by a run that is gone.
    assert.match(
      busy.stderr,
      /hint: .*taken on elsewhere\.example.*delete \S*\.neuromake\/lock/,
    );
  });
});
