import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {
  eventsOf,
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * header (files.write) and book (files.concat of a gather) feed cover
 * (files.concat of a list), which a counted shell step reads.
 */
function bookPipeline(rig: WorkspaceRig): void {
  for (const s of ['a', 'b']) rig.write(`in/${s}.txt`, `chapter ${s}\n`);
  rig.pipeline(
    'params:',
    '  greeting: hello',
    'steps:',
    '  header:',
    '    task: files.write',
    '    params: {text: "{params.greeting} world\\n"}',
    '    outputs: {out: parts/header.txt}',
    '  body:',
    '    for_each: {glob: "in/{s}.txt"}',
    '    inputs: {src: "in/{s}.txt"}',
    '    outputs: {out: "parts/{s}.body"}',
    '    shell: "sh tools/fake.sh body {outputs.out} {inputs.src}"',
    '  book:',
    '    task: files.concat',
    '    inputs: {files: {from: body, output: out}}',
    '    params: {separator: "--\\n"}',
    '    outputs: {out: book.txt}',
    '  cover:',
    '    task: files.concat',
    '    inputs: {files: [parts/header.txt, book.txt]}',
    '    outputs: {out: cover.txt}',
    '  shelf:',
    '    inputs: {src: cover.txt}',
    '    outputs: {out: shelf.txt}',
    '    shell: "sh tools/fake.sh shelf {outputs.out} {inputs.src}"',
  );
}

const BOOK = 'chapter a\n+body\n--\nchapter b\n+body\n';

void describe('built-in tasks', {concurrency: FILE_CONCURRENCY}, () => {
  void test('built-in tasks run in the worker pool and write their outputs', async (t) => {
    const rig = WorkspaceRig.create(t);
    bookPipeline(rig);
    const result = await rig.run('run', '-j', '2', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(rig.read('parts/header.txt'), 'hello world\n');
    assert.equal(rig.read('book.txt'), BOOK);
    assert.equal(rig.read('cover.txt'), `hello world\n${BOOK}`);
    assert.equal(rig.read('shelf.txt'), `hello world\n${BOOK}+shelf\n`);
    assert.deepEqual(outcomes(result), {
      header: 'ran',
      'body[s=a]': 'ran',
      'body[s=b]': 'ran',
      book: 'ran',
      cover: 'ran',
      shelf: 'ran',
    });
    assert.deepEqual(rig.tempFiles(), []);
  });

  void test('built-in tasks cache: a second run is fresh, an edit reruns downstream', async (t) => {
    const rig = WorkspaceRig.create(t);
    bookPipeline(rig);
    const first = await rig.run('run', '--json');
    assert.equal(first.code, 0, show(first));

    const second = await rig.run('run', '--json');
    assert.equal(second.code, 0, show(second));
    assert.deepEqual(
      Object.keys(outcomes(second)).sort(),
      Object.keys(outcomes(first)).sort(),
      'every job is reported again',
    );
    for (const [job, outcome] of Object.entries(outcomes(second))) {
      assert.equal(outcome, 'fresh', job);
    }
    assert.deepEqual(rig.counts(), {body: 2, shelf: 1});

    rig.write('in/b.txt', 'chapter b, revised\n');
    const edited = await rig.run('run', '--json');
    assert.equal(edited.code, 0, show(edited));
    assert.deepEqual(outcomes(edited), {
      header: 'fresh',
      'body[s=a]': 'fresh',
      'body[s=b]': 'ran',
      book: 'ran',
      cover: 'ran',
      shelf: 'ran',
    });
    assert.match(rig.read('shelf.txt'), /chapter b, revised/);

    rig.remove('book.txt');
    const restored = await rig.run('run', '--json');
    assert.equal(outcomes(restored)['book'], 'restored', show(restored));
    assert.deepEqual(rig.counts(), {body: 3, shelf: 2});
  });

  void test('a task param change reruns the task; why names it', async (t) => {
    const rig = WorkspaceRig.create(t);
    bookPipeline(rig);
    assert.equal((await rig.run('run')).code, 0);
    const why = await rig.run('why', 'header', '--set', 'greeting=hi');
    assert.equal(why.code, 0, show(why));
    assert.match(why.stdout, /param text: "hello world\\n" → "hi world\\n"/);

    const run = await rig.run('run', '--set', 'greeting=hi', '--json');
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(outcomes(run), {
      header: 'ran',
      'body[s=a]': 'fresh',
      'body[s=b]': 'fresh',
      book: 'fresh',
      cover: 'ran',
      shelf: 'ran',
    });
    assert.equal(rig.read('cover.txt'), `hi world\n${BOOK}`);
  });

  /**
   * `joined` is evaluated while extra.txt exists, then waits for both cpus;
   * `blocker` deletes extra.txt before letting them go, so the task's own
   * read fails inside the worker.
   */
  function throwingTaskPipeline(rig: WorkspaceRig): void {
    rig.write('extra.txt', 'extra\n');
    rig.pipeline(
      'steps:',
      '  first:',
      '    outputs: {out: first.txt}',
      '    shell: "sh tools/fake.sh first {outputs.out}"',
      '  blocker:',
      '    outputs: {out: blocker.txt}',
      '    shell: "sleep 0.6 && rm -f extra.txt && sh tools/fake.sh blocker {outputs.out}"',
      '  joined:',
      '    task: files.concat',
      '    resources: {cpus: 2}',
      '    inputs: {files: [first.txt, extra.txt]}',
      '    outputs: {out: joined.txt}',
    );
  }

  void test('a task that throws fails its job with exit 1 and leaves nothing', async (t) => {
    const rig = WorkspaceRig.create(t);
    throwingTaskPipeline(rig);
    const result = await rig.run('run', '-j', '2', '--json');
    assert.equal(result.code, 1, show(result));
    const [failed, ...more] = eventsOf(result, 'job-failed');
    assert.equal(more.length, 0);
    assert.equal(failed?.job, 'joined');
    assert.equal(failed?.reason, 'task-error');
    assert.match(String(failed?.message), /ENOENT[^]*extra\.txt/);
    assert.equal(rig.exists('joined.txt'), false);
    assert.deepEqual(rig.tempFiles(), []);
    assert.deepEqual(rig.counts(), {blocker: 1, first: 1});
    assert.match(rig.read(String(failed?.['log'])), /ENOENT/);
  });

  void test('a task error is printed with the job, the reason and the log', async (t) => {
    const rig = WorkspaceRig.create(t);
    throwingTaskPipeline(rig);
    const result = await rig.run('run', '-j', '2');
    assert.equal(result.code, 1, show(result));
    assert.match(result.stderr, /failed\s+joined: task-error: .*ENOENT/);
    assert.match(result.stderr, /log: \S+joined\.log/);
    assert.match(result.stdout, /1 failed/);
  });

  void test('a bad data file is reported by file and field, without a stack trace', async (t) => {
    const rig = WorkspaceRig.create(t);
    rig.write('m.json', '{"not": "metrics"}\n');
    rig.pipeline(
      'steps:',
      '  tables:',
      '    task: results.tables',
      '    inputs: {metrics: [m.json]}',
      '    outputs:',
      '      markdown: t.md',
      '      ethics_by_order: a.csv',
      '      ethics_by_sampling: b.csv',
      '      brain_by_finetune: c.csv',
      '      json: t.json',
    );
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 1, show(result));
    const [failed] = eventsOf(result, 'job-failed');
    assert.equal(failed?.reason, 'task-error');
    assert.equal(
      failed?.message,
      'm.json: order: missing: not a model.heads metrics file',
    );
  });

  void test('files.concat and files.write appear in `neuromake tasks`', async (t) => {
    const rig = WorkspaceRig.create(t);
    const result = await rig.run('tasks');
    assert.equal(result.code, 0, show(result));
    assert.match(result.stdout, /^files\.concat$/m);
    assert.match(result.stdout, /^files\.write$/m);
    assert.match(result.stdout, /param {2}text \(string, required\)/);
  });
});
