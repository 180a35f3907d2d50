import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {readJsonl} from '../../src/io/jsonl.js';
import {readNpy} from '../../src/io/npy.js';
import atlasPrepare from '../../src/tasks/fmri/atlas-prepare.js';
import dataset from '../../src/tasks/fmri/dataset.js';
import mask from '../../src/tasks/fmri/mask.js';
import project from '../../src/tasks/fmri/project.js';
import sample from '../../src/tasks/fmri/sample.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import synthAtlas from '../../src/tasks/synth/atlas.js';
import synthBold from '../../src/tasks/synth/bold.js';
import {dataFile, withTempDir} from '../io/helpers.js';

void test('synthetic runs go through mask → prepare → project → sample → dataset', async () => {
  await withTempDir(async (dir) => {
    const atlas = join(dir, 'atlas.nii.gz');
    const labels = join(dir, 'labels.json');
    await runStandalone(synthAtlas, {}, {atlas, labels}, {parcels: 64});
    const samples: string[] = [];
    const metadata: string[] = [];
    let prepared: string | undefined;
    for (const sub of ['04', '05', '06']) {
      const func = `ds000212/sub-${sub}/func/sub-${sub}_task-dis_run-01_`;
      const o = (n: string) => join(dir, `${sub}-${n}`);
      await runStandalone(
        synthBold,
        {
          events: dataFile(`${func}events.tsv`),
          sidecar: dataFile(`${func}bold.json`),
        },
        {
          bold: o('bold.nii.gz'),
          events: o('events.tsv'),
          sidecar: o('bold.json'),
        },
        {volumes: 166, dims: [32, 32, 15], voxel_size: [6.25, 6.25, 8]},
      );
      await runStandalone(
        mask,
        {bold: o('bold.nii.gz')},
        {mask: o('mask.nii.gz'), report: o('mask.json')},
      );
      if (prepared === undefined) {
        prepared = join(dir, 'prepared.bin');
        await runStandalone(
          atlasPrepare,
          {atlas, grid: o('bold.nii.gz'), mask: o('mask.nii.gz'), labels},
          {prepared, report: join(dir, 'prepared.json')},
        );
      }
      // Each synthetic subject has its own grid (tilt), so prepare per grid.
      const prep = o('prepared.bin');
      await runStandalone(
        atlasPrepare,
        {atlas, grid: o('bold.nii.gz'), mask: o('mask.nii.gz'), labels},
        {prepared: prep, report: o('p.json')},
      );
      await runStandalone(
        project,
        {bold: o('bold.nii.gz'), atlas: prep, sidecar: o('bold.json')},
        {series: o('series.npy'), sidecar: o('series.json')},
        {detrend: true, standardize: 'zscore'},
      );
      const side = JSON.parse(await readFile(o('series.json'), 'utf8')) as {
        RepetitionTime: number;
        shape: number[];
        labels: string[];
      };
      // The synthetic header says TR 1 s; the sidecar's 2 s wins.
      assert.equal(side.RepetitionTime, 2);
      assert.deepEqual(side.shape, [166, 64]);
      assert.equal(side.labels[0], 'synthetic-parcel-0001');
      const r = await runStandalone(
        sample,
        {
          series: o('series.npy'),
          events: o('events.tsv'),
          sidecar: o('bold.json'),
          scenarios: dataFile('ds000212/stimuli/scenarios.csv'),
        },
        {samples: o('samples.npy'), metadata: o('samples.jsonl')},
        {method: 'LAST', subject: `sub-${sub}`, run: '01'},
      );
      assert.deepEqual(r.warnings, []);
      samples.push(o('samples.npy'));
      metadata.push(o('samples.jsonl'));
    }
    const rows = await readJsonl(metadata[0]!);
    assert.equal(rows.length, 10);
    assert.equal(rows[0]!['subject'], 'sub-04');
    assert.equal(rows[0]!['condition'], 'H_II');
    assert.match(String(rows[0]!['text']), /\S/);
    // synth.bold's sidecar says Synthetic: every sample carries the flag.
    assert.ok(
      rows.every((r) => r['synthetic'] === true && r['method'] === 'LAST'),
    );
    assert.deepEqual((await readNpy(samples[0]!)).shape, [10, 64]);
    const out = (n: string) => join(dir, n);
    await runStandalone(
      dataset,
      {samples, metadata},
      {
        train: out('train.jsonl'),
        validation: out('validation.jsonl'),
        test: out('test.jsonl'),
        summary: out('summary.json'),
      },
    );
    const splits = await Promise.all(
      ['train', 'validation', 'test'].map((s) => readJsonl(out(`${s}.jsonl`))),
    );
    const subjectsOf = splits.map(
      (rs) => new Set(rs.map((r) => String(r['subject']))),
    );
    assert.equal(
      splits.reduce((a, s) => a + s.length, 0),
      30,
    );
    for (let i = 0; i < 3; i++) {
      assert.equal(
        subjectsOf[i]!.size,
        1,
        'each split has one of the three subjects',
      );
      for (let j = i + 1; j < 3; j++)
        assert.ok(![...subjectsOf[i]!].some((s) => subjectsOf[j]!.has(s)));
    }
    const row = splits[0]![0]!;
    assert.equal((row['fmri'] as number[]).length, 64);
    assert.ok(
      typeof row['text'] === 'string' && typeof row['rating'] === 'number',
    );
    assert.equal(row['synthetic'], true, 'the dataset keeps the flag');
  });
});
