import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {test, type TestContext} from 'node:test';

import {globBindings, globMatcher} from '../../src/graph/glob-bindings.js';
import {scratchDir} from '../rig/fixtures.js';

/** A workspace holding an empty file at each of `paths`. */
function workspace(t: TestContext, paths: string[]): string {
  const dir = scratchDir(t, 'glob');
  for (const path of paths) {
    mkdirSync(dirname(join(dir, path)), {recursive: true});
    writeFileSync(join(dir, path), '');
  }
  return dir;
}

/** Each binding as `name=value` pairs, for short assertions. */
function found(dir: string, pattern: string): string[] {
  return globBindings(dir, pattern).map((b) =>
    [...b].map(([k, v]) => `${k}=${String(v)}`).join(','),
  );
}

void test('wildcards bind, a wildcard repeated across segments must agree', (t) => {
  const dir = workspace(t, [
    'data/sub-01/func/sub-01_run-1.nii.gz',
    'data/sub-01/func/sub-01_run-2.nii.gz',
    'data/sub-02/func/sub-03_run-1.nii.gz',
  ]);
  assert.deepEqual(found(dir, 'data/sub-{s}/func/sub-{s}_run-{r}.nii.gz'), [
    's=01,r=1',
    's=01,r=2',
  ]);
});

void test('a wildcard repeated within one segment matches the same text', (t) => {
  const dir = workspace(t, [
    'data/a-b-a-b.txt',
    'data/a-b.txt',
    'data/x-x.txt',
  ]);
  assert.deepEqual(found(dir, 'data/{s}-{s}.txt'), ['s=a-b', 's=x']);
});

void test('doubled braces are literal braces, not a wildcard', (t) => {
  const dir = workspace(t, ['data/{lit}-01.txt', 'data/{other}-02.txt']);
  assert.deepEqual(found(dir, 'data/{{lit}}-{sub}.txt'), ['sub=01']);
});

void test('a star matches without binding; regex characters are literal', (t) => {
  const dir = workspace(t, ['d/x.y+1.txt', 'd/xzy+1.txt', 'd/q/a.txt']);
  assert.deepEqual(found(dir, 'd/{n}.y+1.txt'), ['n=x']);
  assert.deepEqual(found(dir, 'd/*/{f}.txt'), ['f=a']);
});

void test('doubled braces in a directory name with no wildcard are one brace', (t) => {
  const dir = workspace(t, ['data/x}y/1.txt', 'data/x{y/2.txt']);
  assert.deepEqual(found(dir, 'data/x}}y/{s}.txt'), ['s=1']);
  assert.deepEqual(found(dir, 'data/x{{y/{s}.txt'), ['s=2']);
});

void test('globMatcher matches paths as globBindings reads the pattern', () => {
  const matches = globMatcher('data/sub-{s}/func/sub-{s}_*.txt');
  assert.equal(matches('data/sub-01/func/sub-01_a.txt'), true);
  // The repeated wildcard must agree; segment counts must be equal.
  assert.equal(matches('data/sub-01/func/sub-02_a.txt'), false);
  assert.equal(matches('data/sub-01/func/x/sub-01_a.txt'), false);
  assert.equal(globMatcher('d/x}}y/{s}.txt')('d/x}y/1.txt'), true);
  assert.equal(globMatcher('/abs/{f}.txt')('/abs/a.txt'), true);
});
