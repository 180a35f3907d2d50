import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadPipelineText} from '../../src/pipeline/load-pipeline.js';
import {FILE, invalid, single, valid, yaml} from './helpers.js';

/** A model.fit step; `extra` lines are appended inside it. */
function fit(...extra: string[]): string {
  return yaml(
    'steps:',
    '  fit:',
    '    task: model.fit',
    '    inputs:',
    '      bold: bold.nii.gz',
    '      events: [a.tsv]',
    '    outputs:',
    '      weights: w.npy',
    '    params:',
    '      lag: 2',
    ...extra,
  );
}

void test('a complete task step is valid', () => {
  valid(fit());
});

void test('an unknown task suggests the closest and lists the tasks', () => {
  const d = single(
    yaml('steps:', '  a:', '    task: model.fti'),
    /^unknown task "model.fti"$/,
    3,
    11,
  );
  assert.equal(
    d.hint,
    'did you mean "model.fit"? (registered tasks: model.fit)',
  );
});

void test('an unknown task far from all names just lists them', () => {
  const d = single(
    yaml('steps:', '  a: {task: blah}'),
    /unknown task "blah"/,
    2,
    13,
  );
  assert.equal(d.hint, 'registered tasks: model.fit');
});

void test('the built-in registry is used by default', () => {
  const result = loadPipelineText(
    FILE,
    yaml('steps:', '  a:', '    task: files.writ', '    outputs: {out: a.txt}'),
  );
  assert.ok(!result.ok);
  assert.match(result.error[0]?.hint ?? '', /did you mean "files.write"\?/);
  const ok = loadPipelineText(
    FILE,
    yaml(
      'steps:',
      '  a:',
      '    task: files.write',
      '    outputs: {out: a.txt}',
      '    params: {text: hello}',
    ),
  );
  assert.ok(ok.ok);
});

void test('unknown input, output and param names get did-you-mean', () => {
  const text = fit('      alpah: 3', '    resources: {cpus: 1}').replace(
    '      bold: bold.nii.gz',
    '      bld: bold.nii.gz\n      bold: b',
  );
  const diagnostics = invalid(text);
  assert.deepEqual(
    diagnostics.map((d) => [
      d.message,
      d.location?.line,
      d.location?.column,
      d.hint,
    ]),
    [
      ['task "model.fit" has no input "bld"', 5, 7, 'did you mean "bold"?'],
      ['task "model.fit" has no param "alpah"', 12, 7, 'did you mean "alpha"?'],
    ],
  );
});

void test('a name far from all ports lists them', () => {
  const text = fit().replace(
    '      weights: w.npy',
    '      weights: w.npy\n      zzzzz: z',
  );
  const [d] = invalid(text);
  assert.equal(d?.message, 'task "model.fit" has no output "zzzzz"');
  assert.equal(d.hint, 'its outputs: weights, report');
});

void test('missing required inputs, outputs and params are reported', () => {
  const text = yaml(
    'steps:',
    '  fit:',
    '    task: model.fit',
    '    inputs:',
    '      mask: m.nii',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'step "fit" is missing output "weights", which task "model.fit" requires',
        2,
        3,
      ],
      [
        'step "fit" is missing param "lag", which task "model.fit" requires',
        2,
        3,
      ],
      [
        'step "fit" is missing input "bold", which task "model.fit" requires',
        4,
        5,
      ],
      [
        'step "fit" is missing input "events", which task "model.fit" requires',
        4,
        5,
      ],
    ],
  );
});

void test('a list or gather for a single-path input is an error', () => {
  const text = fit().replace(
    '      bold: bold.nii.gz',
    '      bold: [a.nii, b.nii]',
  );
  single(
    text,
    /input "bold" of task "model.fit" takes a single path, but a list gives several/,
    5,
    7,
  );
});

void test('a single path for a list input is fine', () => {
  valid(fit().replace('      events: [a.tsv]', '      events: a.tsv'));
});

void test('literal params are checked against type, enum and range', () => {
  const cases: [string, RegExp, number][] = [
    [
      '      lag: "2"',
      /param "lag" of task "model.fit" must be an integer, got "2"/,
      12,
    ],
    ['      lag: 1.5', /must be an integer, got 1.5/, 12],
    ['      lag: -1', /must be at least 0, got -1/, 12],
    ['      lag: 9', /must be at most 8, got 9/, 12],
  ];
  for (const [line, message, column] of cases) {
    single(fit().replace('      lag: 2', line), message, 10, column);
  }
  single(
    fit('      method: lasso'),
    /must be one of ridge, ols, got "lasso"/,
    11,
    15,
  );
  single(fit('      verbose: "yes"'), /must be true or false/, 11, 16);
  single(fit('      alpha: [1]'), /must be a number, got a list/, 11, 14);
});

void test('template params skip the type check; escaped literals do not', () => {
  valid(
    yaml('params: {lag: 3}').concat(
      fit()
        .replace('steps:\n', 'steps:\n')
        .replace('      lag: 2', '      lag: "{params.lag}"'),
    ),
  );
  single(
    fit('      method: "{{ridge}}"'),
    /must be one of ridge, ols, got "\{ridge\}"/,
    11,
    15,
  );
});

void test('a param that is not declared by the task is reported at its key', () => {
  const d = single(
    fit('      solver: ridge'),
    /task "model.fit" has no param "solver"/,
    11,
    7,
  );
  assert.equal(d.hint, 'its params: lag, alpha, method, verbose');
});
