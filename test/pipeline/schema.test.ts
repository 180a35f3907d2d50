import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';

import {parseSize} from '../../src/pipeline/parse-size.js';
import {STEP_KEYS} from '../../src/pipeline/parse-step.js';
import {escapesWorkspace} from '../../src/pipeline/workspace-path.js';

/** The schema from the repository root (tests run from dist/test/…). */
async function schema(): Promise<Record<string, unknown>> {
  const url = new URL('../../../schema/pipeline.schema.json', import.meta.url);
  return JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>;
}

/** Follows a path of property names through the parsed schema. */
function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    assert.ok(typeof current === 'object' && current !== null, keys.join('.'));
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

void test('the schema is draft 2020-12 and lists the step keys', async () => {
  const s = await schema();
  assert.equal(s['$schema'], 'https://json-schema.org/draft/2020-12/schema');
  const stepKeys = Object.keys(at(s, '$defs', 'step', 'properties') as object);
  assert.deepEqual(stepKeys.sort(), [...STEP_KEYS].sort());
  assert.deepEqual(
    Object.keys(at(s, '$defs', 'resources', 'properties') as object).sort(),
    ['cpus', 'gpus', 'memory'],
  );
  assert.deepEqual(
    Object.keys(at(s, '$defs', 'forEach', 'properties') as object).sort(),
    ['glob', 'matrix', 'step'],
  );
});

void test("the schema's memory pattern agrees with parseSize", async () => {
  const memory = at(
    await schema(),
    '$defs',
    'resources',
    'properties',
    'memory',
  );
  const pattern = at(memory, 'oneOf', '1', 'pattern') as string;
  const regex = new RegExp(pattern, 'u');
  for (const text of ['512MB', '4GiB', '2G', '1.5 ki', '10b', '7', '2Gi']) {
    assert.ok(regex.test(text), text);
    assert.ok(parseSize(text).ok, text);
  }
  for (const text of ['4QB', 'GB', '-1G', '1iB', '1e3']) {
    assert.ok(!regex.test(text), text);
    assert.ok(!parseSize(text).ok, text);
  }
});

void test("the schema's output patterns agree with the workspace check", async () => {
  const output = at(await schema(), '$defs', 'output', 'allOf') as unknown[];
  const forbidden = output
    .slice(1)
    .map((part) => new RegExp(at(part, 'not', 'pattern') as string, 'u'));
  const samples = [
    'out/a.txt',
    '/abs',
    'C:\\x',
    'a/../b',
    '..',
    'a/..b',
    '..a/b',
  ];
  for (const path of samples) {
    const schemaSays = forbidden.some((r) => r.test(path));
    assert.equal(schemaSays, escapesWorkspace(path) !== undefined, path);
  }
});
