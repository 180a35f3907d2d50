/**
 * What watch mode listens to (issue #3), computed from a planned pipeline:
 * inputs and scripts but never outputs, and under a glob's directory only
 * the paths that can add or remove jobs.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadGraph} from '../../src/cli/load-graph.js';
import {
  globReaches,
  watchTargets,
  type WatchTargets,
} from '../../src/watch/watch-targets.js';
import {WorkspaceRig} from '../rig/workspace-rig.js';

/** A BIDS-like pipeline whose glob searches the workspace itself. */
async function targetsOf(rig: WorkspaceRig): Promise<WatchTargets> {
  rig.write('sub-01/anat.txt', 'anat 01\n');
  rig.write('tools/report.sh', 'cat "$1" > "$2"\n');
  rig.pipeline(
    'steps:',
    '  mask:',
    '    for_each: {glob: "sub-{s}/anat.txt"}',
    '    inputs: {anat: "sub-{s}/anat.txt"}',
    '    outputs: {mask: "derivatives/sub-{s}/mask.txt"}',
    '    shell: "sh tools/report.sh {inputs.anat} {outputs.mask}"',
    '  group:',
    '    inputs: {masks: {from: mask, output: mask}}',
    '    outputs: {out: derivatives/group.txt}',
    '    shell: "cat {inputs.masks} > {outputs.out}"',
  );
  const loaded = await loadGraph(rig.path('pipeline.yaml'), new Map());
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return watchTargets(loaded.value.spec, loaded.value.graph);
}

void test('the watch set holds inputs, scripts and the pipeline, never outputs', async (t) => {
  const rig = WorkspaceRig.create(t);
  const targets = await targetsOf(rig);
  assert.deepEqual(
    [...targets.files].sort(),
    ['pipeline.yaml', 'sub-01/anat.txt', 'tools/report.sh'].map((p) =>
      rig.path(p),
    ),
  );
  assert.deepEqual([...targets.directories.keys()], [rig.dir]);
  assert.deepEqual(
    [...targets.outputs].sort(),
    ['derivatives/group.txt', 'derivatives/sub-01/mask.txt'].map((p) =>
      rig.path(p),
    ),
  );
});

void test('under a glob directory only paths on the way to a match count', async (t) => {
  const rig = WorkspaceRig.create(t);
  const [glob] = (await targetsOf(rig)).globs;
  assert.ok(glob !== undefined);
  const reaches = (rel: string) => globReaches(glob, rig.path(rel));

  // A new subject's directory and file can add a job.
  {
    assert.equal(reaches('sub-02'), true);
    assert.equal(reaches('sub-02/anat.txt'), true);
  }

  // Outputs beside the inputs, derivatives and other files cannot.
  {
    assert.equal(reaches('sub-02/report.txt'), false);
    assert.equal(reaches('sub-02/anat.txt/deeper'), false);
    assert.equal(reaches('derivatives'), false);
    assert.equal(reaches('derivatives/sub-02'), false);
    assert.equal(reaches('derivatives/sub-02/mask.txt'), false);
    assert.equal(reaches('notes.md'), false);
    assert.equal(reaches('sub-/anat.txt'), false);
  }

  // Nor can anything outside the glob's directory.
  {
    assert.equal(globReaches(glob, `${rig.root}/elsewhere/anat.txt`), false);
    assert.equal(globReaches(glob, `${rig.dir}-2/sub-01/anat.txt`), false);
  }
});
