import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import {commandHeader} from '../../src/execution/local-runner.js';
import {logTail} from '../../src/execution/log-tail.js';

void test("a log's tail is the job's last lines, without the runner's own", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nm-tail-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const log = join(dir, 'a.log');

  writeFileSync(
    log,
    '$ python3 fit.py out/.nm-tmp-1\nloading\nKeyError: 03\n\nneuromake: command exited with code 1\n',
  );
  assert.deepEqual(logTail(log), ['loading', 'KeyError: 03']);

  // Only the last ten lines, each cut to 200 characters.
  const many = Array.from({length: 30}, (_, i) => `line ${i}`);
  writeFileSync(log, `$ cmd\n${many.join('\n')}\n${'x'.repeat(300)}\n`);
  const tail = logTail(log);
  assert.equal(tail.length, 10);
  assert.equal(tail[0], 'line 21');
  assert.equal(tail[9], `${'x'.repeat(200)}…`);

  // A long log is read from its end: the cut first line is left out,
  // unless it is all there is.
  writeFileSync(log, `${'y'.repeat(20_000)}\nlast words\n`);
  assert.deepEqual(logTail(log), ['last words']);
  writeFileSync(log, `Error: the cause\n${'z'.repeat(9000)}\n`);
  assert.deepEqual(logTail(log), [`…${'z'.repeat(199)}…`]);

  // A multi-line command's header is left out whole (see commandHeader).
  writeFileSync(
    log,
    `${commandHeader('set -e\necho "second line"\nexit 3\n')}second line\n`,
  );
  assert.deepEqual(logTail(log), ['second line']);

  // What a terminal would show: no colour escapes, a progress bar's last
  // state, other control characters as ?, whole code points.
  writeFileSync(
    log,
    `\x1b[31mred error\x1b[0m\nprogress 10%\rprogress 50%\rdone\nbin\x00\x01\n${'é'.repeat(199)}😀😀\n`,
  );
  assert.deepEqual(logTail(log), [
    'red error',
    'done',
    'bin??',
    `${'é'.repeat(199)}😀…`,
  ]);

  assert.deepEqual(logTail(join(dir, 'missing.log')), []);
  writeFileSync(log, '$ true\n\nneuromake: finished without writing output\n');
  assert.deepEqual(logTail(log), []);
});
