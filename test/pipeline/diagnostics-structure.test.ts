import assert from 'node:assert/strict';
import {test} from 'node:test';

import {covered, invalid, single, valid, yaml} from './helpers.js';

void test('YAML syntax errors are located', () => {
  const text = yaml('steps:', '  a:', '    shell: "echo', '  b: 1');
  const diagnostics = invalid(text);
  assert.ok(diagnostics.length >= 1);
  assert.match(diagnostics[0]?.message ?? '', /^YAML syntax error: /);
  // An unclosed quote is reported at the quote, not where the file ends.
  assert.equal(diagnostics[0]?.location?.line, 3);
  assert.equal(diagnostics[0]?.location?.column, 12);
});

void test('an unquoted {wildcard} is one syntax error, with a hint to quote', () => {
  for (const [text, line, column] of [
    [
      yaml(
        'steps:',
        '  a:',
        '    for_each: {glob: data/sub-{s}/x.json}',
        '    outputs: {o: "o/{s}.txt"}',
        '    shell: "echo > {outputs.o}"',
      ),
      3,
      31,
    ],
    [
      yaml(
        'steps:',
        '  a:',
        '    for_each: {matrix: {s: [x]}}',
        '    outputs:',
        '      o: {s}.txt',
        '    shell: "echo > {outputs.o}"',
      ),
      5,
      13,
    ],
  ] as const) {
    const d = single(text, /^YAML syntax error: /, line, column);
    assert.match(d.hint ?? '', /^quote values that hold \{wildcards\}/);
  }
  // Other syntax errors keep the general hint.
  const other = invalid(yaml('steps:', '  a: {shell: "true"', '  b: 1'));
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]?.hint ?? '', /wildcards/);
});

void test('a duplicate key is a syntax error with a hint', () => {
  const d = single(
    yaml('steps:', '  a: {shell: "true"}', '  a: {shell: "false"}'),
    /YAML syntax error: .*unique/,
    3,
    3,
  );
  assert.match(d.hint ?? '', /remove or rename/);
});

void test('tabs as indentation are a syntax error', () => {
  const diagnostics = invalid('steps:\n\ta: {shell: "true"}\n');
  assert.ok(diagnostics.every((d) => d.message.startsWith('YAML syntax')));
  assert.equal(diagnostics[0]?.location?.line, 2);
});

void test('several YAML documents are one error at the second', () => {
  const d = single(
    yaml('steps: {a: {shell: "true"}}', '---', 'steps: {}'),
    /^YAML syntax error: the file holds more than one YAML document$/,
    2,
    1,
  );
  assert.match(d.hint ?? '', /remove the extra "---"/);
});

void test('an unknown YAML tag is reported at the tag', () => {
  single(
    yaml('steps:', '  a: {shell: !sh echo}'),
    /Unresolved tag: !sh/,
    2,
    14,
  );
});

void test('an alias inside the value it names is an error, not a crash', () => {
  const d = single(
    yaml(
      'params:',
      '  x: &a [1, *a]',
      'steps:',
      '  a: {shell: "echo {params.x} > {outputs.o}", outputs: {o: a.txt}}',
    ),
    /the alias \*a is inside the value &a names/,
    2,
    13,
  );
  assert.match(d.hint ?? '', /repeat the values/);
  // A step holding an alias to itself, and aliases that are fine.
  single(
    yaml(
      'steps:',
      '  a: &s',
      '    shell: "echo hi > {outputs.o}"',
      '    outputs: {o: a.txt}',
      '    params: {me: *s}',
    ),
    /the alias \*s is inside the value &s names/,
    5,
    18,
  );
  const spec = valid(
    yaml(
      'params:',
      '  d: &d {v: 1}',
      '  x: [*d, *d]',
      'steps:',
      '  a: {shell: "echo {params.x} > {outputs.o}", outputs: {o: a.txt}}',
    ),
  );
  assert.deepEqual(spec.params.get('x')?.value, [{v: 1}, {v: 1}]);
});

void test('an empty file says steps are needed', () => {
  single('', /the pipeline file is empty/, 1, 1);
  single('# just a comment\n', /the pipeline file is empty/, 1, 1);
});

void test('the top level must be a mapping', () => {
  const d = single(
    '- a\n- b\n',
    /the pipeline file must be a mapping, got a list/,
    1,
    1,
  );
  assert.ok(d.hint);
});

