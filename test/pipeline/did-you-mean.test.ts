import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  closestNames,
  didYouMean,
  editDistance,
} from '../../src/util/did-you-mean.js';

void test('editDistance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('outputs', 'output'), 1);
});

void test('editDistance counts a swapped pair as one edit', () => {
  assert.equal(editDistance('tsak', 'task'), 1);
  assert.equal(editDistance('ca', 'ac'), 1);
});

void test('closestNames suggests only close names, best first', () => {
  assert.deepEqual(closestNames('tsak', ['task', 'shell', 'env']), ['task']);
  assert.deepEqual(closestNames('xyz', ['task', 'shell']), []);
  assert.deepEqual(closestNames('inputz', ['inputs', 'outputs']), ['inputs']);
});

void test('closestNames treats case differences as close', () => {
  assert.deepEqual(closestNames('Task', ['task', 'shell']), ['task']);
});

void test('closestNames allows one edit for short names', () => {
  assert.deepEqual(closestNames('en', ['env']), ['env']);
  assert.deepEqual(closestNames('ab', ['env']), []);
});

void test('didYouMean phrases the hint or gives undefined', () => {
  assert.equal(didYouMean('shel', ['shell', 'task']), 'did you mean "shell"?');
  assert.equal(didYouMean('zzzz', ['shell', 'task']), undefined);
  assert.equal(
    didYouMean('bat', ['cat', 'hat']),
    'did you mean "cat" or "hat"?',
  );
});
