import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {cleanSeries} from '../../src/fmri/signal-clean.js';
import {headerAffine} from '../../src/io/nifti-affine.js';
import {readNifti} from '../../src/io/nifti-read.js';
import {writeNifti1} from '../../src/io/nifti-write.js';
import {readNpy} from '../../src/io/npy.js';
import atlasPrepare from '../../src/tasks/fmri/atlas-prepare.js';
import project from '../../src/tasks/fmri/project.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import synthAtlas from '../../src/tasks/synth/atlas.js';
import synthBold from '../../src/tasks/synth/bold.js';
import {Random} from '../../src/tasks/synth/random.js';
import {dataFile, withTempDir} from '../io/helpers.js';

/** One synthetic run, its prepared atlas and a confounds table. */
async function rig(dir: string) {
  const o = (n: string) => join(dir, n);
  await runStandalone(
    synthAtlas,
    {},
    {atlas: o('atlas.nii.gz'), labels: o('labels.json')},
    {parcels: 16},
  );
  const func = 'ds000212/sub-04/func/sub-04_task-dis_run-01_';
  await runStandalone(
    synthBold,
    {
      events: dataFile(`${func}events.tsv`),
      sidecar: dataFile(`${func}bold.json`),
    },
    {bold: o('bold.nii.gz'), events: o('events.tsv'), sidecar: o('bold.json')},
    {volumes: 166, dims: [16, 16, 8], voxel_size: [12.5, 12.5, 15]},
  );
  await runStandalone(
    atlasPrepare,
    {
      atlas: o('atlas.nii.gz'),
      grid: o('bold.nii.gz'),
      labels: o('labels.json'),
    },
    {prepared: o('prepared.bin'), report: o('prepared.json')},
  );
  const rng = new Random('motion');
  const rows = ['trans_x\tcsf\ttrans_x_derivative1'];
  for (let t = 0; t < 166; t++) {
    rows.push(
      `${rng.normal().toFixed(6)}\t${rng.normal().toFixed(6)}\t${t === 0 ? 'n/a' : '0'}`,
    );
  }
  await writeFile(o('confounds.tsv'), `${rows.join('\n')}\n`);
  const inputs = {
    bold: o('bold.nii.gz'),
    atlas: o('prepared.bin'),
    sidecar: o('bold.json'),
  };
  return {o, inputs};
}

void test('fmri.project cleans as cleanSeries does, and records how in its sidecar', async () => {
  await withTempDir(async (dir) => {
    const {o, inputs} = await rig(dir);
    await runStandalone(project, inputs, {
      series: o('raw.npy'),
      sidecar: o('raw.json'),
    });
    await runStandalone(
      project,
      {...inputs, confounds: o('confounds.tsv')},
      {series: o('clean.npy'), sidecar: o('clean.json')},
      {
        detrend: true,
        high_pass: 0.008,
        confound_columns: ['trans_x', 'csf'],
        standardize: 'zscore',
      },
    );

    // The task's cleaning is cleanSeries on the raw projection (float32
    // on disk, so compare at float32 precision).
    const raw = await readNpy(o('raw.npy'));
    const [frames = 0, parcels = 0] = raw.shape;
    const table = (await readFile(o('confounds.tsv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t').map(Number));
    const expected = {frames, parcels, data: Float64Array.from(raw.data)};
    cleanSeries(expected, {
      detrend: true,
      highPass: {hz: 0.008, trSeconds: 2, filter: 'butterworth'},
      confounds: [0, 1].map((j) => Float64Array.from(table, (r) => r[j]!)),
      standardize: 'zscore',
    });
    const got = await readNpy(o('clean.npy'));
    // Both the same non-empty shape, so that the loop below compares values.
    assert.deepEqual(raw.shape, [166, 16]);
    assert.deepEqual(got.shape, raw.shape);
    let worst = 0;
    got.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - expected.data[i]!));
    });
    assert.ok(worst < 1e-4, `max difference ${worst}`);

    const side = JSON.parse(await readFile(o('clean.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(side['high_pass'], 0.008);
    assert.equal(side['filter'], 'butterworth');
    assert.deepEqual(side['confounds'], ['trans_x', 'csf']);
    const plain = JSON.parse(await readFile(o('raw.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(plain['high_pass'], null);
    assert.equal(plain['filter'], null);
  });
});

void test('fmri.project names what is wrong with its confounds and cutoff', async () => {
  await withTempDir(async (dir) => {
    const {o, inputs} = await rig(dir);
    const outputs = {series: o('s.npy'), sidecar: o('s.json')};
    await assert.rejects(
      runStandalone(
        project,
        {...inputs, confounds: o('confounds.tsv')},
        outputs,
      ),
      /"confound_columns" names no column/,
    );
    await assert.rejects(
      runStandalone(project, inputs, outputs, {confound_columns: ['csf']}),
      /no "confounds" input/,
    );
    await assert.rejects(
      runStandalone(
        project,
        {...inputs, confounds: o('confounds.tsv')},
        outputs,
        {confound_columns: ['csf', 3]},
      ),
      /param "confound_columns" must be a list of column names, got \["csf",3\]/,
    );
    await assert.rejects(
      runStandalone(
        project,
        {...inputs, confounds: o('confounds.tsv')},
        outputs,
        {confound_columns: ['trans_x_derivative1']},
      ),
      /confounds\.tsv: column "trans_x_derivative1", data row 1: "n\/a"/,
    );
    await assert.rejects(
      runStandalone(project, inputs, outputs, {high_pass: 0.3}),
      /param "high_pass" for \S+bold\.nii\.gz: the high-pass cutoff 0\.3 Hz must be above 0 and below the Nyquist frequency, 0\.25 Hz at TR 2 s/,
    );
  });
});

void test('fmri.project refuses a NaN inside the atlas, naming the file, voxel and frame', async () => {
  await withTempDir(async (dir) => {
    const {o, inputs} = await rig(dir);
    const image = await readNifti(inputs.bold);
    const {sclSlope: m, sclInter: b} = image.header;
    const values = Float32Array.from(image.data, (x) => x * m + b);
    // Voxel (8, 8, 4) of 16×16×8, frame 3: in the middle of the brain.
    const voxel = 8 + 16 * (8 + 16 * 4);
    values[3 * 16 * 16 * 8 + voxel] = Number.NaN;
    const bad = o('bold-nan.nii.gz');
    await writeNifti1(bad, {
      shape: image.header.shape,
      affine: headerAffine(image.header).affine,
      data: values,
      timeStep: 2,
      gzip: true,
    });
    await assert.rejects(
      runStandalone(
        project,
        {...inputs, bold: bad},
        {series: o('nan.npy'), sidecar: o('nan.json')},
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /bold-nan\.nii\.gz: data: NaN or infinite value at voxel \(8, 8, 4\), frame 3, inside the atlas/,
        );
        return true;
      },
    );
  });
});
