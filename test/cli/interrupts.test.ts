import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {interruptHandler} from '../../src/cli/interrupts.js';
import type {EngineEvent, Logger} from '../../src/logging/events.js';

/**
 * A handler whose logger and `raise` record what happened to them, in
 * order, in `said`.
 */
function rig() {
  const said: string[] = [];
  const logger: Logger = {
    log: (event: EngineEvent) => said.push(`log ${event.type}`),
    close: () => said.push('close'),
  };
  const controller = new AbortController();
  const handle = interruptHandler({
    controller,
    logger,
    raise: (signal) => said.push(`raise ${signal}`),
  });
  return {said, controller, handle};
}

void describe('interrupts', () => {
  void test('the first signal aborts the run and nothing else', () => {
    const {said, controller, handle} = rig();
    handle('SIGINT');
    assert.equal(controller.signal.aborted, true);
    assert.deepEqual(said, []);
  });

  void test('a second signal writes the log, then ends by that signal', () => {
    const {said, controller, handle} = rig();
    handle('SIGINT');
    handle('SIGTERM');
    assert.equal(controller.signal.aborted, true);
    assert.deepEqual(said, ['close', 'raise SIGTERM']);
  });
});
