import assert from 'node:assert/strict';
import {test} from 'node:test';

import {covered, single, valid, yaml} from './helpers.js';

void test('executor: local or slurm per step; absent follows --executor', () => {
  const spec = valid(
    yaml(
      'steps:',
      '  a: {shell: "echo a > {outputs.o}", outputs: {o: a}, executor: slurm}',
      '  b: {shell: "echo b > {outputs.o}", outputs: {o: b}, executor: local}',
      '  c: {shell: "echo c > {outputs.o}", outputs: {o: c}}',
    ),
  );
  assert.equal(spec.steps.get('a')?.executor, 'slurm');
  assert.equal(spec.steps.get('b')?.executor, 'local');
  assert.equal(spec.steps.get('c')?.executor, undefined);
});

void test('an unknown executor is reported at its value with a hint', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    executor: slrum',
  );
  const d = single(
    text,
    /executor must be local or slurm, got the string "slrum"/,
    4,
    15,
  );
  assert.equal(covered(text, d), 'slrum');
  assert.equal(d.hint, 'did you mean "slurm"?');
});

void test('an executor that is not a string points at the docs', () => {
  const d = single(
    yaml('steps:', '  a:', '    shell: "true"', '    executor: [slurm]'),
    /executor must be local or slurm, got a list/,
    4,
    15,
  );
  assert.match(d.hint ?? '', /docs\/cluster\.md/);
});
