import assert from 'node:assert/strict';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {writeNpy} from '../../src/io/npy.js';
import dataset from '../../src/tasks/fmri/dataset.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {withTempDir} from '../io/helpers.js';

void test('fmri.dataset names the metadata row that has no subject', () =>
  withTempDir(async (dir) => {
    const samples = join(dir, 'run.npy');
    const metadata = join(dir, 'run.jsonl');
    await writeNpy(samples, new Float32Array(4), [2, 2]);
    await writeFile(
      metadata,
      `${JSON.stringify({key: 'a', subject: '01'})}\n${JSON.stringify({key: 'b'})}\n`,
    );
    const outputs = Object.fromEntries(
      ['train', 'validation', 'test', 'summary'].map((n) => [
        n,
        join(dir, `${n}.out`),
      ]),
    );
    await assert.rejects(
      runStandalone(
        dataset,
        {samples: [samples], metadata: [metadata]},
        outputs,
      ),
      (err: Error) =>
        err.message.includes(metadata) &&
        /line 2/.test(err.message) &&
        /no "subject" field/.test(err.message),
    );
  }));
