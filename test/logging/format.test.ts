/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {
  formatCount,
  formatDiagnosticFallback,
  formatDiagnostics,
  formatDuration,
  formatSummary,
  percent,
  shortenJobId,
  truncateVisible,
  visibleLength,
} from '../../src/logging/format.js';
import {error} from '../../src/pipeline/diagnostic.js';

describe('formatDuration', () => {
  it('picks a unit after rounding', () => {
    assert.equal(formatDuration(0), '0 ms');
    assert.equal(formatDuration(340.4), '340 ms');
    assert.equal(formatDuration(999.6), '1.0 s');
    assert.equal(formatDuration(1234), '1.2 s');
    assert.equal(formatDuration(59_960), '1 m 00 s');
    assert.equal(formatDuration(125_000), '2 m 05 s');
    assert.equal(formatDuration(3_720_000), '1 h 02 m');
  });

  it('treats nonsense as zero', () => {
    assert.equal(formatDuration(-5), '0 ms');
    assert.equal(formatDuration(Number.NaN), '0 ms');
  });
});

describe('counts and percentages', () => {
  it('pluralises', () => {
    assert.equal(formatCount(1, 'job'), '1 job');
    assert.equal(formatCount(0, 'job'), '0 jobs');
    assert.equal(formatCount(2, 'child', 'children'), '2 children');
  });

  it('clamps percentages and survives a zero total', () => {
    assert.equal(percent(45, 120), 37);
    assert.equal(percent(5, 0), 0);
    assert.equal(percent(150, 100), 100);
  });
});

describe('shortenJobId', () => {
  it('keeps short ids and cuts the middle of long ones', () => {
    assert.equal(shortenJobId('mask[s=1]', 20), 'mask[s=1]');
    const id = 'register[subject=03,session=pre,run=1]';
    const short = shortenJobId(id, 20);
    assert.equal(Array.from(short).length, 20);
    assert.ok(short.startsWith('register['));
    assert.ok(short.endsWith('run=1]'));
    assert.ok(short.includes('…'));
    assert.equal(shortenJobId(id, 12, '...').length, 12);
  });

  it('does not split code points', () => {
    const short = shortenJobId('😀😀😀😀😀😀😀😀😀😀', 5);
    assert.equal(Array.from(short).length, 5);
    assert.ok(!short.includes('\uFFFD'));
  });
});

describe('truncateVisible', () => {
  it('counts only visible characters', () => {
    const red = '\x1b[31mabcdef\x1b[39m';
    assert.equal(visibleLength(red), 6);
    assert.equal(truncateVisible(red, 10), red);
    assert.equal(truncateVisible(red, 3), '\x1b[31mabc\x1b[0m');
    assert.equal(truncateVisible('abcdef', 4), 'abcd');
  });
});

describe('formatSummary', () => {
  const end = {
    type: 'run-end',
    ran: 12,
    restored: 3,
    fresh: 40,
    failed: 0,
    skipped: 0,
    ms: 2300,
    interrupted: false,
  } as const;

  it('reads like the spec', () => {
    assert.equal(
      formatSummary(end),
      '12 ran, 3 restored, 40 fresh, 0 failed in 2.3 s',
    );
  });

  it('mentions skipped jobs and interruption', () => {
    assert.equal(
      formatSummary({...end, failed: 1, skipped: 4, interrupted: true}),
      '12 ran, 3 restored, 40 fresh, 1 failed, 4 skipped in 2.3 s (interrupted)',
    );
  });
});

describe('diagnostics fallback', () => {
  const loc = {
    file: 'pipeline.yaml',
    line: 3,
    column: 7,
    offset: 30,
    length: 4,
  };

  it('prints file:line:col, the message and the hint', () => {
    const d = error(
      'unknown task "fmri.mask2"',
      loc,
      'did you mean fmri.mask?',
    );
    assert.equal(
      formatDiagnosticFallback(d),
      'pipeline.yaml:3:7 - error: unknown task "fmri.mask2"\n' +
        '  hint: did you mean fmri.mask?',
    );
  });

  it('lists related places and copes without a location', () => {
    const d = error('cycle', undefined, undefined, [
      {message: 'b depends on a', location: loc},
    ]);
    assert.equal(
      formatDiagnosticFallback(d),
      'error: cycle\n  pipeline.yaml:3:7 - note: b depends on a',
    );
  });

  it('counts errors and warnings and accepts a custom printer', () => {
    const ds = [
      error('one', loc),
      {severity: 'warning', message: 'two', location: undefined} as const,
    ];
    const text = formatDiagnostics(ds, (d) => `<${d.message}>\n`);
    assert.equal(text, '<one>\n<two>\n1 error, 1 warning\n');
    assert.equal(formatDiagnostics([]), '');
  });
});
