import assert from 'node:assert/strict';
import {test} from 'node:test';

import {covered, invalid, single, valid, yaml} from './helpers.js';

void test('a template syntax error points at the brace inside the string', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "echo {params.x > out"',
    '    params: {x: 1}',
  );
  const d = single(text, /invalid template: unclosed "\{"/, 3, 18);
  assert.equal(covered(text, d), '{');
});

void test('an unmatched closing brace is located', () => {
  single(
    yaml('steps:', '  a:', '    shell: echo done }'),
    /invalid template: unmatched "\}"/,
    3,
    22,
  );
});

void test('an invalid reference is underlined whole', () => {
  const text = yaml('steps:', '  a:', '    shell: cat {input.x}');
  const d = single(text, /"\{input.x\}" is not a valid reference/, 3, 16);
  assert.equal(covered(text, d), '{input.x}');
});

void test('errors inside a block scalar land on the right line', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: |',
    '      set -e',
    '      echo {{literal}} {nope',
  );
  single(text, /unclosed "\{"/, 5, 24);
});

void test('{params.x} must name a step or global param', () => {
  const text = yaml(
    'params: {lag: 1}',
    'steps:',
    '  a:',
    '    shell: echo {params.lga} {params.lag} {params.own}',
    '    params: {own: 2}',
  );
  const d = single(
    text,
    /\{params.lga\} names no param: step "a" has no param "lga" and there is no global param "lga"/,
    4,
    17,
  );
  assert.equal(d.hint, 'did you mean "lag"?');
  assert.equal(covered(text, d), '{params.lga}');
});

void test('in step params, {params.x} names a global param', () => {
  valid(
    yaml(
      'params: {lag: 1}',
      'steps:',
      '  a:',
      '    shell: echo {params.lag}',
      '    params: {lag: "{params.lag}"}',
    ),
  );
  single(
    yaml(
      'steps:',
      '  a:',
      '    shell: echo {params.b}',
      '    params: {a: 1, b: "{params.a}"}',
    ),
    /\{params.a\} names no global param/,
    4,
    24,
  );
});

void test('{inputs.x} and {outputs.x} are only for shell commands', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    outputs: {o: "{inputs.i}.out"}',
    '    inputs: {i: in.txt}',
  );
  single(text, /\{inputs.i\} can only be used in a shell command/, 4, 19);
});

void test('{inputs.x} and {outputs.x} must be declared', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: cat {inputs.src} > {outputs.dst}',
    '    inputs: {sr: in.txt}',
    '    outputs: {out: out.txt}',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.column, d.hint]),
    [
      ['{inputs.src} names no input of step "a"', 16, 'did you mean "sr"?'],
      [
        '{outputs.dst} names no output of step "a"',
        31,
        'declare it under outputs: (known: out)',
      ],
    ],
  );
});

void test('a wildcard in a step without for_each is unbound', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    outputs: {o: "out/{subject}.txt"}',
  );
  const d = single(
    text,
    /step "a" has no for_each, so \{subject\} is not bound/,
    4,
    23,
  );
  assert.match(d.hint ?? '', /bind it in for_each/);
  assert.equal(covered(text, d), '{subject}');
});

void test('unbound wildcards in inputs, params and shell, with hints', () => {
  const text = yaml(
    'params: {lag: 1}',
    'steps:',
    '  a:',
    '    shell: echo ${HOME} {subjet} > {outputs.o}',
    '    for_each: {matrix: {subject: [x]}}',
    '    inputs: {i: "in/{lag}.txt"}',
    '    outputs: {o: "out/{subject}.txt"}',
    '    params: {p: "{run}"}',
  );
  assert.deepEqual(
    invalid(text).map((d) => [
      d.message,
      d.location?.line,
      d.location?.column,
      d.hint,
    ]),
    [
      [
        'wildcard {HOME} is not bound by the for_each of step "a"',
        4,
        18,
        'for the shell variable, write ${{HOME}} (doubled braces are literal)',
      ],
      [
        'wildcard {subjet} is not bound by the for_each of step "a"',
        4,
        25,
        'did you mean "subject"?',
      ],
      [
        'wildcard {lag} is not bound by the for_each of step "a"',
        6,
        21,
        'to use the param, write {params.lag}',
      ],
      [
        'wildcard {run} is not bound by the for_each of step "a"',
        8,
        18,
        'bind it in for_each, e.g. `matrix: {run: [a, b]}` or a {run} part in the glob',
      ],
    ],
  );
});

