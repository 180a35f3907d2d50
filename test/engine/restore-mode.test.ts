import assert from 'node:assert/strict';
import {statSync} from 'node:fs';
import {describe, test} from 'node:test';

import {INLINE_BLOB_MAX} from '../../src/cache/blob-table.js';
import {SMALL_FILE} from '../../src/util/hash.js';
import {
  outcomes,
  show,
  WorkspaceRig,
  FILE_CONCURRENCY,
} from '../rig/workspace-rig.js';

/**
 * mktool.sh OUT GREETING PAD: OUT = an executable script that echoes
 * GREETING and its arguments, padded with a comment line of PAD bytes (so
 * its blob is a row, a file written from bytes, or a copied file).
 */
const MKTOOL = `#!/bin/sh
out=$1; greeting=$2; pad=$3
echo "$NEUROMAKE_JOB" >> "$NM_COUNTS/tool.log"
{
  echo '#!/bin/sh'
  echo "echo $greeting \\"\\$@\\""
  if [ "$pad" -gt 0 ]; then head -c "$pad" /dev/zero | tr '\\0' '#'; echo; fi
} > "$out"
chmod +x "$out"
`;

/** Padding for each kind of blob the tool's bytes can be stored as. */
const PADS = {
  row: 0,
  written: INLINE_BLOB_MAX + 1000,
  copied: SMALL_FILE + 1000,
} as const;

/**
 * `tool[pad]` writes an executable `bin/tool-{pad}`; `use[pad]` runs it.
 * The greeting reaches only the tool, `who` only its user.
 */
function toolPipeline(rig: WorkspaceRig): void {
  rig.write('tools/mktool.sh', MKTOOL);
  rig.pipeline(
    'params: {greeting: hi, who: there}',
    'steps:',
    '  tool:',
    `    for_each: {matrix: {pad: [${Object.values(PADS).join(', ')}]}}`,
    '    outputs: {out: "bin/tool-{pad}"}',
    '    shell: "sh tools/mktool.sh {outputs.out} {params.greeting} {pad}"',
    '  use:',
    '    for_each: {step: tool}',
    '    inputs: {t: "bin/tool-{pad}"}',
    '    outputs: {out: "out/use-{pad}.txt"}',
    '    shell: "./{inputs.t} {params.who} > {outputs.out}"',
  );
}

function executableBits(rig: WorkspaceRig, rel: string): number {
  return statSync(rig.path(rel)).mode & 0o111;
}

void describe('restored file modes', {concurrency: FILE_CONCURRENCY}, () => {
  void test('a restored executable output stays executable, a job runs it', async (t) => {
    const rig = WorkspaceRig.create(t);
    toolPipeline(rig);
    const pads = Object.values(PADS);
    const first = await rig.run('run');
    assert.equal(first.code, 0, show(first));
    const set = await rig.run('run', '--set', 'greeting=hello');
    assert.equal(set.code, 0, show(set));
    assert.equal(rig.read('out/use-0.txt'), 'hello there\n');
    assert.equal(rig.count('tool'), 6);

    // Back to the file's greeting: both steps come from the store.
    const back = await rig.run('run', '--json');
    assert.equal(back.code, 0, show(back));
    assert.equal(rig.count('tool'), 6);
    for (const pad of pads) {
      assert.equal(outcomes(back)[`tool[pad=${pad}]`], 'restored');
      assert.equal(outcomes(back)[`use[pad=${pad}]`], 'restored');
      assert.equal(executableBits(rig, `bin/tool-${pad}`), 0o111, `${pad}`);
      // Only what was executable becomes so.
      assert.equal(executableBits(rig, `out/use-${pad}.txt`), 0, `${pad}`);
      assert.equal(rig.read(`out/use-${pad}.txt`), 'hi there\n');
    }

    // A new `who`: the restored tools are fresh, and each user runs one.
    const other = await rig.run('run', '--set', 'who=world', '--json');
    assert.equal(other.code, 0, show(other));
    for (const pad of pads) {
      assert.equal(outcomes(other)[`tool[pad=${pad}]`], 'fresh');
      assert.equal(outcomes(other)[`use[pad=${pad}]`], 'ran');
      assert.equal(rig.read(`out/use-${pad}.txt`), 'hi world\n');
    }
    assert.equal(rig.count('tool'), 6);
  });

  void test('a deleted executable output is restored executable', async (t) => {
    const rig = WorkspaceRig.create(t);
    toolPipeline(rig);
    assert.equal((await rig.run('run')).code, 0);
    rig.remove('bin');
    rig.remove('out');
    const result = await rig.run('run', '--json');
    assert.equal(result.code, 0, show(result));
    assert.equal(rig.count('tool'), 3);
    for (const pad of Object.values(PADS)) {
      assert.equal(outcomes(result)[`tool[pad=${pad}]`], 'restored');
      assert.equal(executableBits(rig, `bin/tool-${pad}`), 0o111, `${pad}`);
    }
    const other = await rig.run('run', '--set', 'who=world');
    assert.equal(other.code, 0, show(other));
    assert.equal(rig.read('out/use-0.txt'), 'hi world\n');
  });
});
