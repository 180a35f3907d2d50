import assert from 'node:assert/strict';
import {test} from 'node:test';

import {parseSize} from '../../src/pipeline/parse-size.js';

function bytes(text: string): number {
  const result = parseSize(text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

void test('plain numbers and B are bytes', () => {
  assert.equal(bytes('1024'), 1024);
  assert.equal(bytes('10B'), 10);
});

void test('K, M, G, T and KB, MB, GB are decimal', () => {
  assert.equal(bytes('512MB'), 512e6);
  assert.equal(bytes('2G'), 2e9);
  assert.equal(bytes('3k'), 3000);
  assert.equal(bytes('1TB'), 1e12);
});

void test('KiB, MiB, GiB and Ki, Mi, Gi are binary', () => {
  assert.equal(bytes('4GiB'), 4 * 2 ** 30);
  assert.equal(bytes('1KiB'), 1024);
  assert.equal(bytes('2Mi'), 2 * 2 ** 20);
});

void test('fractions, spaces and case are accepted', () => {
  assert.equal(bytes('1.5 GiB'), 1.5 * 2 ** 30);
  assert.equal(bytes('0.5kb'), 500);
  assert.equal(bytes('.5K'), 500);
  assert.equal(bytes('1.1GB'), 1_100_000_000);
});

void test('malformed sizes and unknown units fail with a message', () => {
  const cases: [string, RegExp][] = [
    ['', /is not a size/],
    ['GB', /is not a size/],
    ['-1GB', /is not a size/],
    ['4QB', /"QB" in "4QB" is not a size unit/],
    ['1e3', /"1e3" is not a size/],
    ['99999999PiB', /too large/],
  ];
  for (const [text, message] of cases) {
    const result = parseSize(text);
    assert.ok(!result.ok, text);
    assert.match(result.error, message);
  }
});
