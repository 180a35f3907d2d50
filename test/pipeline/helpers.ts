import assert from 'node:assert/strict';

import type {Diagnostic} from '../../src/pipeline/diagnostic.js';
import {
  loadPipelineText,
  type LoadOptions,
} from '../../src/pipeline/load-pipeline.js';
import type {PipelineSpec} from '../../src/pipeline/spec.js';
import type {TaskDefinition} from '../../src/tasks/task.js';
import type {TaskCatalog} from '../../src/pipeline/validate-task.js';

/** The file name every test pipeline pretends to live at. */
export const FILE = '/work/pipeline.yaml';

/** Joins lines, so tests can count lines and columns by eye. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** A task with every kind of param check, for the task tests. */
const fitTask: TaskDefinition = {
  name: 'model.fit',
  description: 'Fits a model (test stand-in).',
  inputs: {
    bold: {description: 'One BOLD run.'},
    events: {description: 'Event files.', list: true},
    mask: {description: 'Brain mask.', optional: true},
  },
  outputs: {
    weights: {description: 'Fitted weights.'},
    report: {description: 'A report.', optional: true},
  },
  params: {
    lag: {type: 'integer', description: 'Lag in TRs.', minimum: 0, maximum: 8},
    alpha: {type: 'number', description: 'Ridge penalty.', default: 1},
    method: {
      type: 'string',
      description: 'Solver.',
      enum: ['ridge', 'ols'],
      default: 'ridge',
    },
    verbose: {type: 'boolean', description: 'Chatty.', default: false},
  },
  run() {
    return Promise.resolve();
  },
};

/** Test tasks plus nothing else, so hints list a known set. */
const TEST_TASKS: TaskCatalog = {
  find: (name) => (name === fitTask.name ? fitTask : undefined),
  names: () => [fitTask.name],
};

/** Loads text that must be valid, failing the test with its diagnostics. */
export function valid(text: string, options: LoadOptions = {}): PipelineSpec {
  const result = loadPipelineText(FILE, text, {tasks: TEST_TASKS, ...options});
  if (!result.ok) {
    assert.fail(result.error.map((d) => d.message).join('\n'));
  }
  return result.value;
}

/** Loads text that must be invalid and returns its diagnostics. */
export function invalid(text: string, options: LoadOptions = {}): Diagnostic[] {
  const result = loadPipelineText(FILE, text, {tasks: TEST_TASKS, ...options});
  assert.ok(!result.ok, 'expected diagnostics, but the pipeline loaded');
  return result.error;
}

/**
 * Asserts that exactly one diagnostic is reported, matching `message`, at
 * `line`:`column`, and returns it.
 */
export function single(
  text: string,
  message: RegExp,
  line: number,
  column: number,
  options: LoadOptions = {},
): Diagnostic {
  const diagnostics = invalid(text, options);
  assert.equal(
    diagnostics.length,
    1,
    diagnostics.map((d) => d.message).join('\n'),
  );
  const [d] = diagnostics;
  assert.ok(d !== undefined);
  assert.match(d.message, message);
  assert.equal(d.location?.line, line, 'line');
  assert.equal(d.location?.column, column, 'column');
  return d;
}

/** The text a location covers, to check offset and length together. */
export function covered(text: string, d: Diagnostic): string {
  const at = d.location;
  assert.ok(at !== undefined);
  return text.slice(at.offset, at.offset + at.length);
}
