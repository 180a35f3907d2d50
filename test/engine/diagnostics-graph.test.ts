import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {
  eventsOf,
  lineOf,
  locate,
  show,
  WorkspaceRig,
  type RunResult,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * Checks a diagnostic printed for `needle` (its `occurrence`-th appearance
 * in the pipeline text): `pipeline.yaml:line:col`, then the quoted line.
 */
function assertLocated(
  result: RunResult,
  text: string,
  needle: string,
  occurrence = 0,
): void {
  const at = locate(text, needle, occurrence);
  const [line] = at.split(':');
  const quoted = `${line} | ${lineOf(text, needle, occurrence)}`;
  assert.ok(
    result.stderr.includes(`pipeline.yaml:${at} - `),
    `expected pipeline.yaml:${at} in:\n${result.stderr}`,
  );
  assert.ok(
    result.stderr.includes(quoted),
    `expected the quoted line "${quoted}" in:\n${result.stderr}`,
  );
}

/** Runs `run`, expecting exit 2 before anything ran or was recorded. */
async function rejected(rig: WorkspaceRig): Promise<RunResult> {
  const result = await rig.run('run');
  assert.equal(result.code, 2, show(result));
  assert.deepEqual(rig.counts(), {}, 'nothing may run');
  assert.equal(rig.exists('.neuromake/state.db'), false);
  return result;
}

void describe('graph diagnostics', {concurrency: FILE_CONCURRENCY}, () => {
  void test('two jobs writing one file: both locations', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  one:',
      '    outputs: {out: shared.txt}',
      '    shell: "sh tools/fake.sh one {outputs.out}"',
      '  two:',
      '    outputs: {result: "./shared.txt"}',
      '    shell: "sh tools/fake.sh two {outputs.result}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /error: two jobs write "shared\.txt": one and two/,
    );
    assertLocated(result, text, '"./shared.txt"');
    assertLocated(result, text, 'shared.txt}');
    assert.match(result.stderr, /- one writes it here/);
  });

  void test('two jobs of one fan-out writing one file', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  fan:',
      '    for_each: {matrix: {d: [x, y]}}',
      // Each path names {d}, through the param, but `..` undoes it.
      "    params: {where: '{d}/..'}",
      '    outputs: {out: "{params.where}/out.txt"}',
      '    shell: "sh tools/fake.sh fan {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /two jobs write "out\.txt": fan\[d=x\] and fan\[d=y\]/,
    );
    assertLocated(result, text, '"{params.where}/out.txt"');
  });

  void test('an input nothing produces and that does not exist', async (t) => {
    const rig = WorkspaceRig.create(t);
    const needs = (src: string) =>
      rig.pipeline(
        'steps:',
        '  needs:',
        `    inputs: {src: ${src}}`,
        '    outputs: {out: needs.txt}',
        '    shell: "sh tools/fake.sh needs {outputs.out} {inputs.src}"',
      );
    const text = needs('missing/file.txt');
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /needs: input "src" is "missing\/file\.txt", which no step produces and which does not exist/,
    );
    assertLocated(result, text, 'missing/file.txt');

    // A glob written as an input is told how neuromake takes many files.
    rig.write('data/a.txt', 'a\n');
    needs('"data/*.txt"');
    const glob = await rejected(rig);
    assert.match(glob.stderr, /hint: inputs are paths, not globs: fan out/);

    needs('missing/file.txt');
    rig.write('missing/file.txt', 'here now\n');
    const fixed = await rig.run('run');
    assert.equal(fixed.code, 0, show(fixed));
    assert.equal(rig.count('needs'), 1);
  });

  void test('missing inputs of a fan-out are one error per input, not per job', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('data/a.txt', 'a\n');
    rig.write('dira/x.txt', 'x\n');
    const text = rig.pipeline(
      'steps:',
      '  fan:',
      '    for_each: {matrix: {d: [a, b, c, d, e]}}',
      '    inputs:',
      '      src: "data/{d}.txt"',
      '      shared: shared.txt',
      '      dir: "dir{d}"',
      '    outputs: {out: "o/{d}.txt"}',
      '    shell: "sh tools/fake.sh fan {outputs.out} {inputs.src}"',
    );
    const result = await rejected(rig);
    const errors = result.stderr.match(/error: .*/g) ?? [];
    assert.deepEqual(errors, [
      'error: 4 jobs of step "fan" (fan[d=b], fan[d=c], fan[d=d] and 1 more): input "src" names 4 paths ("data/b.txt", "data/c.txt", "data/d.txt" and 1 more) that no step produces and that do not exist',
      'error: 5 jobs of step "fan" (fan[d=a], fan[d=b], fan[d=c] and 2 more): input "shared" is "shared.txt", which no step produces and which does not exist',
      'error: fan[d=a]: input "dir" is "dira", a directory: inputs are files, whose content versions the job',
      'error: 4 jobs of step "fan" (fan[d=b], fan[d=c], fan[d=d] and 1 more): input "dir" names 4 paths ("dirb", "dirc", "dird" and 1 more) that no step produces and that do not exist',
    ]);
    assertLocated(result, text, '"data/{d}.txt"');
  });

  void test('a directory as an input is named as a directory, not missing', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('bids/sub-01/anat.txt', 'T1\n');
    const text = rig.pipeline(
      'steps:',
      '  needs:',
      '    inputs: {src: bids, below: in.txt/x}',
      '    outputs: {out: needs.txt}',
      '    shell: "sh tools/fake.sh needs {outputs.out} {inputs.src}"',
    );
    rig.write('in.txt', 'a file\n');
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /needs: input "src" is "bids", a directory: inputs are files/,
    );
    assert.match(result.stderr, /hint: name the files the step reads/);
    assert.match(
      result.stderr,
      /input "below" is "in\.txt\/x", which no step produces and which does not exist/,
    );
    assertLocated(result, text, 'bids');
  });

  void test('a glob over files a step writes names the step to fan out over', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  make:',
      '    for_each: {matrix: {s: [x, y]}}',
      '    outputs: {out: "out/{s}.txt"}',
      '    shell: "sh tools/fake.sh make {outputs.out}"',
      '  use:',
      '    for_each: {glob: "out/{s}.txt"}',
      '    inputs: {src: "out/{s}.txt"}',
      '    outputs: {out: "res/{s}.txt"}',
      '    shell: "sh tools/fake.sh use {outputs.out} {inputs.src}"',
    );
    // On a clean workspace (the glob finds nothing) and once some of those
    // files exist (it would fan out over them only): the same error.
    for (const round of ['clean', 'one file there']) {
      const result = await rejected(rig);
      assert.match(
        result.stderr,
        /for_each glob "out\/\{s\}\.txt" matches out\/x\.txt, which make\[s=x\] writes/,
        round,
      );
      assert.match(
        result.stderr,
        /hint: fan out over that step instead: `for_each: \{step: make\}`/,
      );
      assert.doesNotMatch(result.stderr, /matches no files/);
      assertLocated(result, text, '"out/{s}.txt"', 1);
      rig.write('out/x.txt', 'x\n');
    }
    assert.deepEqual(rig.counts(), {});
  });

  void test("a glob over its own step's outputs is refused, not grown each run", async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('data/a.txt', 'a\n');
    rig.pipeline(
      'steps:',
      '  clean:',
      '    for_each: {glob: "data/{name}.txt"}',
      '    inputs: {src: "data/{name}.txt"}',
      '    outputs: {out: "data/{name}-clean.txt"}',
      '    shell: "sh tools/fake.sh clean {outputs.out} {inputs.src}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /matches data\/a-clean\.txt, which clean\[name=a\] writes/,
    );
    assert.match(
      result.stderr,
      /hint: write this step's outputs where its glob cannot match them/,
    );
  });

  void test('a dependency cycle: every edge is located', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  a:',
      '    inputs: {src: c.txt}',
      '    outputs: {out: a.txt}',
      '    shell: "sh tools/fake.sh a {outputs.out} {inputs.src}"',
      '  b:',
      '    inputs: {src: a.txt}',
      '    outputs: {out: b.txt}',
      '    shell: "sh tools/fake.sh b {outputs.out} {inputs.src}"',
      '  c:',
      '    inputs: {src: b.txt}',
      '    outputs: {out: c.txt}',
      '    shell: "sh tools/fake.sh c {outputs.out} {inputs.src}"',
    );
    const result = await rejected(rig);
    assert.match(result.stderr, /error: dependency cycle: a → c → b → a/);
    assertLocated(result, text, 'c.txt}');
    assertLocated(result, text, 'a.txt}', 1);
    assertLocated(result, text, 'b.txt}', 1);
    assert.match(result.stderr, /a reads "src", an output of c/);
    assert.match(result.stderr, /c reads "src", an output of b/);
    assert.match(result.stderr, /b reads "src", an output of a/);
  });

  void test('an output that climbs out with ".."', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  evil:',
      '    outputs: {out: "x/../../evil.txt"}',
      '    shell: "sh tools/fake.sh evil {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(result.stderr, /output "out" climbs out with "\.\."/);
    assertLocated(result, text, '../../evil');
  });

  void test('an absolute output path', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  abs:',
      '    outputs: {out: "/tmp/nm-abs.txt"}',
      '    shell: "sh tools/fake.sh abs {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(result.stderr, /output "out" is an absolute path/);
    assertLocated(result, text, '/tmp/nm-abs.txt');
  });

  void test('an output that leaves the workspace only once its params are filled in', async (t) => {
    // (Matrix values with ".." or a leading "/" are errors where written.)
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  up:',
      '    for_each: {matrix: {d: [x]}}',
      "    params: {dir: '../{d}'}",
      '    outputs: {out: "{params.dir}/c.txt"}',
      '    shell: "sh tools/fake.sh up {outputs.out}"',
      '  root:',
      '    for_each: {matrix: {d: [etc]}}',
      "    params: {dir: '/{d}'}",
      '    outputs: {out: "{params.dir}/c.txt"}',
      '    shell: "sh tools/fake.sh root {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /up\[d=x\]: output "out" resolves to "\.\.\/x\/c\.txt", outside the workspace/,
    );
    assert.match(
      result.stderr,
      /root\[d=etc\]: output "out" resolves to "\/etc\/c\.txt"/,
    );
    assertLocated(result, text, '"{params.dir}/c.txt"');
  });

  void test('a for_each glob matching nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  per:',
      '    for_each: {glob: "data/sub-{s}/bold.txt"}',
      '    inputs: {src: "data/sub-{s}/bold.txt"}',
      '    outputs: {out: "o/{s}.txt"}',
      '    shell: "sh tools/fake.sh per {outputs.out} {inputs.src}"',
    );
    rig.write('data/sub-1/other.txt', 'not bold\n');
    const result = await rejected(rig);
    assert.match(result.stderr, /error: for_each glob matches no files/);
    assertLocated(result, text, '"data/sub-{s}/bold.txt"');
  });

  void test('an unknown target on the command line', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.pipeline(
      'steps:',
      '  per:',
      '    for_each: {matrix: {s: [1, 2]}}',
      '    outputs: {out: "o/{s}.txt"}',
      '    shell: "sh tools/fake.sh per {outputs.out}"',
    );
    for (const command of ['run', 'status', 'why', 'dag']) {
      const result = await rig.run(command, 'pre');
      assert.equal(result.code, 2, `${command}: ${show(result)}`);
      assert.match(result.stderr, /no step, job or output is called "pre"/);
      assert.match(result.stderr, /hint: did you mean "per"\?/);
    }
    const job = await rig.run('run', 'per[s=3]');
    assert.equal(job.code, 2, show(job));
    assert.match(job.stderr, /no step, job or output is called "per\[s=3\]"/);
    // Each kind of near miss is told what would name something.
    const hints: [string, RegExp][] = [
      [
        'per[subject=1]',
        /hint: no job of step "per" has those values: its jobs bind s, e\.g\. per\[s=1\]/,
      ],
      [
        'o',
        /hint: "o" is a directory of outputs: name one of its 2 files \(e\.g\. o\/1\.txt\) or the step that writes them \(per\)/,
      ],
      ['pipeline.yaml', /hint: "pipeline\.yaml" is a source file/],
      ['zzzzzz', /hint: .*`neuromake dag --format json` lists every job/],
    ];
    for (const [target, hint] of hints) {
      const result = await rig.run('status', target);
      assert.equal(result.code, 2, show(result));
      assert.match(result.stderr, hint, target);
    }
    const forced = await rig.run('run', '--force', 'nope');
    assert.equal(forced.code, 2, show(forced));
    assert.match(
      forced.stderr,
      /--force: no step, job or output is called "nope"/,
    );
    assert.deepEqual(rig.counts(), {});

    // Output paths are targets too.
    const byPath = await rig.run('run', 'o/2.txt');
    assert.equal(byPath.code, 0, show(byPath));
    assert.deepEqual(rig.runs('per'), ['per[s=2]']);
  });

  void test('--json reports graph diagnostics as one located event', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  needs:',
      '    inputs: {src: nowhere.txt}',
      '    outputs: {out: needs.txt}',
      '    shell: "sh tools/fake.sh needs {outputs.out} {inputs.src}"',
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 2, show(result));
    const [event, ...more] = eventsOf(result, 'diagnostics');
    assert.ok(event !== undefined && more.length === 0, result.stdout);
    const [diagnostic] = event['diagnostics'] as {
      message: string;
      location: {file: string; line: number; column: number};
    }[];
    assert.match(String(diagnostic?.message), /nowhere\.txt/);
    assert.equal(diagnostic?.location.file, rig.path('pipeline.yaml'));
    assert.equal(
      `${diagnostic?.location.line}:${diagnostic?.location.column}`,
      locate(text, 'nowhere.txt'),
    );
  });

  void test('one job writing one file as two outputs', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  one:',
      '    outputs: {a: out/x.txt, b: ./out/x.txt}',
      '    shell: "sh tools/fake.sh one {outputs.a}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /error: one writes "out\/x\.txt" as two outputs, "a" and "b"/,
    );
    assert.match(result.stderr, /hint: give each output its own path/);
    assertLocated(result, text, './out/x.txt');
  });

  void test('an output inside another output', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  outer:',
      '    outputs: {out: out/x}',
      '    shell: "sh tools/fake.sh outer {outputs.out}"',
      '  inner:',
      '    outputs: {out: out/x/y.txt}',
      '    shell: "sh tools/fake.sh inner {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /error: inner writes "out\/x\/y\.txt", inside "out\/x", which outer writes as a file/,
    );
    assertLocated(result, text, 'out/x/y.txt');
    assertLocated(result, text, 'out/x}');
  });

  void test('outputs that are the workspace or inside .neuromake', async (t) => {
    const rig = WorkspaceRig.create(t);
    const text = rig.pipeline(
      'steps:',
      '  here:',
      '    outputs: {out: ./}',
      '    shell: "sh tools/fake.sh here {outputs.out}"',
      '  state:',
      '    outputs: {out: .neuromake/state.db}',
      '    shell: "sh tools/fake.sh state {outputs.out}"',
    );
    const result = await rejected(rig);
    assert.match(
      result.stderr,
      /error: here: output "out" resolves to "\.\/", a directory, not a file/,
    );
    assert.match(
      result.stderr,
      /error: state: output "out" resolves to "\.neuromake\/state\.db", inside \.neuromake/,
    );
    assertLocated(result, text, './}');
    assertLocated(result, text, '.neuromake/state.db');
  });

  void test('jobs whose bindings print alike: a glob star that binds nothing', async (t) => {
    // (Matrix values that print alike are caught as repeats when parsed.)
    const rig = WorkspaceRig.create(t);
    for (const dir of ['a', 'b']) {
      for (const sub of ['01', '02']) rig.write(`data/${dir}/${sub}.txt`, '');
    }
    const text = rig.pipeline(
      'steps:',
      '  star:',
      "    for_each: {glob: 'data/*/{sub}.txt'}",
      "    outputs: {o: 'out/{sub}.txt'}",
      '    shell: "sh tools/fake.sh star {outputs.o}"',
    );
    const result = await rejected(rig);
    // One error for the step: not one per id, nor the shared outputs that
    // follow from the shared ids.
    assert.equal(result.stderr.match(/error:/g)?.length, 1, result.stderr);
    assert.match(
      result.stderr,
      /error: step "star" has jobs whose for_each bindings print alike, so several are called star\[sub=01\], star\[sub=02\]/,
    );
    assertLocated(result, text, 'for_each');
  });

  void test('a missing input or a cycle edge in a list points at that path', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('x.txt', 'x\n');
    const text = rig.pipeline(
      'steps:',
      '  a:',
      '    inputs:',
      '      i:',
      '        - x.txt',
      '        - out/c.txt',
      '        - missing.txt',
      '    outputs: {o: out/a.txt}',
      '    shell: "sh tools/fake.sh a {outputs.o}"',
      '  c:',
      '    inputs: {i: out/a.txt}',
      '    outputs: {o: out/c.txt}',
      '    shell: "sh tools/fake.sh c {outputs.o}"',
    );
    const missing = await rejected(rig);
    assert.match(missing.stderr, /input "i" is "missing\.txt", which no step/);
    assertLocated(missing, text, 'missing.txt');

    rig.pipeline(
      ...text
        .trimEnd()
        .split('\n')
        .filter((l) => !l.includes('missing')),
    );
    const cycle = await rejected(rig);
    assert.match(cycle.stderr, /dependency cycle/);
    assert.match(cycle.stderr, /a reads "i", an output of c/);
    const without = rig.read('pipeline.yaml');
    assertLocated(cycle, without, 'out/c.txt');
  });
});
