/**
 * PathSnapshot, the record watch mode keeps of the paths it has just asked
 * the file watcher to watch (issue #3): it names what changed since, as a
 * watcher would, and nothing else.
 */
import assert from 'node:assert/strict';
import {mkdirSync, rmSync} from 'node:fs';
import {test} from 'node:test';

import {PathSnapshot, type GlobStep} from '../../src/watch/path-snapshot.js';
import {WorkspaceRig} from '../rig/workspace-rig.js';

/** Where paths stand to the BIDS-ish glob `sub-{s}/anat.txt`. */
function bidsLike(rig: WorkspaceRig): (path: string) => GlobStep {
  const root = `${rig.path('')}/`;
  return (path) => {
    const parts = path.slice(root.length).split('/');
    if (parts[0]?.startsWith('sub-') !== true) return undefined;
    if (parts.length === 1) return 'way';
    return parts.length === 2 && parts[1] === 'anat.txt' ? 'match' : undefined;
  };
}

const noGlobs = (): GlobStep => undefined;
const noDepth = (): undefined => undefined;
const oneLevel = (): number => 1;

void test('a file that was edited, replaced, deleted or created is named once', (t) => {
  const rig = WorkspaceRig.create(t);
  rig.write('a.txt', 'a\n');
  rig.write('b.txt', 'b\n');
  const snapshot = new PathSnapshot(noGlobs, noDepth);
  for (const name of ['a.txt', 'b.txt', 'c.txt']) {
    snapshot.add(rig.path(name));
  }
  assert.deepEqual(snapshot.changed(), []);

  rig.write('a.txt', 'a, edited\n');
  rig.remove('b.txt');
  rig.write('c.txt', 'c\n');
  assert.deepEqual(
    snapshot.changed().sort(),
    [rig.path('a.txt'), rig.path('b.txt'), rig.path('c.txt')].sort(),
  );

  // Each change is reported once: the snapshot now holds the new looks.
  assert.deepEqual(snapshot.changed(), []);
});

void test('a directory names the matches that came or went, and nothing a run writes', (t) => {
  const rig = WorkspaceRig.create(t);
  rig.write('sub-01/anat.txt', 'anat 01\n');
  const snapshot = new PathSnapshot(bidsLike(rig), oneLevel);
  snapshot.add(rig.path(''));

  // Outputs, their directories and notes beside the inputs do not count,
  // nor does a subject's directory before it holds the file the glob wants.
  rig.write('sub-01/mask.txt', 'mask\n');
  rig.write('notes.md', 'notes\n');
  rig.write('sub-out/report.txt', 'report\n');
  mkdirSync(rig.path('derivatives'));
  mkdirSync(rig.path('sub-02'));
  assert.deepEqual(snapshot.changed(), []);

  // A new subject's file, and a deleted subject's: one path each.
  rig.write('sub-02/anat.txt', 'anat 02\n');
  rmSync(rig.path('sub-01'), {recursive: true});
  assert.deepEqual(
    snapshot.changed().sort(),
    [rig.path('sub-01/anat.txt'), rig.path('sub-02/anat.txt')].sort(),
  );

  // Below the depth given, nothing is looked at.
  const shallow = new PathSnapshot(bidsLike(rig), () => 0);
  shallow.add(rig.path(''));
  rig.write('sub-03/anat.txt', 'anat 03\n');
  assert.deepEqual(shallow.changed(), []);
});

void test('a refresh takes the paths as they are now and drops the unwanted', (t) => {
  const rig = WorkspaceRig.create(t);
  rig.write('a.txt', 'a\n');
  rig.write('b.txt', 'b\n');
  const snapshot = new PathSnapshot(noGlobs, noDepth);
  snapshot.add(rig.path('a.txt'));
  snapshot.add(rig.path('b.txt'));
  rig.write('a.txt', 'a, edited\n');
  snapshot.refresh((path) => path === rig.path('a.txt'));
  assert.deepEqual(snapshot.changed(), []);

  // b was dropped: its edits are no longer this snapshot's to report.
  rig.write('b.txt', 'b, edited\n');
  rig.write('a.txt', 'a, edited again\n');
  assert.deepEqual(snapshot.changed(), [rig.path('a.txt')]);
});

void test('a renote takes held paths as they are now and adds none', (t) => {
  const rig = WorkspaceRig.create(t);
  rig.write('a.txt', 'a\n');
  const snapshot = new PathSnapshot(noGlobs, noDepth);
  snapshot.add(rig.path('a.txt'));
  rig.write('a.txt', 'a, edited\n');
  rig.write('b.txt', 'b\n');
  snapshot.renote([rig.path('a.txt'), rig.path('b.txt')]);
  rig.write('b.txt', 'b, edited\n');
  assert.deepEqual(snapshot.changed(), []);
});