void test('a missing steps section is reported', () => {
  single(yaml('params: {a: 1}'), /has no steps: section/, 1, 1);
});

void test('an empty steps section is reported at its value', () => {
  single(yaml('steps: {}'), /steps must not be empty/, 1, 8);
});

void test('unknown top-level keys get a did-you-mean', () => {
  const d = single(
    yaml('parms: {a: 1}', 'steps:', '  a: {shell: "true"}'),
    /unknown key "parms" in the pipeline file/,
    1,
    1,
  );
  assert.equal(d.hint, 'did you mean "params"?');
});

void test('unknown step keys get a did-you-mean, or the list', () => {
  const text = yaml('steps:', '  a:', '    shell: "true"', '    retires: 2');
  const d = single(text, /unknown key "retires" in step "a"/, 4, 5);
  assert.equal(d.hint, 'did you mean "retries"?');
  assert.equal(covered(text, d), 'retires');
  const far = single(
    yaml('steps:', '  a:', '    shell: "true"', '    zzzzzz: 2'),
    /unknown key "zzzzzz"/,
    4,
    5,
  );
  assert.match(far.hint ?? '', /^expected one of: description, task, shell/);
});

void test('a misspelt key is reported alone, not also as the key missing', () => {
  const only = (text: string, key: string) =>
    assert.deepEqual(
      invalid(text).map((d) => d.message),
      [
        `unknown key "${key}" ${text.startsWith(key) ? 'in the pipeline file' : 'in step "a"'}`,
      ],
    );
  only(yaml('stpes:', '  a: {shell: "true"}'), 'stpes');
  only(
    yaml(
      'steps:',
      '  a:',
      '    ouptuts: {o: a.txt}',
      '    shell: "echo > {outputs.o}"',
    ),
    'ouptuts',
  );
  only(
    yaml(
      'steps:',
      '  a:',
      '    inptus: {i: a.txt}',
      '    shell: "cat {inputs.i}"',
    ),
    'inptus',
  );
  only(
    yaml(
      'steps:',
      '  a:',
      '    for_eahc: {matrix: {s: [x]}}',
      '    outputs: {o: "{s}.txt"}',
      '    shell: "echo {s} > {outputs.o}"',
    ),
    'for_eahc',
  );
  only(
    yaml('steps:', '  a:', '    parms: {x: 1}', '    shell: "echo {params.x}"'),
    'parms',
  );
  // A task's required outputs and params, behind misspelt sections.
  assert.deepEqual(
    invalid(
      yaml(
        'steps:',
        '  a:',
        '    task: model.fit',
        '    inputs: {bold: a.nii, events: [a.tsv]}',
        '    outptus: {weights: w.npy}',
        '    parms: {lag: 1}',
      ),
    ).map((d) => d.message),
    ['unknown key "outptus" in step "a"', 'unknown key "parms" in step "a"'],
  );
  // A misspelt top-level params, and outputs another step gathers.
  assert.deepEqual(
    invalid(
      yaml(
        'parms: {lag: 2}',
        'steps:',
        '  a:',
        '    ouptuts: {o: a.txt}',
        '    shell: "echo {params.lag} > {outputs.o}"',
        '  b:',
        '    inputs: {all: {from: a, output: o}}',
        '    shell: "cat {inputs.all}"',
      ),
    ).map((d) => d.message),
    [
      'unknown key "parms" in the pipeline file',
      'unknown key "ouptuts" in step "a"',
    ],
  );
  // Without a near miss, the missing key is still reported.
  assert.deepEqual(
    invalid(
      yaml(
        'steps:',
        '  a:',
        '    zzzzzz: {o: a.txt}',
        '    shell: "echo > {outputs.o}"',
      ),
    ).map((d) => d.message),
    [
      'unknown key "zzzzzz" in step "a"',
      '{outputs.o} names no output of step "a"',
    ],
  );
});

