/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import type {EngineEvent} from '../../src/logging/events.js';
import {visibleLength} from '../../src/logging/format.js';
import {ERASE_LINE, TtyLogger} from '../../src/logging/tty-logger.js';

function sink(columns = 80) {
  const chunks: string[] = [];
  return {
    isTTY: true,
    columns,
    chunks,
    write: (chunk: string) => void chunks.push(chunk),
    text: () => chunks.join(''),
  };
}

/** A scheduler whose single timer fires only when the test says so. */
function fakeScheduler() {
  const state = {
    callback: undefined as (() => void) | undefined,
    ms: 0,
    started: 0,
    cleared: 0,
  };
  return {
    state,
    tick() {
      state.callback?.();
    },
    setInterval(callback: () => void, ms: number) {
      state.callback = callback;
      state.ms = ms;
      state.started++;
      return state.started;
    },
    clearInterval() {
      state.callback = undefined;
      state.cleared++;
    },
  };
}

function setup(options: {columns?: number; maxRunning?: number} = {}) {
  const stdout = sink(options.columns);
  const stderr = sink();
  const scheduler = fakeScheduler();
  const clock = {now: 0};
  const logger = new TtyLogger({
    stdout,
    stderr,
    scheduler,
    now: () => clock.now,
    maxRunning: options.maxRunning,
  });
  return {stdout, stderr, scheduler, clock, logger};
}

const runEnd: EngineEvent = {
  type: 'run-end',
  ran: 2,
  restored: 0,
  fresh: 1,
  failed: 0,
  skipped: 0,
  ms: 2300,
  interrupted: false,
};