void test('wildcards come from glob, matrix and step, recursively', () => {
  valid(
    yaml(
      'steps:',
      '  a:',
      '    shell: cp {inputs.i} {outputs.o}',
      '    for_each: {glob: "raw/{subject}/*.nii"}',
      '    inputs: {i: "raw/{subject}/x.nii"}',
      '    outputs: {o: "a/{subject}.nii"}',
      '  b:',
      '    shell: cp {inputs.i} {outputs.o}',
      '    for_each: {step: a, matrix: {run: [1, 2]}}',
      '    inputs: {i: "a/{subject}.nii"}',
      '    outputs: {o: "b/{subject}-{run}.nii"}',
      '  c:',
      '    shell: cp {inputs.i} {outputs.o}',
      '    for_each: {step: b}',
      '    inputs: {i: "b/{subject}-{run}.nii"}',
      '    outputs: {o: "c/{subject}-{run}.nii"}',
    ),
  );
});

void test('an output that misses a wildcard would be written twice', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    for_each: {matrix: {subject: [x, y], run: [1, 2]}}',
    '    outputs: {o: "out/{subject}.txt"}',
  );
  const d = single(
    text,
    /^output "o" of step "a" does not use \{run\}: two jobs that differ only in run would write the same file$/,
    5,
    18,
  );
  assert.equal(
    d.hint,
    'add {run} to the path so every job writes its own file',
  );
});

void test('a wildcard an output takes through a step param counts as used', () => {
  valid(
    yaml(
      'steps:',
      '  a:',
      '    shell: "true"',
      '    for_each: {matrix: {subject: [x, y], run: [1, 2]}}',
      "    params: {name: 'sub-{subject}_run-{run}'}",
      '    outputs: {o: "out/{params.name}.txt"}',
    ),
  );
  // A global param of that name holds no wildcard: still reported.
  single(
    yaml(
      'params: {name: fixed}',
      'steps:',
      '  a:',
      '    shell: "true"',
      '    for_each: {matrix: {subject: [x, y]}}',
      '    outputs: {o: "out/{params.name}.txt"}',
    ),
    /^output "o" of step "a" does not use \{subject\}/,
    6,
    18,
  );
});

void test('for_each step: unknown steps and cycles', () => {
  const unknown = single(
    yaml(
      'steps:',
      '  a:',
      '    shell: "true"',
      '    for_each: {step: fti}',
      '  fit: {shell: "true"}',
    ),
    /takes its jobs from step "fti", which does not exist/,
    4,
    22,
  );
  assert.equal(unknown.hint, 'did you mean "fit"?');
  const cycle = single(
    yaml(
      'steps:',
      '  a: {shell: "true", for_each: {step: b}}',
      '  b: {shell: "true", for_each: {step: a}}',
    ),
    /^for_each step references form a cycle: a → b → a$/,
    3,
    39,
  );
  assert.equal(cycle.related?.[0]?.location.line, 2);
  single(
    yaml('steps:', '  a: {shell: "true", for_each: {step: a}}'),
    /cycle: a → a/,
    2,
    39,
  );
});

void test('a wildcard bound twice across sources is an error', () => {
  const text = yaml(
    'steps:',
    '  a: {shell: "true", for_each: {matrix: {s: [x]}}}',
    '  b:',
    '    shell: "true"',
    '    for_each: {step: a, matrix: {s: [y]}}',
    '  c:',
    '    shell: "true"',
    '    for_each: {glob: "{s}.txt", matrix: {s: [y]}}',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'wildcard "s" of step "b" is bound both by its matrix and by step "a"',
        5,
        34,
      ],
      ['wildcard "s" is bound by both the glob and the matrix', 8, 42],
    ],
  );
});

void test('glob and matrix contents are checked', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    for_each:',
    '      glob: "{s}/{s}/{params.x}"',
    '      matrix: {t: [], u: [a, a], v: [01], w: [null], x: 3}',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      ['a glob may only contain wildcards, not {params.x}', 5, 22],
      [
        'matrix values of "t" must be a non-empty list, got an empty list',
        6,
        19,
      ],
      [
        'matrix value "a" of "u" is listed twice (as written or as the same text)',
        6,
        30,
      ],
      ['matrix value 01 is read as the number 1, so {v} would be "1"', 6, 38],
      [
        'matrix values of "w" must be strings, numbers or booleans, got nothing (null)',
        6,
        47,
      ],
      [
        'matrix values of "x" must be a non-empty list, got the number 3',
        6,
        57,
      ],
    ],
  );
});