void test('merge keys bring in anchored mappings; x- keys hold the anchors', () => {
  const spec = valid(
    yaml(
      'x-heavy: &heavy',
      '  resources: {cpus: 2, memory: 1GB}',
      '  retries: 1',
      'x-env: &env',
      '  env: [OMP_NUM_THREADS]',
      '  retries: 3',
      'steps:',
      '  a:',
      '    <<: [*heavy, *env]',
      '    retries: 2',
      '    shell: "true"',
      '  b:',
      '    <<: *env',
      '    shell: "true"',
    ),
  );
  const a = spec.steps.get('a');
  assert.equal(a?.resources.cpus, 2);
  assert.equal(a?.retries, 2, 'a key written in the step wins');
  assert.deepEqual(a?.env, ['OMP_NUM_THREADS']);
  assert.equal(spec.steps.get('b')?.retries, 3);

  // Inside a param's value too (a config mapping), written keys winning.
  const params = valid(
    yaml(
      'x-base: &base {lr: 0.1, depth: 3}',
      'params:',
      '  cfg: {<<: *base, lr: 0.5}',
      'steps:',
      '  a: {shell: "true", params: {opt: {<<: [*base], depth: 4}}}',
    ),
  );
  assert.deepEqual(params.params.get('cfg')?.value, {lr: 0.5, depth: 3});
  // YAML 1.1, which defines the merge key, reads it the same way.
  const old = valid(
    yaml(
      '%YAML 1.1',
      '---',
      'x-d: &d {retries: 1}',
      'steps:',
      '  a: {<<: *d, shell: "true"}',
    ),
  );
  assert.equal(old.steps.get('a')?.retries, 1);
  assert.deepEqual(params.steps.get('a')?.params.get('opt')?.value, {
    depth: 4,
    lr: 0.1,
  });

  // What is merged is checked like what is written.
  const text = yaml(
    'x-bad: &bad',
    '  retires: 2',
    'steps:',
    '  a:',
    '    <<: *bad',
    '    shell: "true"',
    '  b:',
    '    <<: [retries]',
    '    shell: "true"',
    '  c:',
    "    '<<': 1",
    '    shell: "true"',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line]),
    [
      ['unknown key "retires" in step "a"', 2],
      [
        '<< in step "b" must name mappings to merge, got the string "retries"',
        8,
      ],
      ['unknown key "<<" in step "c"', 11],
    ],
  );
  // A mistake in an anchor three steps merge is said once.
  assert.deepEqual(
    invalid(
      yaml(
        'x-d: &d {resources: {cpus: 0}}',
        'steps:',
        '  a: {<<: *d, shell: "true"}',
        '  b: {<<: *d, shell: "true"}',
        '  c: {<<: *d, shell: "true"}',
      ),
    ).map((d) => d.message),
    ['cpus must be a positive number, got the number 0'],
  );
  // A mapping written in place merges too.
  assert.equal(
    valid(yaml('steps:', '  b: {<<: {retries: 1}, shell: "true"}')).steps.get(
      'b',
    )?.retries,
    1,
  );
  // Keys of one's own at the top level are x- keys; the hint says so.
  assert.match(
    invalid(yaml('x_defaults: {}', 'steps:', '  a: {shell: "true"}'))[0]
      ?.hint ?? '',
    /or x-NAME for a block of anchors/,
  );
});

void test('unknown keys inside for_each, resources and gathers', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    for_each: {matrx: {s: [x]}}',
    '    resources: {cpu: 2}',
    '    inputs: {x: {from: b, outptu: o}}',
    '  b: {shell: "true", outputs: {o: o.txt}}',
  );
  const diagnostics = invalid(text);
  const unknown = diagnostics.filter((d) =>
    d.message.startsWith('unknown key'),
  );
  assert.deepEqual(
    unknown.map((d) => [
      d.message,
      d.location?.line,
      d.location?.column,
      d.hint,
    ]),
    [
      [
        'unknown key "matrx" in for_each of step "a"',
        4,
        16,
        'did you mean "matrix"?',
      ],
      [
        'unknown key "cpu" in resources of step "a"',
        5,
        17,
        'did you mean "cpus"?',
      ],
      [
        'unknown key "outptu" in gather input "x"',
        6,
        27,
        'did you mean "output"?',
      ],
    ],
  );
});

void test('a step must be a mapping', () => {
  single(
    yaml('steps:', '  a: echo hi'),
    /step "a" must be a mapping, got the string "echo hi"/,
    2,
    6,
  );
});

