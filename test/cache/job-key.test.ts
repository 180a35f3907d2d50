import assert from 'node:assert/strict';
import {test} from 'node:test';

import {makeKey, type KeyRecord} from '../../src/cache/job-key.js';
import {canonicalJson} from '../../src/util/canonical-json.js';

const shell: KeyRecord = {
  neuromake: '0.1.0',
  action: {
    kind: 'shell',
    command: 'cp a b',
    scripts: {'z.sh': 'h2', 'a.py': 'h1'},
  },
  params: {b: [1, {y: 2, x: 1}], a: 'text "quoted"'},
  globals: {lag: 6},
  inputs: {src: [['in/b.txt', 'ff']], alpha: [['in/a.txt', 'ee']]},
  outputs: {out: 'o.txt', log: 'l.txt'},
  env: {PATH: null, HOME: '/root'},
};

void test('the fast key text equals the canonical JSON of the record', () => {
  assert.equal(makeKey(shell).text, canonicalJson(shell));
  const task: KeyRecord = {
    ...shell,
    action: {kind: 'task', name: 'fmri.mask', version: 'abc'},
    params: {},
    globals: {},
    inputs: {},
    env: {},
  };
  assert.equal(makeKey(task).text, canonicalJson(task));
});

void test('equal records give equal keys whatever the key order', () => {
  const reordered: KeyRecord = {
    env: {HOME: '/root', PATH: null},
    outputs: {log: 'l.txt', out: 'o.txt'},
    inputs: {alpha: [['in/a.txt', 'ee']], src: [['in/b.txt', 'ff']]},
    globals: {lag: 6},
    params: {a: 'text "quoted"', b: [1, {x: 1, y: 2}]},
    action: {
      kind: 'shell',
      scripts: {'a.py': 'h1', 'z.sh': 'h2'},
      command: 'cp a b',
    },
    neuromake: '0.1.0',
  };
  assert.equal(makeKey(reordered).hash, makeKey(shell).hash);
  assert.notEqual(
    makeKey({...shell, params: {...shell.params, a: 'other'}}).hash,
    makeKey(shell).hash,
  );
});
