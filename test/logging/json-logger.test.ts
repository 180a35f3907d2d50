/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {spawnSync} from 'node:child_process';
import {
  setImmediate as nextTurn,
  setTimeout as sleep,
} from 'node:timers/promises';

import type {EngineEvent} from '../../src/logging/events.js';
import {JsonLogger} from '../../src/logging/json-logger.js';
import {FLUSH_MS} from '../../src/logging/line-batch.js';

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
    logger.close();
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

  it('writes each line the same as stringifying {time, ...event}', () => {
    const out = sink();
    const time = '2024-05-01T12:00:00.000Z';
    const logger = new JsonLogger({stdout: out, now: () => new Date(time)});
    for (const e of events) logger.log(e);
    logger.close();
    const expected = events.map((e) => `${JSON.stringify({time, ...e})}\n`);
    assert.equal(out.chunks.join(''), expected.join(''));
  });

  it('writes batched lines within FLUSH_MS, without waiting for close', async () => {
    const out = sink();
    const logger = new JsonLogger({stdout: out});
    logger.log({type: 'info', message: 'one'});
    await nextTurn();
    logger.log({type: 'info', message: 'two'});
    assert.equal(out.chunks.length, 0, 'not one write per turn');
    await sleep(FLUSH_MS + 50);
    assert.equal(out.chunks.length, 1);
    assert.equal(out.chunks[0]!.trim().split('\n').length, 2);
    logger.log({type: 'info', message: 'three'});
    logger.close();
    assert.equal(out.chunks.length, 2, 'close writes what is left');
  });

  it('writes an event that is not per job at once, after what waits', () => {
    const out = sink();
    const logger = new JsonLogger({stdout: out});
    logger.log({type: 'job-start', job: 'a', attempt: 1});
    logger.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    assert.equal(out.chunks.length, 0, 'per-job lines wait');
    logger.log({type: 'warning', message: 'low disk'});
    assert.equal(out.chunks.length, 1);
    const types = out.chunks[0]!.trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as {type: string}).type);
    assert.deepEqual(types, ['job-start', 'job-done', 'warning']);
    logger.close();
  });

  it('a process that logs and ends loses no line and is not held', () => {
    const module = new URL('../../src/logging/json-logger.js', import.meta.url);
    const script = `
      const {JsonLogger} = await import(${JSON.stringify(module.href)});
      const logger = new JsonLogger({stdout: process.stdout});
      logger.log({type: 'info', message: 'one'});
      logger.log({type: 'info', message: 'two'});
      process.stderr.write(JSON.stringify(process.getActiveResourcesInfo()));
    `;
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script],
      {encoding: 'utf8'},
    );
    assert.equal(child.status, 0, child.stderr);
    const messages = child.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as {message: string}).message);
    assert.deepEqual(messages, ['one', 'two']);
    const active = JSON.parse(child.stderr) as string[];
    assert.ok(!active.includes('Timeout'), `held by ${active.join(', ')}`);
  });
});