describe('TtyLogger', () => {
  it('shows the status line and running jobs with their progress', () => {
    const {stdout, scheduler, clock, logger} = setup();
    logger.log({type: 'plan', jobs: 120, steps: 3, planMs: 4});
    logger.log({type: 'job-start', job: 'mask[s=01]', attempt: 1});
    clock.now = 1000;
    logger.log({type: 'job-start', job: 'mask[s=02]', attempt: 1});
    logger.log({
      type: 'job-progress',
      job: 'mask[s=01]',
      done: 45,
      total: 100,
      message: 'resampling',
    });
    // Throttled: nothing is drawn until the timer fires.
    assert.equal(stdout.text(), '');
    assert.equal(scheduler.state.ms, 100);
    clock.now = 2500;
    scheduler.tick();
    assert.equal(stdout.chunks.length, 1);
    assert.equal(
      stdout.text(),
      '[  0/120] 0% · 2 running\n' +
        '  mask[s=01]    2.5 s  █████░░░░░  45% resampling\n' +
        '  mask[s=02]    1.5 s\n',
    );
    logger.close();
  });

  it('erases the block, scrolls a completion above it and redraws', () => {
    const {stdout, scheduler, logger} = setup();
    logger.log({type: 'plan', jobs: 3, steps: 1, planMs: 1});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    logger.log({type: 'job-start', job: 'b', attempt: 1});
    scheduler.tick();
    stdout.chunks.length = 0;
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1200});
    logger.log({type: 'job-done', job: 'c', outcome: 'fresh', ms: 0});
    assert.equal(stdout.text(), '');
    scheduler.tick();
    assert.equal(
      stdout.text(),
      ERASE_LINE.repeat(3) +
        'ran      a (1.2 s)\n' +
        '[2/3] 66% · 1 running\n' +
        '  b     0 ms\n',
    );
    assert.equal(ERASE_LINE, '\x1b[1A\x1b[2K');
    logger.close();
  });

  it('does not rewrite an unchanged frame', () => {
    const {stdout, scheduler, logger} = setup();
    logger.log({type: 'plan', jobs: 1, steps: 1, planMs: 1});
    scheduler.tick();
    scheduler.tick();
    assert.equal(stdout.chunks.length, 1);
    logger.close();
  });

  it('sends failures to stderr between erasing and redrawing', () => {
    const {stdout, stderr, scheduler, logger} = setup();
    const order: string[] = [];
    const trace = (name: string, s: {write: (c: string) => void}) => {
      const write = s.write;
      s.write = (c: string) => {
        order.push(name);
        write(c);
      };
    };
    trace('out', stdout);
    trace('err', stderr);
    logger.log({type: 'plan', jobs: 2, steps: 1, planMs: 1});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    scheduler.tick();
    order.length = 0;
    stdout.chunks.length = 0;
    logger.log({
      type: 'job-failed',
      job: 'a',
      reason: 'exit-code',
      message: 'code 1',
      log: 'logs/a.log',
      willRetry: false,
    });
    scheduler.tick();
    assert.deepEqual(order, ['out', 'err', 'out']);
    assert.equal(stdout.chunks[0], ERASE_LINE.repeat(2));
    assert.equal(
      stderr.text(),
      'failed   a: exit-code: code 1\n         log: logs/a.log\n',
    );
    assert.equal(stdout.chunks[1], '[1/2] 50% · 0 running · 1 failed\n');
    logger.close();
  });

  it('collapses extra running jobs and truncates lines to the width', () => {
    const {stdout, scheduler, logger} = setup({columns: 40, maxRunning: 2});
    logger.log({type: 'plan', jobs: 9, steps: 1, planMs: 1});
    for (const s of ['01', '02', '03', '04']) {
      const job = `register[subject=${s},session=baseline,run=1]`;
      logger.log({type: 'job-start', job, attempt: 1});
      logger.log({type: 'job-progress', job, done: 1, total: 3, message: 'x'});
    }
    scheduler.tick();
    const lines = stdout.text().trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[3], '  +2 more');
    assert.ok(lines[1]!.startsWith('  regis'));
    for (const line of lines) assert.ok(visibleLength(line) <= 39, line);
    logger.close();
  });

  it('prints the summary at run-end and close() leaves it last', () => {
    const {stdout, scheduler, logger} = setup();
    logger.log({type: 'plan', jobs: 3, steps: 1, planMs: 1});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    scheduler.tick();
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 5});
    logger.log(runEnd);
    assert.equal(scheduler.state.cleared, 1);
    logger.close();
    logger.log({type: 'info', message: 'late'});
    const text = stdout.text();
    assert.ok(
      text.endsWith(
        ERASE_LINE.repeat(2) +
          'ran      a (5 ms)\n' +
          '2 ran, 0 restored, 1 fresh, 0 failed in 2.3 s\n',
      ),
      JSON.stringify(text),
    );
  });

  it('close() erases the live block when the run never ended', () => {
    const {stdout, scheduler, logger} = setup();
    logger.log({type: 'plan', jobs: 3, steps: 1, planMs: 1});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    scheduler.tick();
    stdout.chunks.length = 0;
    logger.close();
    assert.equal(stdout.text(), ERASE_LINE.repeat(2));
    assert.equal(scheduler.state.cleared, 1);
  });

  it('prints immediately while no live block is shown', () => {
    const {stdout, stderr, scheduler, logger} = setup();
    logger.log({type: 'info', message: 'loading pipeline.yaml'});
    logger.log({type: 'warning', message: 'no cache yet'});
    assert.equal(stdout.text(), 'loading pipeline.yaml\n');
    assert.equal(stderr.text(), 'warning: no cache yet\n');
    assert.equal(scheduler.state.started, 0);
    logger.close();
  });

  it('counts afresh when a watch loop plans another run', () => {
    const {stdout, scheduler, logger} = setup();
    logger.log({type: 'plan', jobs: 1, steps: 1, planMs: 1});
    logger.log({type: 'job-done', job: 'a', outcome: 'fresh', ms: 0});
    logger.log(runEnd);
    stdout.chunks.length = 0;
    logger.log({type: 'plan', jobs: 2, steps: 1, planMs: 1});
    scheduler.tick();
    assert.equal(stdout.text(), '[0/2] 0% · 0 running\n');
    assert.equal(scheduler.state.started, 2);
    logger.close();
  });

  it('redraws about ten times a second with the real scheduler', (t) => {
    t.mock.timers.enable({apis: ['setInterval']});
    const stdout = sink();
    const clock = {now: 0};
    const logger = new TtyLogger({
      stdout,
      stderr: sink(),
      now: () => clock.now,
    });
    logger.log({type: 'plan', jobs: 5, steps: 1, planMs: 1});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    for (let i = 1; i <= 10; i++) {
      clock.now = i * 100;
      t.mock.timers.tick(100);
    }
    // The elapsed time changes every tick, so every tick draws a frame.
    assert.equal(stdout.chunks.length, 10);
    assert.ok(stdout.chunks[9]!.startsWith(`${ERASE_LINE.repeat(2)}[0/5]`));
    assert.ok(stdout.chunks[9]!.includes('1.0 s'));
    logger.close();
    t.mock.timers.tick(1000);
    assert.equal(stdout.chunks.length, 11);
  });

  it('colours only when asked', () => {
    const stdout = sink();
    const logger = new TtyLogger({
      stdout,
      stderr: sink(),
      color: true,
      scheduler: fakeScheduler(),
    });
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    logger.close();
    assert.ok(stdout.text().includes('\x1b[32mran\x1b[39m'));
  });
});
