/* eslint-disable @typescript-eslint/no-floating-promises -- node:test runs
   describe() and it() itself; the promises they return need no handling. */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {createLogger, resolveMode} from '../../src/logging/create-logger.js';
import {JsonLogger} from '../../src/logging/json-logger.js';
import {PlainLogger} from '../../src/logging/plain-logger.js';
import {TtyLogger} from '../../src/logging/tty-logger.js';
import {error} from '../../src/pipeline/diagnostic.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: 80,
    chunks,
    write: (chunk: string) => void chunks.push(chunk),
  };
}

describe('createLogger', () => {
  it('resolves auto by whether stdout is a terminal', () => {
    assert.equal(resolveMode('auto', sink(true)), 'tty');
    assert.equal(resolveMode('auto', sink(false)), 'plain');
    assert.equal(resolveMode('json', sink(true)), 'json');
  });

  it('builds the logger for each mode', () => {
    const make = (mode: 'auto' | 'plain' | 'json' | 'tty', tty: boolean) => {
      const logger = createLogger({
        mode,
        stdout: sink(tty),
        stderr: sink(false),
      });
      logger.close();
      return logger;
    };
    assert.ok(make('auto', true) instanceof TtyLogger);
    assert.ok(make('auto', false) instanceof PlainLogger);
    assert.ok(make('plain', true) instanceof PlainLogger);
    assert.ok(make('tty', false) instanceof TtyLogger);
    assert.ok(make('json', true) instanceof JsonLogger);
  });

  it('passes the diagnostic printer and verbosity through', () => {
    const stdout = sink(false);
    const stderr = sink(false);
    const logger = createLogger({
      mode: 'plain',
      stdout,
      stderr,
      verbose: true,
      formatDiagnostic: (d) => `[${d.severity}] ${d.message}`,
    });
    logger.log({type: 'diagnostics', diagnostics: [error('oops', undefined)]});
    logger.log({type: 'job-done', job: 'a', outcome: 'fresh', ms: 0});
    logger.close();
    assert.equal(stderr.chunks.join(''), '[error] oops\n1 error\n');
    assert.equal(stdout.chunks.join(''), 'fresh    a\n');
  });

  it('colours by default only on a terminal, unless told', () => {
    const piped = sink(false);
    const plain = createLogger({mode: 'plain', stdout: piped, stderr: piped});
    plain.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    plain.close();
    assert.ok(piped.chunks.join('').includes('ran'));
    assert.ok(!piped.chunks.join('').includes('\x1b'));
    const forced = sink(false);
    const colored = createLogger({
      mode: 'plain',
      stdout: forced,
      stderr: forced,
      color: true,
    });
    colored.log({type: 'job-done', job: 'a', outcome: 'ran', ms: 1});
    colored.close();
    assert.ok(forced.chunks.join('').includes('\x1b[32m'));
  });
});
