import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {test} from 'node:test';

import {loadPipeline} from '../../src/pipeline/load-pipeline.js';
import {FILE, invalid, valid, yaml} from './helpers.js';

const FULL = yaml(
  'params:',
  '  lag: 2',
  '  subjects: [a, b]',
  'steps:',
  '  fit:',
  '    description: Fit one run',
  '    task: model.fit',
  '    for_each:',
  '      glob: "data/sub-{subject}/run-{run}_*.nii.gz"',
  '      matrix: {model: [ridge, 3, true]}',
  '    inputs:',
  '      bold: "data/sub-{subject}/run-{run}_bold.nii.gz"',
  '      events: [a.tsv, "b-{run}.tsv"]',
  '    outputs:',
  '      weights: "out/{subject}/{run}/{model}.npy"',
  '    params:',
  '      lag: "{params.lag}"',
  '      alpha: 0.5',
  '    resources: {cpus: 2.5, memory: 4GiB, gpus: 1}',
  '    retries: 2',
  '    env: [OMP_NUM_THREADS]',
  '  summary:',
  '    shell: cat {inputs.all} > {outputs.table}',
  '    for_each: {step: fit}',
  '    inputs:',
  '      all: {from: fit, output: weights}',
  '    outputs:',
  '      table: "summary/{subject}-{run}-{model}.txt"',
);

void test('a valid pipeline becomes a PipelineSpec', () => {
  const spec = valid(FULL);
  assert.equal(spec.file, FILE);
  assert.equal(spec.workspace, '/work');
  assert.equal(spec.source, FULL);
  assert.deepEqual([...spec.params.keys()], ['lag', 'subjects']);
  assert.equal(spec.params.get('lag')?.value, 2);
  assert.deepEqual(spec.params.get('subjects')?.value, ['a', 'b']);
  assert.deepEqual([...spec.steps.keys()], ['fit', 'summary']);
});

void test('a task step keeps its fields and locations', () => {
  const fit = valid(FULL).steps.get('fit');
  assert.ok(fit !== undefined);
  assert.equal(fit.location.line, 5);
  assert.equal(fit.location.column, 3);
  assert.equal(fit.description, 'Fit one run');
  assert.equal(fit.action.kind, 'task');
  assert.equal(
    fit.action.kind === 'task' ? fit.action.task.value : '',
    'model.fit',
  );
  assert.equal(
    fit.forEach?.glob?.value,
    'data/sub-{subject}/run-{run}_*.nii.gz',
  );
  assert.deepEqual(fit.forEach.matrix.get('model')?.value, ['ridge', 3, true]);
  assert.deepEqual(fit.inputs.get('bold'), {
    kind: 'files',
    list: false,
    patterns: [
      {
        value: 'data/sub-{subject}/run-{run}_bold.nii.gz',
        location: {
          file: FILE,
          line: 12,
          column: 13,
          offset: FULL.indexOf('"data/sub-{subject}/run-{run}_bold'),
          length: '"data/sub-{subject}/run-{run}_bold.nii.gz"'.length,
        },
      },
    ],
  });
  const events = fit.inputs.get('events');
  assert.equal(events?.kind === 'files' && events.list, true);
  assert.equal(
    fit.outputs.get('weights')?.value,
    'out/{subject}/{run}/{model}.npy',
  );
  assert.equal(fit.params.get('lag')?.value, '{params.lag}');
  assert.equal(fit.params.get('alpha')?.value, 0.5);
  assert.deepEqual(fit.resources, {
    cpus: 2.5,
    memoryBytes: 4 * 2 ** 30,
    gpus: 1,
  });
  assert.equal(fit.retries, 2);
  assert.deepEqual(fit.env, ['OMP_NUM_THREADS']);
});

void test('a shell step with a gather input and for_each step', () => {
  const summary = valid(FULL).steps.get('summary');
  assert.ok(summary !== undefined);
  assert.equal(summary.action.kind, 'shell');
  assert.equal(summary.forEach?.step?.value, 'fit');
  const all = summary.inputs.get('all');
  assert.equal(all?.kind, 'gather');
  assert.equal(all.kind === 'gather' ? all.from.value : '', 'fit');
  assert.equal(all.kind === 'gather' ? all.output.value : '', 'weights');
});

void test('defaults: one cpu, no memory, no gpus, no retries', () => {
  const spec = valid(
    yaml(
      'steps:',
      '  hello:',
      '    shell: echo hi > {outputs.out}',
      '    outputs: {out: hi.txt}',
    ),
  );
  const hello = spec.steps.get('hello');
  assert.deepEqual(hello?.resources, {cpus: 1, memoryBytes: 0, gpus: 0});
  assert.equal(hello.retries, 0);
  assert.deepEqual(hello.env, []);
  assert.equal(hello.forEach, undefined);
  assert.equal(hello.description, undefined);
});