void test('matrix lists: aliases are their anchors, numbers as written, 1 and "1" alike', () => {
  const text = yaml(
    'params: {first: &v "01", ids: [01, 2]}',
    'steps:',
    '  a:',
    '    shell: "true"',
    '    for_each: {matrix: {x: [*v, "03"]}}',
    '  b:',
    '    shell: "true"',
    "    for_each: {matrix: {y: [1, '1']}}",
    '  c:',
    '    shell: "true"',
    "    for_each: {matrix: {z: '{params.ids}'}}",
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'matrix values of "z": param "ids" lists 01, which is read as the number 1, so {z} would be "1"',
        1,
        32,
      ],
      [
        'matrix value "1" of "y" is listed twice (as written or as the same text)',
        8,
        32,
      ],
    ],
  );
});

void test('a glob without wildcards and an empty for_each are errors', () => {
  single(
    yaml('steps:', '  a: {shell: "true", for_each: {glob: "raw/*.nii"}}'),
    /the glob binds no wildcards/,
    2,
    39,
  );
  single(
    yaml('steps:', '  a: {shell: "true", for_each: {}}'),
    /must name at least one source of jobs/,
    2,
    22,
  );
});

void test('gathers name an existing step and one of its outputs', () => {
  const text = yaml(
    'steps:',
    '  fit:',
    '    shell: "true"',
    '    outputs: {weights: w.npy}',
    '  sum:',
    '    shell: "true"',
    '    inputs:',
    '      a: {from: fti, output: weights}',
    '      b: {from: fit, output: weight}',
    '      c: {from: sum, output: x}',
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
      [
        'input "a" gathers from step "fti", which does not exist',
        8,
        17,
        'did you mean "fit"?',
      ],
      ['step "fit" has no output "weight"', 9, 30, 'did you mean "weights"?'],
      [
        'input "c" of step "sum" gathers from its own step',
        10,
        17,
        'a step cannot read its own outputs; gather from the step that writes them',
      ],
    ],
  );
  assert.equal(diagnostics[1]?.related?.[0]?.location.line, 2);
});

void test('a gather inside a list of paths says lists hold paths', () => {
  const d = single(
    yaml(
      'steps:',
      '  fit: {shell: "true", outputs: {w: w.npy}}',
      '  sum:',
      '    shell: "true"',
      '    inputs: {files: [a.txt, {from: fit, output: w}]}',
    ),
    /each path of input "files" must be a string, got a mapping: a list holds paths, not gathers/,
    5,
    29,
  );
  assert.match(d.hint ?? '', /make the gather the whole input/);
});

void test('a matrix may take its values from a global list param', () => {
  const text = yaml(
    'params:',
    '  samplings: [LAST, AVG]',
    'steps:',
    '  a:',
    '    shell: "true"',
    "    for_each: {matrix: {sampling: '{params.samplings}'}}",
  );
  const matrix = valid(text).steps.get('a')?.forEach?.matrix;
  assert.deepEqual(matrix?.get('sampling')?.value, ['LAST', 'AVG']);

  // --set replaces the list (values are YAML).
  const overridden = valid(text, {
    overrides: new Map([['samplings', '[MIDDLE]']]),
  });
  assert.deepEqual(
    overridden.steps.get('a')?.forEach?.matrix.get('sampling')?.value,
    ['MIDDLE'],
  );

  // A problem with the --set value says where it came from.
  const [d] = invalid(text, {overrides: new Map([['samplings', '[]']])});
  assert.match(d?.message ?? '', /must be a non-empty list, got \[\]/);
  assert.deepEqual(
    d?.related?.map((r) => r.message),
    ['param "samplings" is set with --set (the file\'s value is here)'],
  );
});

void test('a --set number written otherwise, for a param the file gives as text, is an error', () => {
  const text = yaml(
    "params: {sub: '01', alpha: 1}",
    'steps:',
    '  a:',
    '    shell: "echo {params.alpha}"',
    "    outputs: {o: 'out/sub-{params.sub}.txt'}",
  );
  const set = (...pairs: [string, string][]) => ({overrides: new Map(pairs)});
  const d = invalid(text, set(['sub', '02']));
  assert.deepEqual(
    d.map((x) => [x.message, x.hint]),
    [
      [
        '--set sub=02: 02 is read as the number 2, so {params.sub} would be "2" where the file has the text "01"',
        `quote it to keep the text as written: --set "sub='02'"`,
      ],
    ],
  );
  assert.match(
    invalid(text, set(['sub', 'True']))[0]?.message ?? '',
    /True is read as the boolean true, so \{params\.sub\} would be "true"/,
  );
  // Quoted, written as YAML writes it, or for a number param, it stands.
  valid(text, set(['sub', "'02'"]));
  valid(text, set(['sub', '3']));
  valid(text, set(['alpha', '1.0']));
});

