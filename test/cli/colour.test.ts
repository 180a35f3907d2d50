import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {scratchDir} from '../rig/fixtures.js';

const BIN = fileURLToPath(
  new URL('../../../bin/neuromake.js', import.meta.url),
);

/** The escape character that starts every colour code. */
const ESC = String.fromCharCode(27);

/** util-linux `script` gives a command a terminal; skipped without it. */
const NO_SCRIPT =
  spawnSync('script', ['-qc', 'true', '/dev/null']).status !== 0 &&
  'no util-linux script(1) here to run under a terminal';

void test(
  'stderr redirected to a file gets no colour codes while stdout is a terminal',
  {skip: NO_SCRIPT},
  (t) => {
    const dir = scratchDir(t, 'colour');
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      'steps:\n  a:\n    shell: "echo {params.nope}"\n',
    );
    const env = {...process.env};
    delete env['NO_COLOR'];
    const command = `cd '${dir}' && '${process.execPath}' '${BIN}' run -n 2>err.txt`;
    execFileSync('script', ['-qc', command, '/dev/null'], {env});
    const err = readFileSync(join(dir, 'err.txt'), 'utf8');
    assert.match(
      err,
      /pipeline\.yaml:3:18 - error: \{params\.nope\} names no param/,
    );
    assert.ok(!err.includes(ESC), 'no escape codes in the file');

    // On the terminal itself the same diagnostic is coloured.
    const tty = execFileSync(
      'script',
      [
        '-qc',
        `cd '${dir}' && '${process.execPath}' '${BIN}' run -n`,
        '/dev/null',
      ],
      {env, encoding: 'utf8'},
    );
    assert.ok(tty.includes(`${ESC}[`), 'escape codes on the terminal');
  },
);