void test('step ids and param names must be valid names', () => {
  const text = yaml(
    'params:',
    '  2fast: 1',
    'steps:',
    '  my step: {shell: "true"}',
  );
  const diagnostics = invalid(text);
  assert.deepEqual(
    diagnostics.map((d) => [d.location?.line, d.location?.column]),
    [
      [2, 3],
      [4, 3],
    ],
  );
  assert.match(
    diagnostics[0]?.message ?? '',
    /param "2fast" is not a valid name/,
  );
  assert.match(
    diagnostics[1]?.message ?? '',
    /step id "my step" is not a valid name/,
  );
  assert.equal(diagnostics[1]?.hint, 'rename it, e.g. "my_step"');
});

void test('both task and shell is an error at the second one', () => {
  const d = single(
    yaml('steps:', '  a:', '    task: model.fit', '    shell: "true"'),
    /step "a" has both task and shell; it must have exactly one/,
    4,
    5,
  );
  assert.equal(d.related?.[0]?.location.line, 3);
});

void test('neither task nor shell is an error at the step id', () => {
  single(
    yaml('steps:', '  a:', '    description: nothing to do'),
    /step "a" has neither task nor shell/,
    2,
    3,
  );
});

void test('wrong types are reported at the value', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: [echo, hi]',
    '    description: 3',
    '    retries: 1.5',
    '    env: OMP',
    '    outputs: [a.txt]',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      ['shell must be a string, got a list', 3, 12],
      ['description must be a string, got the number 3', 4, 18],
      ['retries must be a whole number ≥ 0, got the number 1.5', 5, 14],
      [
        'env must be a list of environment variable names, got the string "OMP"',
        6,
        10,
      ],
      ['outputs of step "a" must be a mapping, got a list', 7, 14],
    ],
  );
});

void test('an empty value is reported at its key', () => {
  single(
    yaml('steps:', '  a:', '    shell: "true"', '    outputs:'),
    /outputs of step "a" must be a mapping, got nothing/,
    4,
    5,
  );
});

void test('resources: cpus positive, gpus whole, memory a size', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    resources:',
    '      cpus: -1',
    '      memory: 4 gigs',
    '      gpus: 0.5',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      ['cpus must be a positive number, got the number -1', 5, 13],
      ['memory must be a size: "gigs" in "4 gigs" is not a size unit', 6, 15],
      ['gpus must be a whole number ≥ 0, got the number 0.5', 7, 13],
    ],
  );
});

void test('env names must be valid and distinct', () => {
  const text = yaml('steps:', '  a: {shell: "true", env: [HOME, 9X, HOME]}');
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.column]),
    [
      [
        'env entries must be environment variable names, got the string "9X"',
        34,
      ],
      ['env variable "HOME" is listed twice', 38],
    ],
  );
});

void test('inputs: wrong shapes and empty lists', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    inputs:',
    '      x: 3',
    '      y: []',
    '      z: {from: b}',
    '      w: ""',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'input "x" must be a path, a list of paths or {from, output}, got the number 3',
        5,
        10,
      ],
      ['input "y" must list at least one path, got an empty list', 6, 10],
      ['gather input "z" is missing "output"', 7, 10],
      ['input "w" must not be empty', 8, 10],
    ],
  );
});

void test('outputs must stay inside the workspace', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    outputs:',
    '      x: /tmp/out.txt',
    '      y: "results/../../out.txt"',
    '      z: C:\\out.txt',
  );
  const diagnostics = invalid(text);
  assert.deepEqual(
    diagnostics.map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'output "x" is an absolute path: outputs must stay inside the workspace',
        5,
        10,
      ],
      [
        'output "y" climbs out with "..": outputs must stay inside the workspace',
        6,
        19,
      ],
      [
        'output "z" is an absolute path: outputs must stay inside the workspace',
        7,
        10,
      ],
    ],
  );
  assert.equal(covered(text, diagnostics[1]!), '..');
});

void test('an output with a ".." that stays inside is given its plain spelling', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    for_each: {matrix: {s: [x]}}',
    '    shell: "true"',
    '    outputs:',
    '      y: "out/{s}/tmp/.././y.txt"',
    '      z: "out/{s}/z.txt"',
  );
  const diagnostics = invalid(text);
  assert.deepEqual(
    diagnostics.map((d) => [
      d.message,
      d.hint,
      d.location?.line,
      d.location?.column,
    ]),
    [
      [
        'output "y" has a ".." part: outputs are written without ".."',
        'write it as "out/{s}/y.txt"',
        6,
        23,
      ],
    ],
  );
  assert.equal(covered(text, diagnostics[0]!), '..');
});
