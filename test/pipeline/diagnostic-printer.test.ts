import assert from 'node:assert/strict';
import {test} from 'node:test';

import type {Diagnostic} from '../../src/pipeline/diagnostic.js';
import {
  formatDiagnostic,
  formatDiagnostics,
} from '../../src/pipeline/diagnostic-printer.js';
import {FILE, invalid, yaml} from './helpers.js';

const SOURCES = (text: string) => new Map([[FILE, text]]);

void test('prints location, message, source line, underline and hint', () => {
  const text = yaml('steps:', '  a:', '    tsak: model.fit');
  const [d] = invalid(text);
  assert.ok(d !== undefined);
  const out = formatDiagnostic(d, SOURCES(text), {color: false, cwd: '/work'});
  assert.equal(
    out,
    [
      'pipeline.yaml:3:5 - error: unknown key "tsak" in step "a"',
      '3 |     tsak: model.fit',
      '  |     ~~~~',
      '  hint: did you mean "task"?',
    ].join('\n'),
  );
});

void test('the path is absolute when outside the working directory', () => {
  const text = yaml('steps: {}');
  const [d] = invalid(text);
  assert.ok(d !== undefined);
  const out = formatDiagnostic(d, SOURCES(text), {
    color: false,
    cwd: '/elsewhere',
  });
  assert.match(
    out,
    /^\/work\/pipeline\.yaml:1:8 - error: steps must not be empty/,
  );
  assert.match(out, /\n1 \| steps: \{\}\n {2}\| {8}~~\n/);
});

void test('related locations are printed with their own excerpt', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    task: model.fit',
    '    shell: "true"',
  );
  const [d] = invalid(text);
  assert.ok(d !== undefined);
  const out = formatDiagnostic(d, SOURCES(text), {color: false, cwd: '/work'});
  assert.ok(out.includes('4 |     shell: "true"\n  |     ~~~~~'), out);
  assert.ok(out.includes('  pipeline.yaml:3:5 - task is given here'), out);
  assert.ok(out.includes('  3 |     task: model.fit\n    |     ~~~~'), out);
});

void test('a multi-line span is underlined to the end of its first line', () => {
  const text = yaml(
    'steps:',
    '  a:',
    '    shell: "true"',
    '    outputs:',
    '      - a',
    '      - b',
  );
  const [d] = invalid(text);
  assert.ok(d !== undefined);
  const out = formatDiagnostic(d, SOURCES(text), {color: false, cwd: '/work'});
  assert.ok(out.includes('5 |       - a\n  |       ~~~\n'), out);
});

void test('a diagnostic without location or source prints message and hint', () => {
  const d: Diagnostic = {
    severity: 'error',
    message: '--set x: the pipeline has no param "x"',
    location: undefined,
    hint: 'known params: y',
  };
  assert.equal(
    formatDiagnostic(d, new Map(), {color: false}),
    'error: --set x: the pipeline has no param "x"\n  hint: known params: y',
  );
  const located: Diagnostic = {
    ...d,
    location: {
      file: '/nowhere/p.yaml',
      line: 2,
      column: 3,
      offset: 9,
      length: 1,
    },
  };
  assert.equal(
    formatDiagnostic(located, new Map(), {color: false, cwd: '/nowhere'}),
    'p.yaml:2:3 - error: --set x: the pipeline has no param "x"\n  hint: known params: y',
  );
});

void test('sources may be keyed by a relative path', () => {
  const text = 'steps:\n  a: 1\n';
  const d: Diagnostic = {
    severity: 'warning',
    message: 'm',
    location: {
      file: `${process.cwd()}/p.yaml`,
      line: 2,
      column: 6,
      offset: 12,
      length: 1,
    },
  };
  const out = formatDiagnostic(d, new Map([['p.yaml', text]]), {color: false});
  assert.equal(out, 'p.yaml:2:6 - warning: m\n2 |   a: 1\n  |      ~');
});

void test('tabs before the span are kept so the underline lines up', () => {
  const text = 'a:\n\tb: x\n';
  const d: Diagnostic = {
    severity: 'error',
    message: 'm',
    location: {file: FILE, line: 2, column: 5, offset: 7, length: 1},
  };
  const out = formatDiagnostic(d, SOURCES(text), {color: false, cwd: '/work'});
  assert.ok(out.endsWith('2 | \tb: x\n  | \t   ~'), JSON.stringify(out));
});

void test('color is used only when asked for', () => {
  const text = yaml('steps: {}');
  const [d] = invalid(text);
  assert.ok(d !== undefined);
  const plain = formatDiagnostic(d, SOURCES(text), {color: false});
  const colored = formatDiagnostic(d, SOURCES(text), {color: true});
  assert.ok(!plain.includes('\u001b['));
  assert.ok(colored.includes('\u001b[31merror\u001b[0m'));
  assert.ok(colored.includes('\u001b[36m'));
});

void test('formatDiagnostics separates diagnostics with blank lines', () => {
  const text = yaml('steps:', '  a: {shel: x}', '  b: {shell: "", retries: x}');
  const diagnostics = invalid(text);
  const out = formatDiagnostics(diagnostics, SOURCES(text), {color: false});
  assert.equal(out.split('\n\n').length, diagnostics.length);
});