void test('a --set list for a matrix is checked for numbers read differently', () => {
  const text = yaml(
    'params:',
    "  subs: ['01', '02']",
    'steps:',
    '  a:',
    '    shell: "true"',
    "    for_each: {matrix: {sub: '{params.subs}'}}",
  );
  const set = (value: string) => ({overrides: new Map([['subs', value]])});
  const d = single(
    text,
    /param "subs" lists 01 \(in --set\), which is read as the number 1, so \{sub\} would be "1"/,
    6,
    30,
    set('[01, 02]'),
  );
  assert.match(d.hint ?? '', /--set subs='\[\.\.\., "01", \.\.\.\]'/);
  assert.match(d.related?.[0]?.message ?? '', /set with --set/);
  // Quoted, or plain numbers, the values stand.
  assert.deepEqual(
    valid(text, set('["01", "02"]')).steps.get('a')?.forEach?.matrix.get('sub')
      ?.value,
    ['01', '02'],
  );
  assert.deepEqual(
    valid(text, set('[1, 2]')).steps.get('a')?.forEach?.matrix.get('sub')
      ?.value,
    [1, 2],
  );
});

void test('booleans written other than true and false are misread matrix values', () => {
  const text = yaml(
    'params:',
    '  flags: [yes, FALSE]',
    'steps:',
    '  a:',
    '    shell: "true"',
    "    for_each: {matrix: {f: [True, false], g: '{params.flags}'}}",
    '    outputs: {o: "{f}-{g}.txt"}',
  );
  assert.deepEqual(
    invalid(text).map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'matrix values of "g": param "flags" lists FALSE, which is read as the boolean false, so {g} would be "false"',
        2,
        16,
      ],
      [
        'matrix value True is read as the boolean true, so {f} would be "true"',
        6,
        29,
      ],
    ],
  );
  // As written by YAML's own spelling, or quoted, they stand.
  const fine = valid(
    text
      .replace('[True, false]', '[true, false]')
      .replace('[yes, FALSE]', "[yes, 'FALSE']"),
  ).steps.get('a')?.forEach?.matrix;
  assert.deepEqual(fine?.get('f')?.value, [true, false]);
});

void test('matrix values that a path would normalise away are errors', () => {
  const text = yaml(
    'params:',
    "  subs: [x, 'y/.']",
    'steps:',
    '  a:',
    '    shell: "true"',
    "    for_each: {matrix: {s: [a, 'b/..', '..', '', /abs, 'c//d'], t: '{params.subs}'}}",
    '    outputs: {o: "out/{s}/{t}.txt"}',
  );
  assert.deepEqual(
    invalid(text).map((d) => d.message),
    [
      'matrix values of "t": param "subs" lists "y/.", which has a "." part',
      'matrix value "b/.." of "s" has a ".." part',
      'matrix value ".." of "s" has a ".." part',
      'matrix value "" of "s" is empty',
      'matrix value "/abs" of "s" starts with "/"',
      'matrix value "c//d" of "s" has an empty part ("//" or a trailing "/")',
    ],
  );
  // Slashes between named parts, and dots inside names, stand.
  valid(
    yaml(
      'steps:',
      '  a:',
      '    shell: "true"',
      '    for_each: {matrix: {m: [models/small, v1.5, ..x]}}',
      '    outputs: {o: "out/{m}.txt"}',
    ),
  );
});

void test('a matrix param reference must name a list of distinct plain values', () => {
  const text = yaml(
    'params:',
    '  samplings: [LAST, AVG]',
    '  one: LAST',
    '  twice: [a, a]',
    '  nested: [[a]]',
    'steps:',
    '  a:',
    '    shell: "true"',
    '    for_each:',
    "      matrix: {p: '{params.sampling}', q: '{params.one}', r: '{params.twice}'}",
    '  b:',
    '    shell: "true"',
    "    for_each: {matrix: {s: '{params.nested}', t: 'LAST, AVG'}}",
  );
  const diagnostics = invalid(text);
  assert.deepEqual(
    diagnostics.map((d) => [d.message, d.location?.line, d.location?.column]),
    [
      [
        'matrix values of "p" refer to the global param "sampling", which is not defined',
        10,
        19,
      ],
      [
        'matrix values of "q" refer to param "one", which must be a non-empty list, got "LAST"',
        10,
        43,
      ],
      [
        'matrix values of "r": param "twice" lists "a" twice (as written or as the same text)',
        10,
        62,
      ],
      [
        'matrix values of "s": param "nested" must list strings, numbers or booleans, got ["a"]',
        13,
        28,
      ],
      [
        'matrix values of "t" must be a list or a reference to a list param, got the string "LAST, AVG"',
        13,
        50,
      ],
    ],
  );
  assert.equal(diagnostics[0]?.hint, 'did you mean "samplings"?');
  assert.equal(diagnostics[1]?.related?.[0]?.location.line, 3);
});
