import assert from 'node:assert/strict';
import {test} from 'node:test';

import {safeName} from '../../src/execution/job-file-name.js';

void test('a job id that is a safe name is its own file name', () => {
  assert.equal(safeName('cp[i=1,s=a.b]'), 'cp[i=1,s=a.b]');
});

void test('ids that differ only in replaced characters get different names', () => {
  const ids = [
    'cp[name=数据]',
    'cp[name=文件]',
    'x[a=b c]',
    'x[a=b_c]',
    'x[a=b/c]',
  ];
  const names = ids.map(safeName);
  assert.equal(new Set(names).size, ids.length, names.join(' '));
  for (const name of names) assert.match(name, /^[A-Za-z0-9._,=[\]~-]+$/);
  // Still readable: the id with the odd characters replaced comes first.
  assert.match(safeName('x[a=b c]'), /^x\[a=b_c\]~[0-9a-f]{10}$/);
});

void test('a long id is cut to a legal file name and stays unique', () => {
  const a = `s[path=${'a'.repeat(300)}1]`;
  const b = `s[path=${'a'.repeat(300)}2]`;
  assert.ok(safeName(a).length + '.log'.length <= 255);
  assert.notEqual(safeName(a), safeName(b));
});
