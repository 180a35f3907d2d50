import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {fanOut} from '../rig/fixtures.js';
import {
  outcomes,
  parseEvents,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// --- --json ---------------------------------------------------------------

void describe('the CLI', {concurrency: FILE_CONCURRENCY}, () => {
  void test('--json writes one JSON object per line and nothing else', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    rig.write('in/c.txt', 'subject c: FAIL\n');
    const result = await rig.run('run', '-k', '-j', '2', '--json');
    assert.equal(result.code, 1, show(result));
    assert.equal(result.stderr, '', 'JSON mode writes nothing to stderr');
    assert.ok(result.stdout.endsWith('\n'));
    const lines = result.stdout.slice(0, -1).split('\n');
    for (const line of lines) {
      const value: unknown = JSON.parse(line);
      assert.ok(
        typeof value === 'object' && value !== null && !Array.isArray(value),
        line,
      );
    }
    const events = parseEvents(result.stdout);
    for (const e of events) {
      assert.equal(typeof e.type, 'string');
      assert.match(String(e['time']), ISO_TIME);
    }
    const types = new Set(events.map((e) => e.type));
    for (const type of ['plan', 'job-start', 'job-done', 'job-failed']) {
      assert.ok(types.has(type), `no ${type} event`);
    }
    assert.equal(events.at(-1)?.type, 'run-end', 'run-end comes last');
    assert.equal(events.filter((e) => e.type === 'run-end').length, 1);
    const end = events.at(-1)!;
    assert.deepEqual(
      [end['ran'], end['failed'], end['skipped'], end['interrupted']],
      [4, 1, 2, false],
    );
    assert.equal(typeof end['ms'], 'number');
    const done = events.filter((e) => e.type === 'job-done');
    assert.equal(done.length, 4);
    for (const e of done) {
      assert.equal(e.outcome, 'ran');
      assert.equal(typeof e['ms'], 'number');
    }
    const failed = events.find((e) => e.type === 'job-failed');
    assert.equal(failed?.job, 'up[s=c]');
    assert.equal(typeof failed?.['log'], 'string');
  });

  void test('--json on a fresh workspace: a job-done per job, then run-end', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(Object.keys(outcomes(result)).length, 7);
    assert.equal(result.events.at(-1)?.type, 'run-end');
  });

  // --- status and why -------------------------------------------------------

  void test('status: every job fresh after a run, with a summary line', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const before = await rig.run('status');
    assert.equal(before.code, 0, show(before));
    assert.match(
      before.stdout,
      /^stale\s+up\[s=a\]\s+\(it has never run successfully\)$/m,
    );
    assert.match(before.stdout, /^0 fresh, 7 not fresh of 7 jobs$/m);

    assert.equal((await rig.run('run')).code, 0);
    const after = await rig.run('status');
    assert.equal(after.code, 0, show(after));
    const lines = after.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 8);
    for (const line of lines.slice(0, 7)) assert.match(line, /^fresh\s+\S+$/);
    assert.equal(lines[7], '7 fresh, 0 not fresh of 7 jobs');
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3}, 'status ran jobs');
  });

  void test('status: a changed command says what changed, on one line', async (t) => {
    const rig = WorkspaceRig.create(t);
    const commands = (word: string) =>
      rig.pipeline(
        'steps:',
        '  short:',
        '    outputs: {out: short.txt}',
        `    shell: "echo ${word} > {outputs.out}"`,
        '  long:',
        '    outputs: {out: long.txt}',
        `    shell: "sh tools/fake.sh long {outputs.out} && echo ${word} >> {outputs.out}"`,
      );
    commands('one');
    assert.equal((await rig.run('run')).code, 0);
    commands('two');
    const stale = await rig.run('status');
    assert.equal(stale.code, 0, show(stale));
    assert.match(
      stale.stdout,
      /^stale\s+short\s+\(command changed: echo one > short\.txt → echo two > short\.txt\)$/m,
    );
    assert.match(
      stale.stdout,
      /^stale\s+long\s+\(command changed: … one … → … two …\)$/m,
    );
    const why = await rig.run('why', 'long');
    assert.ok(
      why.stdout.includes(
        '      was: sh tools/fake.sh long long.txt && echo one >> long.txt\n',
      ),
      why.stdout,
    );

    assert.equal((await rig.run('run')).code, 0);
    commands('one');
    const cached = await rig.run('status', 'short');
    assert.match(
      cached.stdout,
      /^cached\s+short\s+\(command changed: echo two > short\.txt → echo one > short\.txt\)$/m,
    );
  });

  void test('status --json: one {job, state, reasons} object per job', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    rig.write('in/a.txt', 'edited\n');
    const result = await rig.run('status', '--json');
    assert.equal(result.code, 0, show(result));
    const states = Object.fromEntries(
      parseEvents(result.stdout).map((s) => [String(s['job']), s['state']]),
    );
    assert.deepEqual(states, {
      'up[s=a]': 'stale',
      'up[s=b]': 'fresh',
      'up[s=c]': 'fresh',
      'post[s=a]': 'stale',
      'post[s=b]': 'fresh',
      'post[s=c]': 'fresh',
      all: 'stale',
    });
  });

  void test('why: an input changed, with the old and new content hashes', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const oldHash = rig.sha256('in/b.txt');
    rig.write('in/b.txt', 'subject b, edited\n');
    const newHash = rig.sha256('in/b.txt');

    const why = await rig.run('why', 'up[s=b]', 'all', 'up[s=a]');
    assert.equal(why.code, 0, show(why));
    assert.ok(
      why.stdout.includes(
        `up[s=b] is stale:\n  - input src changed: in/b.txt (${oldHash.slice(0, 12)} → ${newHash.slice(0, 12)})\n`,
      ),
      why.stdout,
    );
    assert.match(
      why.stdout,
      /all is stale:\n {2}- upstream post\[s=b\] will run first\n/,
    );
    assert.match(
      why.stdout,
      /up\[s=a\] is fresh: nothing it depends on changed since it last ran/,
    );
    assert.doesNotMatch(
      why.stdout,
      /post\[s=a\]/,
      'why lists only its targets',
    );
    const status = await rig.run('status', 'post[s=b]');
    assert.match(
      status.stdout,
      /^stale\s+post\[s=b\]\s+\(upstream up\[s=b\] will run first\)$/m,
    );
  });

  void test('why: a missing output, once cached and once not', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    rig.remove('out/a.post');
    const cached = await rig.run('why', 'post[s=a]');
    assert.equal(cached.code, 0, show(cached));
    assert.match(
      cached.stdout,
      /post\[s=a\] is cached:\n {2}- output out\/a\.post is missing\n {2}- its outputs for this key are in the store/,
    );

    rig.removeStore();
    const stale = await rig.run('why', 'post[s=a]');
    assert.match(
      stale.stdout,
      /post\[s=a\] is stale:\n {2}- output out\/a\.post is missing\n$/,
    );
    const status = await rig.run('status', 'post[s=a]');
    assert.match(
      status.stdout,
      /^stale\s+post\[s=a\]\s+\(output out\/a\.post is missing\)$/m,
    );
  });

  void test('why: a step param changed, old → new', async (t) => {
    const rig = WorkspaceRig.create(t);
    const step = (level: number) =>
      rig.pipeline(
        'steps:',
        '  tuned:',
        `    params: {level: ${level}}`,
        '    outputs: {out: tuned.txt}',
        '    shell: "sh tools/fake.sh tuned {outputs.out} && echo {params.level} >> {outputs.out}"',
      );
    step(3);
    assert.equal((await rig.run('run')).code, 0);
    step(4);
    const why = await rig.run('why', 'tuned', '--json');
    assert.equal(why.code, 0, show(why));
    const [answer] = parseEvents(why.stdout);
    assert.equal(answer?.['state'], 'stale');
    assert.ok((answer?.['reasons'] as string[]).includes('param level: 3 → 4'));
  });

  void test('--force: the dry run says why, the run reruns only the target', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    const dry = await rig.run('run', '-n', '--force', 'up[s=a]');
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stdout, /would run\s+up\[s=a\]\n\s+forced with --force\n/);
    // Downstream jobs wait on it: the dry run cannot know the bytes yet.
    assert.match(
      dry.stdout,
      /would run\s+post\[s=a\]\n\s+upstream up\[s=a\] will run first\n/,
    );
    assert.match(
      dry.stdout,
      /dry run: 3 would run, 0 would be restored, 4 fresh/,
    );
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});

    const forced = await rig.run('run', '-v', '--force', 'up[s=a]');
    assert.equal(forced.code, 0, show(forced));
    assert.match(forced.stdout, /up\[s=a\] runs because forced with --force/);
    // Forcing reruns, but the same bytes come out: downstream stays fresh.
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 4});
  });

  void test('run -n runs nothing and tells run from restore', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const first = await rig.run('run', '-n');
    assert.equal(first.code, 0, show(first));
    assert.match(
      first.stdout,
      /dry run: 7 would run, 0 would be restored, 0 fresh/,
    );
    assert.deepEqual(rig.counts(), {});
    assert.equal(rig.exists('out'), false);

    assert.equal((await rig.run('run')).code, 0);
    rig.remove('out/b.up');
    rig.write('in/c.txt', 'edited\n');
    const dry = await rig.run('run', '-n', '--json');
    assert.equal(dry.code, 0, show(dry));
    const planned = Object.fromEntries(
      dry.events
        .filter((e) => e.type === 'job-planned')
        .map((e) => [String(e.job), e['action']]),
    );
    assert.deepEqual(planned, {
      'up[s=b]': 'restore',
      'up[s=c]': 'run',
      'post[s=c]': 'run',
      all: 'run',
    });
    assert.deepEqual(rig.counts(), {all: 1, post: 3, up: 3});
    assert.equal(rig.exists('out/b.up'), false);
  });

  // --- dag ------------------------------------------------------------------

  type Edge = readonly [string, string];

  function sortEdges(edges: Edge[]): string[] {
    return edges.map(([a, b]) => `${a} -> ${b}`).sort();
  }

  void test('dag --format json, dot and mermaid describe the same valid graph', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);

    const json = await rig.run('dag', '--format', 'json');
    assert.equal(json.code, 0, show(json));
    const graph = JSON.parse(json.stdout) as {
      jobs: {
        id: string;
        step: string;
        bindings: Record<string, string>;
        inputs: Record<string, string[]>;
        outputs: Record<string, string>;
        deps: string[];
      }[];
    };
    const ids = graph.jobs.map((j) => j.id);
    assert.deepEqual([...ids].sort(), [
      'all',
      'post[s=a]',
      'post[s=b]',
      'post[s=c]',
      'up[s=a]',
      'up[s=b]',
      'up[s=c]',
    ]);
    const position = new Map(ids.map((id, i) => [id, i]));
    const edges: Edge[] = graph.jobs.flatMap((j) =>
      j.deps.map((d) => [d, j.id] as const),
    );
    for (const [from, to] of edges) {
      assert.ok(position.get(from)! < position.get(to)!, 'topological order');
    }
    const all = graph.jobs.find((j) => j.id === 'all');
    assert.deepEqual(all?.inputs['parts'], [
      'out/a.post',
      'out/b.post',
      'out/c.post',
    ]);
    assert.deepEqual(graph.jobs.find((j) => j.id === 'up[s=b]')?.bindings, {
      s: 'b',
    });
    assert.equal(edges.length, 6);

    const dot = await rig.run('dag', '--format', 'dot');
    assert.equal(dot.code, 0, show(dot));
    const dotLines = dot.stdout.trimEnd().split('\n');
    assert.equal(dotLines[0], 'digraph neuromake {');
    assert.equal(dotLines.at(-1), '}');
    const dotNodes: string[] = [];
    const dotEdges: Edge[] = [];
    for (const line of dotLines.slice(1, -1)) {
      const edge = /^ {2}("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*");$/.exec(
        line,
      );
      const node = /^ {2}("(?:[^"\\]|\\.)*");$/.exec(line);
      if (edge !== null) {
        dotEdges.push([
          JSON.parse(edge[1]!) as string,
          JSON.parse(edge[2]!) as string,
        ]);
      } else if (node !== null) {
        dotNodes.push(JSON.parse(node[1]!) as string);
      } else {
        assert.match(line, /^ {2}\w+(=\w+| \[[^\]]*\])?;$/, `not DOT: ${line}`);
      }
    }
    assert.deepEqual(dotNodes.sort(), [...ids].sort());
    assert.deepEqual(sortEdges(dotEdges), sortEdges(edges));

    const mermaid = await rig.run('dag', '--format', 'mermaid');
    assert.equal(mermaid.code, 0, show(mermaid));
    const [head, ...body] = mermaid.stdout.trimEnd().split('\n');
    assert.equal(head, 'flowchart LR');
    const labels = new Map<string, string>();
    const mermaidEdges: Edge[] = [];
    for (const line of body) {
      const node = /^ {2}(\w+)\["([^"]*)"\]$/.exec(line);
      const edge = /^ {2}(\w+) --> (\w+)$/.exec(line);
      if (node !== null) labels.set(node[1]!, node[2]!);
      else if (edge !== null) mermaidEdges.push([edge[1]!, edge[2]!]);
      else assert.fail(`not Mermaid: ${line}`);
    }
    assert.deepEqual([...labels.values()].sort(), [...ids].sort());
    const named = mermaidEdges.map(([a, b]) => {
      assert.ok(labels.has(a) && labels.has(b), `edge to an undeclared node`);
      return [labels.get(a)!, labels.get(b)!] as const;
    });
    assert.deepEqual(sortEdges(named), sortEdges(edges));
  });

  void test('dag TARGET shows only the target and its upstream', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    const result = await rig.run('dag', 'post[s=b]', '--format', 'json');
    assert.equal(result.code, 0, show(result));
    const graph = JSON.parse(result.stdout) as {jobs: {id: string}[]};
    assert.deepEqual(
      graph.jobs.map((j) => j.id),
      ['up[s=b]', 'post[s=b]'],
    );
    const json = await rig.run('dag', 'post[s=b]', '--json');
    assert.equal(json.code, 0, show(json));
    // One line: with --json, stdout is one JSON value per line.
    assert.equal(json.stdout.trimEnd().split('\n').length, 1);
    assert.deepEqual(JSON.parse(json.stdout), graph);
    const both = await rig.run('dag', '--json', '--format', 'dot');
    assert.equal(both.code, 2, show(both));
    assert.match(
      both.stderr,
      /--format must be dot, mermaid or json, got "dot \(and --json\)"/,
    );

    const bad = await rig.run('dag', '--format', 'png');
    assert.equal(bad.code, 2, show(bad));
    assert.match(
      bad.stderr,
      /--format must be dot, mermaid or json, got "png"/,
    );
  });

  void test('targets: an absolute output path, ./ and a trailing slash, bindings in any order', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  m:',
      '    for_each: {matrix: {x: [a, b], seed: ["1", "2"]}}',
      '    outputs: {out: "out/{x}-{seed}.txt"}',
      '    shell: "sh tools/fake.sh m {outputs.out}"',
    );
    const ids = async (...targets: string[]) => {
      const result = await rig.run('dag', ...targets, '--format', 'json');
      assert.equal(result.code, 0, show(result));
      const graph = JSON.parse(result.stdout) as {jobs: {id: string}[]};
      return graph.jobs.map((j) => j.id);
    };
    assert.deepEqual(await ids(rig.path('out/a-2.txt')), ['m[x=a,seed=2]']);
    assert.deepEqual(await ids('./out/b-1.txt'), ['m[x=b,seed=1]']);
    assert.deepEqual(await ids('m[seed=2,x=b]'), ['m[x=b,seed=2]']);
    const unknown = await rig.run('dag', 'm[seed=3,x=b]');
    assert.equal(unknown.code, 2, show(unknown));

    // Some of the wildcards select every job with those values.
    assert.deepEqual(await ids('m[x=a]'), ['m[x=a,seed=1]', 'm[x=a,seed=2]']);
    assert.deepEqual(await ids('m[seed=2]'), [
      'm[x=a,seed=2]',
      'm[x=b,seed=2]',
    ]);
    const partial = await rig.run('run', 'm[seed=1]');
    assert.equal(partial.code, 0, show(partial));
    assert.deepEqual(rig.runs('m').sort(), ['m[x=a,seed=1]', 'm[x=b,seed=1]']);
    const twice = await rig.run('dag', 'm[x=a,x=b]');
    assert.equal(twice.code, 2, show(twice));
    const none = await rig.run('run', 'm[x=c]');
    assert.equal(none.code, 2, show(none));
    assert.match(none.stderr, /hint: no job of step "m" has those values/);
  });

  // --- usage and exit codes -------------------------------------------------

  void test('usage errors exit 2 with a message on stderr', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'params:',
      '  lag: 2',
      'steps:',
      '  one:',
      '    outputs: {out: one.txt}',
      '    shell: "sh tools/fake.sh one {outputs.out}"',
    );
    const cases: [string[], RegExp][] = [
      [[], /Usage: neuromake <command>/],
      [['frob'], /unknown command "frob"/],
      [['run', '--bogus'], /Unknown option '--bogus'/],
      [
        ['run', '-j', '0'],
        /-j\/--jobs must be a positive integer up to 4096, got "0"/,
      ],
      [['run', '-j', '0x2'], /-j\/--jobs must be a positive integer/],
      [['run', '-j', '4294967296'], /-j\/--jobs must be a positive integer/],
      [['run', '--gpus', '4294967296'], /--gpus must be a count/],
      [['run', '--gpus', '0,99999'], /--gpus must be a count/],
      [['run', '--memory', 'lots'], /--memory: /],
      [
        ['run', '--gpus', 'x'],
        /--gpus must be a count or a list of device ids/,
      ],
      [['run', '--set', 'lag'], /--set expects NAME=VALUE, got "lag"/],
      [['run', '--set', 'lgg=3'], /--set lgg: the pipeline has no param "lgg"/],
      [['why'], /why needs a job, step or output/],
      [['gc', '--keep-runs', 'x'], /--keep-runs must be a whole number/],
      [['run', '-f', 'nope.yaml'], /cannot read pipeline file .*nope\.yaml/],
      // An option of another command is an error, not silently ignored.
      [['gc', '--json'], /--json is not an option of gc\n.*it is for run/],
      [['status', '--format', 'dot'], /--format is not an option of status/],
      [['run', '--keep-runs', '3'], /--keep-runs is not an option of run/],
      [['report', '-j', '2'], /--jobs is not an option of report/],
      [['gc', 'one'], /gc takes no targets, got "one"/],
      [
        ['-f', 'pipeline.yaml', 'status'],
        /unknown command "-f"\n.*the command comes first/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await rig.run(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${show(result)}`);
      assert.match(result.stdout + result.stderr, message, args.join(' '));
    }
    assert.deepEqual(rig.counts(), {});

    // Under --json, a usage error is also an event for the reading tool.
    for (const args of [
      ['run', '--json', 'nope'],
      ['run', '--json', '-j', '0'],
    ]) {
      const result = await rig.run(...args);
      assert.equal(result.code, 2, show(result));
      const events = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(events.length, 1, result.stdout);
      assert.equal(events[0]?.['type'], 'diagnostics');
      assert.match(JSON.stringify(events[0]), /"severity":"error"/);
    }
  });

  void test('a damaged state database is named, with how to recover, not an internal error', async (t) => {
    const rig = WorkspaceRig.create(t);
    fanOut(rig);
    assert.equal((await rig.run('run')).code, 0);
    rig.write('.neuromake/state.db', 'not a database\n');
    for (const f of ['state.db-wal', 'state.db-shm']) {
      rig.remove(`.neuromake/${f}`);
    }
    for (const command of [
      ['run'],
      ['run', '--force', 'all'],
      ['status'],
      ['gc', '-n'],
      ['report'],
    ]) {
      const result = await rig.run(...command);
      assert.equal(result.code, 2, `${command.join(' ')}: ${show(result)}`);
      assert.match(
        result.stderr,
        /^neuromake: the state database \S*\.neuromake\/state\.db is damaged \(file is not a database\)\n {2}hint: move it away/,
      );
      assert.doesNotMatch(result.stderr, /Internal error|\n +at /);
      assert.ok(
        !rig.exists('.neuromake/lock'),
        `${command.join(' ')} left its lock`,
      );
    }

    rig.remove('.neuromake/state.db');
    const fresh = await rig.run('run');
    assert.equal(fresh.code, 0, show(fresh));
    assert.deepEqual(rig.counts(), {all: 2, post: 6, up: 6});
  });

  void test('help and --version exit 0', async (t) => {
    const rig = WorkspaceRig.create(t);
    const help = await rig.run('help');
    assert.equal(help.code, 0, show(help));
    assert.match(help.stdout, /Exit codes: 0 ok, 1 a job failed, 2 invalid/);
    const version = await rig.run('--version');
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  void test('-f runs a pipeline file from another directory in its own workspace', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write(
      'sub/pipeline.yaml',
      [
        'steps:',
        '  hello:',
        '    outputs: {out: hello.txt}',
        '    shell: "echo hi > {outputs.out}"',
        '',
      ].join('\n'),
    );
    const result = await rig.run('run', '-f', 'sub/pipeline.yaml');
    assert.equal(result.code, 0, show(result));
    assert.equal(rig.read('sub/hello.txt'), 'hi\n');
    assert.ok(rig.exists('sub/.neuromake/state.db'));
    assert.equal(rig.exists('hello.txt'), false);
  });
});
