/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {setImmediate as nextTurn} from 'node:timers/promises';

import type {EngineEvent} from '../../src/logging/events.js';
import {JsonLogger} from '../../src/logging/json-logger.js';

function sink() {
  const chunks: string[] = [];
  return {chunks, write: (chunk: string) => void chunks.push(chunk)};
}

const events: EngineEvent[] = [
  {
    type: 'diagnostics',
    diagnostics: [
      {
        severity: 'warning',
        message: 'unused param',
        location: {file: 'p.yaml', line: 1, column: 2, offset: 1, length: 3},
        hint: 'remove it',
      },
    ],
  },
  {type: 'plan', jobs: 3, steps: 2, planMs: 12},
  {type: 'job-start', job: 'mask[s=1]', attempt: 1},
  {type: 'job-progress', job: 'mask[s=1]', done: 1, total: 4, message: 'x'},
  {type: 'job-done', job: 'mask[s=1]', outcome: 'ran', ms: 1200},
  {
    type: 'job-failed',
    job: 'fit[s=2]',
    reason: 'exit-code',
    message: 'line one\nline two',
    log: '.neuromake/logs/fit.log',
    willRetry: false,
  },
  {type: 'job-skipped', job: 'report', because: 'fit[s=2] failed'},
  {type: 'warning', job: 'mask[s=1]', message: 'low memory'},
  {type: 'info', message: 'hello'},
  {
    type: 'run-end',
    ran: 1,
    restored: 0,
    fresh: 0,
    failed: 1,
    skipped: 1,
    ms: 2000,
    interrupted: false,
  },
];

describe('JsonLogger', () => {
  it('writes one parseable line per event that round-trips', () => {
    const out = sink();
    const logger = new JsonLogger({
      stdout: out,
      now: () => new Date('2024-05-01T12:00:00.000Z'),
    });
    for (const e of events) logger.log(e);
    assert.equal(out.chunks.length, 0, 'written together, not one by one');
    logger.close();
    assert.equal(out.chunks.length, 1);
    const text = out.chunks.join('');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, events.length);
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(parsed.time, '2024-05-01T12:00:00.000Z');
      const {time: _time, ...rest} = parsed;
      assert.deepEqual(rest, events[i]);
    });
  });

  it('leaves undefined fields out and ignores events after close', () => {
    const out = sink();
    const logger = new JsonLogger({stdout: out});
    logger.log({
      type: 'job-failed',
      job: 'a',
      reason: 'crash',
      message: 'boom',
      log: undefined,
      willRetry: true,
    });
    logger.close();
    logger.log({type: 'info', message: 'late'});
    assert.equal(out.chunks.length, 1);
    assert.equal(out.chunks[0]!.split('\n').length, 2, 'one line only');
    const parsed = JSON.parse(out.chunks[0]!) as Record<string, unknown>;
    assert.ok(!('log' in parsed));
    assert.ok(!Number.isNaN(Date.parse(String(parsed.time))));
  });

  it('writes the lines of one turn on the next turn, without waiting for close', async () => {
    const out = sink();
    const logger = new JsonLogger({stdout: out});
    logger.log({type: 'info', message: 'one'});
    logger.log({type: 'info', message: 'two'});
    await nextTurn();
    assert.equal(out.chunks.length, 1);
    assert.equal(out.chunks[0]!.trim().split('\n').length, 2);
    logger.log({type: 'info', message: 'three'});
    await nextTurn();
    assert.equal(out.chunks.length, 2);
    logger.close();
    assert.equal(out.chunks.length, 2, 'nothing left to write');
  });
});
