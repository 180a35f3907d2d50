import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

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

  // A long log is read from its end: the cut first line is left out.
  writeFileSync(log, `${'y'.repeat(20_000)}\nlast words\n`);
  assert.deepEqual(logTail(log), ['last words']);

  assert.deepEqual(logTail(join(dir, 'missing.log')), []);
  writeFileSync(log, '$ true\n\nneuromake: finished without writing output\n');
  assert.deepEqual(logTail(log), []);
});