void test('memory may be a number of bytes or a decimal size', () => {
  const spec = valid(
    yaml(
      'steps:',
      '  a: {shell: "true", resources: {memory: 1000}}',
      '  b: {shell: "true", resources: {memory: 512MB}}',
      '  c: {shell: "true", resources: {memory: 2G}}',
    ),
  );
  assert.equal(spec.steps.get('a')?.resources.memoryBytes, 1000);
  assert.equal(spec.steps.get('b')?.resources.memoryBytes, 512e6);
  assert.equal(spec.steps.get('c')?.resources.memoryBytes, 2e9);
});

const WITH_PARAMS = yaml(
  'params:',
  '  lag: 2',
  '  name: x',
  'steps:',
  '  a:',
  '    shell: echo {params.lag} {params.name}',
);

void test('--set overrides parse values as YAML scalars', () => {
  const spec = valid(WITH_PARAMS, {
    overrides: new Map([
      ['lag', '4'],
      ['name', 'true'],
    ]),
  });
  assert.equal(spec.params.get('lag')?.value, 4);
  assert.equal(spec.params.get('name')?.value, true);
  // The override keeps the file location of the param it replaces.
  assert.equal(spec.params.get('lag')?.location.line, 2);
});

void test('--set values: text, empty, quoted and flow lists', () => {
  const set = (value: string) =>
    valid(WITH_PARAMS, {overrides: new Map([['name', value]])}).params.get(
      'name',
    )?.value;
  assert.equal(set('hello world'), 'hello world');
  assert.equal(set(''), '');
  assert.equal(set('"4"'), '4');
  assert.deepEqual(set('[1, two]'), [1, 'two']);
  assert.equal(set('a: b'), 'a: b');
  assert.equal(set('"unclosed'), '"unclosed');
  // Anchors and aliases within the value are the value's own.
  assert.deepEqual(set('[&a x, *a]'), ['x', 'x']);
});

void test('--set of an unknown param lists the known ones', () => {
  const [d] = invalid(WITH_PARAMS, {overrides: new Map([['lga', '3']])});
  assert.ok(d !== undefined);
  assert.equal(d.message, '--set lga: the pipeline has no param "lga"');
  assert.equal(d.location, undefined);
  assert.equal(d.hint, 'did you mean "lag"? (known params: lag, name)');
});

void test('a relative file name is made absolute', () => {
  const spec = valid(yaml('steps:', '  a: {shell: "true"}'));
  assert.ok(path.isAbsolute(spec.file));
  assert.equal(spec.workspace, path.dirname(spec.file));
});

void test('loadPipeline reads the file from disk', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'neuromake-load-'));
  try {
    const file = path.join(dir, 'pipeline.yaml');
    await writeFile(file, yaml('steps:', '  a: {shell: "true"}'));
    const result = await loadPipeline(file);
    assert.ok(result.ok);
    assert.equal(result.value.workspace, dir);
    const missing = await loadPipeline(path.join(dir, 'nope.yaml'));
    assert.ok(!missing.ok);
    assert.match(missing.error[0]?.message ?? '', /cannot read pipeline file/);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

void test('all diagnostics are collected, in file order', () => {
  const diagnostics = invalid(
    yaml(
      'steps:',
      '  a:',
      '    description: [x]',
      '    shell: 3',
      '  b:',
      '    shell: "true"',
      '    retries: many',
      '    frobnicate: 1',
    ),
  );
  assert.deepEqual(
    diagnostics.map((d) => d.location?.line),
    [3, 4, 7, 8],
  );
});

void test('an anchor and alias reuse a value', () => {
  const spec = valid(
    yaml(
      'params:',
      '  subjects: &subs [a, b]',
      'steps:',
      '  a:',
      '    shell: echo {s} > {outputs.out}',
      '    for_each: {matrix: {s: *subs}}',
      '    outputs: {out: "{s}.txt"}',
    ),
  );
  assert.deepEqual(spec.steps.get('a')?.forEach?.matrix.get('s')?.value, [
    'a',
    'b',
  ]);
  const diagnostics = invalid(
    yaml(
      'steps:',
      '  a: {shell: "true", retries: &r nope}',
      '  b: {shell: "true", retries: *r}',
    ),
  );
  assert.deepEqual(
    diagnostics.map((d) => [d.location?.line, d.location?.column]),
    [
      [2, 34],
      [3, 31],
    ],
  );
});

void test('a byte-order mark does not shift columns on the first line', () => {
  const [d] = invalid('\uFEFFstepz:\n  a: {shell: "true"}\n');
  assert.match(d?.message ?? '', /unknown key "stepz"/);
  assert.equal(d?.location?.line, 1);
  assert.equal(d?.location?.column, 1);
});
