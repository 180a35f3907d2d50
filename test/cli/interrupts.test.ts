import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {interruptHandler} from '../../src/cli/interrupts.js';
import type {EngineEvent, Logger} from '../../src/logging/events.js';

/** A logger that records what happened to it, in order. */
function recordingLogger(said: string[]): Logger {
  return {
    log: (event: EngineEvent) => said.push(`log ${event.type}`),
    close: () => said.push('close'),
  };
}

void describe('interrupts', () => {
  void test('the first signal aborts the run and nothing else', () => {
    const said: string[] = [];
    const controller = new AbortController();
    const handle = interruptHandler({
      controller,
      logger: recordingLogger(said),
      raise: (signal) => said.push(`raise ${signal}`),
    });
    handle('SIGINT');
    assert.equal(controller.signal.aborted, true);
    assert.deepEqual(said, []);
  });

  void test('a second signal writes the log, then ends by that signal', () => {
    const said: string[] = [];
    const controller = new AbortController();
    const handle = interruptHandler({
      controller,
      logger: recordingLogger(said),
      raise: (signal) => said.push(`raise ${signal}`),
    });
    handle('SIGINT');
    handle('SIGTERM');
    assert.deepEqual(said, ['close', 'raise SIGTERM']);
  });
});
