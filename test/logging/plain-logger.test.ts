/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import type {EngineEvent} from '../../src/logging/events.js';
import {PlainLogger} from '../../src/logging/plain-logger.js';
import {error} from '../../src/pipeline/diagnostic.js';

function sink() {
  const chunks: string[] = [];
  return {
    chunks,
    write: (chunk: string) => void chunks.push(chunk),
    text: () => chunks.join(''),
  };
}

function run(
  events: readonly EngineEvent[],
  options: {verbose?: boolean; color?: boolean} = {},
) {
  const stdout = sink();
  const stderr = sink();
  const logger = new PlainLogger({stdout, stderr, ...options});
  for (const e of events) logger.log(e);
  logger.close();
  return {out: stdout.text(), err: stderr.text()};
}

const runEnd: EngineEvent = {
  type: 'run-end',
  ran: 12,
  restored: 3,
  fresh: 40,
  failed: 0,
  skipped: 0,
  ms: 2300,
  interrupted: false,
};

const typical: EngineEvent[] = [
  {type: 'plan', jobs: 3, steps: 2, planMs: 5},
  {type: 'job-start', job: 'mask[subject=03,run=1]', attempt: 1},
  {type: 'job-progress', job: 'mask[subject=03,run=1]', done: 1, total: 2},
  {type: 'job-done', job: 'mask[subject=03,run=1]', outcome: 'ran', ms: 1200},
  {type: 'job-done', job: 'fit[subject=03]', outcome: 'restored', ms: 40},
  {type: 'job-done', job: 'report', outcome: 'fresh', ms: 0},
  {type: 'job-skipped', job: 'plot', because: 'fit failed'},
  runEnd,
];

describe('PlainLogger', () => {
  it('prints completions and the summary, and nothing noisy', () => {
    const {out, err} = run(typical);
    assert.equal(
      out,
      'ran      mask[subject=03,run=1] (1.2 s)\n' +
        'restored fit[subject=03] (40 ms)\n' +
        '12 ran, 3 restored, 40 fresh, 0 failed in 2.3 s\n',
    );
    assert.equal(err, '');
  });

  it('prints starts, fresh and skipped jobs and the plan when verbose', () => {
    const {out} = run(typical, {verbose: true});
    const lines = out.trimEnd().split('\n');
    assert.deepEqual(lines, [
      'planned 3 jobs in 2 steps (5 ms)',
      'start    mask[subject=03,run=1]',
      'ran      mask[subject=03,run=1] (1.2 s)',
      'restored fit[subject=03] (40 ms)',
      'fresh    report',
      'skipped  plot (fit failed)',
      '12 ran, 3 restored, 40 fresh, 0 failed in 2.3 s',
    ]);
  });

  it('marks unchanged outputs and interrupted runs', () => {
    const {out} = run([
      {type: 'job-done', job: 'a', outcome: 'ran', ms: 10, unchanged: true},
      {...runEnd, interrupted: true},
    ]);
    assert.match(out, /^ran {6}a \(10 ms, unchanged\)\n/);
    assert.match(out, /in 2\.3 s \(interrupted\)\n$/);
  });

  it('sends failures to stderr with the reason, message and log', () => {
    const {out, err} = run([
      {
        type: 'job-failed',
        job: 'fit[subject=03]',
        reason: 'exit-code',
        message: 'exited with code 2\nsee above',
        log: '.neuromake/logs/fit-03.log',
        willRetry: false,
      },
      {...runEnd, failed: 1},
    ]);
    assert.equal(
      err,
      'failed   fit[subject=03]: exit-code: exited with code 2\n' +
        '         see above\n' +
        '         log: .neuromake/logs/fit-03.log\n',
    );
    assert.match(out, /0 fresh, 1 failed in/);
  });

  it('shows the last lines a failed job wrote, and quotes a log path a shell would glob', () => {
    const {err} = run([
      {
        type: 'job-failed',
        job: 'fit[subject=03]',
        reason: 'exit-non-zero',
        message: 'command exited with code 1',
        log: '/w/.neuromake/logs/fit[subject=03].log',
        tail: ['Traceback (most recent call last):', 'KeyError: 03'],
        willRetry: false,
      },
    ]);
    assert.equal(
      err,
      'failed   fit[subject=03]: exit-non-zero: command exited with code 1\n' +
        '         | Traceback (most recent call last):\n' +
        '         | KeyError: 03\n' +
        "         log: '/w/.neuromake/logs/fit[subject=03].log'\n",
    );
  });

  it('says when a failure will be retried', () => {
    const {err} = run([
      {
        type: 'job-failed',
        job: 'a',
        reason: 'timeout',
        message: 'took too long',
        log: undefined,
        willRetry: true,
      },
    ]);
    assert.equal(err, 'retrying a: timeout: took too long\n');
  });

  it('prints warnings, info and diagnostics', () => {
    const loc = {file: 'p.yaml', line: 4, column: 9, offset: 0, length: 1};
    const {out, err} = run([
      {type: 'diagnostics', diagnostics: [error('bad step', loc, 'fix it')]},
      {type: 'warning', job: 'a', message: 'slow disk'},
      {type: 'warning', message: 'no cache'},
      {type: 'info', message: 'watching 3 files'},
    ]);
    assert.equal(out, 'watching 3 files\n');
    assert.equal(
      err,
      'p.yaml:4:9 - error: bad step\n  hint: fix it\n1 error\n' +
        'warning: a: slow disk\nwarning: no cache\n',
    );
  });

  it('uses a given diagnostic printer', () => {
    const stdout = sink();
    const stderr = sink();
    const logger = new PlainLogger({
      stdout,
      stderr,
      formatDiagnostic: (d) => `custom: ${d.message}`,
    });
    logger.log({type: 'diagnostics', diagnostics: [error('x', undefined)]});
    assert.equal(stderr.text(), 'custom: x\n1 error\n');
  });

  it('uses ANSI only when colour is on', () => {
    const plain = run(typical);
    assert.ok(!plain.out.includes('\x1b'));
    const colored = run(typical, {color: true});
    assert.ok(colored.out.includes('\x1b[32mran\x1b[39m'));
  });

  it('writes stdout in batches, and what it holds before a stderr line', () => {
    const both = sink();
    const logger = new PlainLogger({stdout: both, stderr: both});
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    logger.log({type: 'job-done', job: 'b', outcome: 'ran', ms: 1});
    assert.equal(both.chunks.length, 0, 'batched');
    logger.log({type: 'warning', message: 'low disk'});
    logger.log({type: 'job-done', job: 'c', outcome: 'ran', ms: 1});
    logger.close();
    const lines = both.text().trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/\s+\(.*$/, '').replace(/\s+/g, ' ')),
      ['ran a', 'ran b', 'warning: low disk', 'ran c'],
    );
  });

  it('writes a plan at once, with the lines waiting before it', () => {
    const out = sink();
    const logger = new PlainLogger({
      stdout: out,
      stderr: sink(),
      verbose: true,
    });
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    assert.equal(out.chunks.length, 0, 'per-job lines wait');
    logger.log({type: 'plan', jobs: 3, steps: 2, planMs: 12});
    assert.equal(out.chunks.length, 1, 'the CLI may write right after it');
    assert.match(out.text(), /^ran\s+a[^\n]*\n.*3 jobs/s);
  });

  it('is quiet for thousands of fresh jobs', () => {
    const events: EngineEvent[] = [];
    for (let i = 0; i < 10_000; i++) {
      events.push({type: 'job-done', job: `j${i}`, outcome: 'fresh', ms: 0});
    }
    assert.equal(run(events).out, '');
  });
});
