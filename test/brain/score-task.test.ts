import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {writeSyntheticInputs} from '../../src/brain/synthetic-inputs.js';
import {readNpy, writeNpy} from '../../src/io/npy.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import score from '../../src/tasks/brain/score.js';
import compare from '../../src/tasks/brain/compare.js';
import {withTempDir} from '../io/helpers.js';
import {maxAbsDiff, sklearnSkipReason} from './helpers.js';
import {sklearnPeer} from './peer.js';

const SIZES = {
  subjects: 3,
  scenarios: 24,
  layers: 3,
  hidden: 40,
  parcels: 30,
  runs: 2,
  seed: 't',
};

async function runScore(
  dir: string,
  inputs: Awaited<ReturnType<typeof writeSyntheticInputs>>,
  params: Record<string, unknown> = {},
  tag = 'a',
  extra: Record<string, string | readonly string[]> = {},
) {
  const outputs = {
    scores: join(dir, `${tag}.json`),
    parcels: join(dir, `${tag}.npy`),
    plot: join(dir, `${tag}.svg`),
  };
  const r = await runStandalone(
    score,
    {
      activations: inputs.activations,
      sidecar: inputs.sidecar,
      samples: inputs.samples,
      metadata: inputs.metadata,
      ...extra,
    },
    outputs,
    {folds: 4, ...params},
  );
  return {
    ...outputs,
    ...r,
    report: JSON.parse(await readFile(outputs.scores, 'utf8')) as Record<
      string,
      unknown
    >,
  };
}

interface Section {
  scores: number[][];
  by_layer: {mean: number; sd: number}[];
  permutation?: {p_by_layer: number[]; null_by_layer: number[][]};
}

void test('brain.score matches scikit-learn RidgeCV end to end (both metrics)', async (t) => {
  const skip = await sklearnSkipReason();
  if (skip !== undefined) return t.skip(skip);
  await withTempDir(async (dir) => {
    const inputs = await writeSyntheticInputs(dir, SIZES);
    const out = await runScore(dir, inputs);
    const peer = await sklearnPeer(
      dir,
      inputs,
      out.scores,
      [1e-3, 1e-2, 1e-1, 1],
    );
    const study = (out.report['study'] as Section).scores.flat();
    const brain = (out.report['brainscore'] as Section).scores.flat();
    assert.ok(
      maxAbsDiff(study, peer.study) < 1e-6,
      `study ${maxAbsDiff(study, peer.study)}`,
    );
    assert.ok(maxAbsDiff(brain, peer.brainscore) < 1e-6);
    const parcels = await readNpy(out.parcels);
    assert.deepEqual(parcels.shape, [3, 3, 30]);
    assert.ok(maxAbsDiff(parcels.data, peer.parcels) < 1e-6);
    // The synthetic signal is real: the middle layer scores well.
    assert.ok(brain[1]! > 0.3, `middle layer ${brain[1]}`);
    const svg = await readFile(out.plot, 'utf8');
    assert.match(svg, /^<svg[^>]+xmlns/);
    assert.match(svg, /layer_2/);
  });
});

void test('brain.score: ROI, permutations, layers by exact name; brain.compare', async () => {
  await withTempDir(async (dir) => {
    const inputs = await writeSyntheticInputs(dir, SIZES);
    const labels = join(dir, 'labels.csv');
    const nets = Array.from(
      {length: 30},
      (_, i) => `${i + 1},p${i},${i % 3 === 0 ? 'Vis' : 'Default'}`,
    );
    await writeFile(
      labels,
      `Component,Difumo_names,Yeo_networks7\n${nets.join('\n')}\n`,
    );
    const run = (params: Record<string, unknown>, tag: string) =>
      runStandalone(
        score,
        {
          activations: inputs.activations,
          sidecar: inputs.sidecar,
          samples: inputs.samples,
          metadata: inputs.metadata,
          labels,
        },
        {
          scores: join(dir, `${tag}.json`),
          parcels: join(dir, `${tag}.npy`),
          plot: join(dir, `${tag}.svg`),
        },
        {folds: 4, ...params},
      );
    await run(
      {
        roi: ['vis'],
        layers: ['layer_2', 0],
        permutations: 9,
        metric: 'brainscore',
      },
      'roi',
    );
    const report = JSON.parse(
      await readFile(join(dir, 'roi.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.deepEqual(report['layers'], ['layer_2', 'layer_1']);
    assert.deepEqual(
      (report['parcels'] as {indices: number[]}).indices,
      Array.from({length: 10}, (_, i) => i * 3),
    );
    assert.deepEqual((await readNpy(join(dir, 'roi.npy'))).shape, [3, 2, 10]);
    const perm = (report['brainscore'] as Section).permutation!;
    assert.equal(perm.null_by_layer[0]!.length, 9);
    assert.ok(perm.p_by_layer[0]! >= 0.1 && perm.p_by_layer[0]! <= 1);
    await assert.rejects(run({layers: ['2']}, 'bad'), /no layer "2"/);
    await assert.rejects(
      run({roi: ['Limbic']}, 'bad'),
      /no parcel labelled limbic/,
    );
    // Compare a model with itself: zero difference, p = 1.
    await runStandalone(
      compare,
      {a: join(dir, 'roi.json'), b: join(dir, 'roi.json')},
      {result: join(dir, 'cmp.json')},
      {metric: 'brainscore'},
    );
    const cmp = JSON.parse(await readFile(join(dir, 'cmp.json'), 'utf8')) as {
      brainscore: {by_layer: {mean_difference: number; p_sign_flip: number}[]};
    };
    assert.equal(cmp.brainscore.by_layer[0]!.mean_difference, 0);
    assert.equal(cmp.brainscore.by_layer[0]!.p_sign_flip, 1);
  });
});

void test('brain.score errors name the file and field', async () => {
  await withTempDir(async (dir) => {
    const inputs = await writeSyntheticInputs(dir, SIZES);
    // Sidecar lists fewer texts than the activations have rows.
    const side = JSON.parse(await readFile(inputs.sidecar, 'utf8')) as {
      items: string[];
    };
    const short = join(dir, 'short.json');
    await writeFile(
      short,
      JSON.stringify({...side, items: side.items.slice(1)}),
    );
    await assert.rejects(
      runScore(dir, {...inputs, sidecar: short}),
      (e: Error) =>
        e.message.includes('short.json') &&
        /items: lists 23 texts but .*activations\.npy has N = 24/.test(
          e.message,
        ),
    );
    // Samples and metadata disagree on N.
    const meta = join(dir, 'meta.jsonl');
    await writeFile(
      meta,
      (await readFile(inputs.metadata[0]!, 'utf8'))
        .split('\n')
        .slice(1)
        .join('\n'),
    );
    await assert.rejects(
      runScore(dir, {...inputs, metadata: [meta, ...inputs.metadata.slice(1)]}),
      /meta\.jsonl: rows: 11 rows but .*sub-01_run-1\.npy has N = 12/,
    );
    // NaN in the samples and in the activations.
    const npy = await readNpy(inputs.samples[1]!);
    npy.data[5] = NaN;
    const nanFile = join(dir, 'nan.npy');
    await writeNpy(nanFile, npy.data, npy.shape);
    await assert.rejects(
      runScore(dir, {
        ...inputs,
        samples: [inputs.samples[0]!, nanFile, ...inputs.samples.slice(2)],
      }),
      /nan\.npy: row 0: non-finite value at parcel 5/,
    );
    const act = await readNpy(inputs.activations);
    act.data[40 * 3 * 2 + 7] = Infinity;
    const actFile = join(dir, 'act-nan.npy');
    await writeNpy(actFile, act.data, act.shape);
    await assert.rejects(
      runScore(dir, {...inputs, activations: actFile}),
      /act-nan\.npy: data: non-finite value \(Infinity\) at text 2, layer "layer_1"/,
    );
    // Too few scenarios for the folds.
    await assert.rejects(
      runScore(dir, inputs, {folds: 30}),
      /sub-01 has 24 scenarios matched to .*; 30 folds need at least 30 \(lower param "folds"/,
    );
    const few = join(dir, 'few');
    const rows = (await readFile(inputs.metadata[0]!, 'utf8')).split('\n');
    await writeFile(`${few}.jsonl`, rows.slice(0, 4).join('\n') + '\n');
    const first = await readNpy(inputs.samples[0]!);
    await writeNpy(`${few}.npy`, first.data.slice(0, 4 * 30), [4, 30]);
    const fewInputs = {
      ...inputs,
      samples: [`${few}.npy`],
      metadata: [`${few}.jsonl`],
    };
    await assert.rejects(
      runScore(dir, fewInputs, {folds: 2}),
      /sub-01 has 4 scenarios .*2 folds need at least 5/,
    );
    await assert.rejects(
      runScore(dir, {
        ...fewInputs,
        samples: [`${few}.npy`, inputs.samples[1]!],
      }),
      /2 samples files but 1 metadata files/,
    );
  });
});

void test('brain.score records the sampling and synthetic flag of its samples, refuses mixed methods, takes a model label', async () => {
  await withTempDir(async (dir) => {
    const inputs = await writeSyntheticInputs(dir, SIZES);
    const plain = await runScore(dir, inputs, {metric: 'study'});
    assert.equal(plain.report['sampling'], null, 'rows without a method');
    assert.equal(plain.report['fmri_synthetic'], false);
    // Mark the rows as fmri.sample does: each file by one method.
    const marked = async (file: string, method: string, tag: string) => {
      const rows = (await readFile(file, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) =>
          JSON.stringify({
            ...(JSON.parse(l) as object),
            method,
            synthetic: true,
          }),
        );
      const out = join(dir, `${tag}.jsonl`);
      await writeFile(out, rows.join('\n') + '\n');
      return out;
    };
    const avg = await Promise.all(
      inputs.metadata.map((m, i) => marked(m, 'AVG', `avg-${i}`)),
    );
    const out = await runScore(
      dir,
      {...inputs, metadata: avg},
      {metric: 'study', model: 'small'},
      'labelled',
    );
    assert.equal(out.report['sampling'], 'AVG');
    assert.equal(out.report['fmri_synthetic'], true);
    const info = out.report['model'] as Record<string, unknown>;
    assert.equal(info['model'], 'small');
    // The sidecar's own name (synthetic-inputs writes "synthetic") is kept.
    assert.equal(info['sidecar_model'], 'synthetic');
    assert.equal(
      info['sidecar_model'],
      (plain.report['model'] as Record<string, unknown>)['model'],
    );
    assert.ok((await readFile(out.plot, 'utf8')).includes('SYNTHETIC fMRI'));
    const mixed = [
      await marked(inputs.metadata[0]!, 'LAST', 'last-0'),
      ...avg.slice(1),
    ];
    await assert.rejects(
      runScore(dir, {...inputs, metadata: mixed}, {metric: 'study'}),
      /the samples mix sampling methods \(AVG, LAST\)/,
    );
  });
});

void test('brain.score with subjects_from scores only the subjects of those splits, each as without it', async () => {
  await withTempDir(async (dir) => {
    const inputs = await writeSyntheticInputs(dir, SIZES);
    const all = await runScore(dir, inputs, {metric: 'study'}, 'all');
    const split = (name: string, subjects: string[]) => {
      const file = join(dir, `${name}.jsonl`);
      const rows = subjects.map((subject, i) =>
        JSON.stringify({subject, item: i}),
      );
      return writeFile(file, `${rows.join('\n')}\n`).then(() => file);
    };
    const validation = await split('validation', ['sub-03', 'sub-09']);
    const test = await split('test', ['sub-01', 'sub-01']);
    // A split of fraction 0 is an empty file: allowed.
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    const held = await runScore(dir, inputs, {metric: 'study'}, 'held', {
      subjects_from: [validation, test, empty],
    });
    const report = held.report;
    assert.deepEqual(report['subjects'], ['sub-01', 'sub-03']);
    assert.deepEqual(report['subjects_left_out'], ['sub-02']);
    assert.deepEqual(report['subjects_from'], [validation, test, empty]);
    assert.equal(report['finetune_subjects'], null, 'not an adapter');

    // An adapter's sidecar (model.heads) names whom it was fitted to; the
    // report carries that on for results.tables.
    const tunedSidecar = join(dir, 'tuned.json');
    const side = JSON.parse(await readFile(inputs.sidecar, 'utf8')) as object;
    await writeFile(
      tunedSidecar,
      JSON.stringify({...side, finetune_subjects: ['sub-02']}),
    );
    const tuned = await runScore(
      dir,
      {...inputs, sidecar: tunedSidecar},
      {metric: 'study'},
      'tuned',
    );
    assert.deepEqual(tuned.report['finetune_subjects'], ['sub-02']);
    assert.ok(held.logs.some((l) => /scoring 2 of 3 subjects/.test(l)));
    assert.deepEqual(held.warnings, [
      `sub-09 in ${validation}, ${test}, ${empty} has no samples`,
    ]);

    // A subject's score does not depend on which others are scored.
    const scores = (r: Record<string, unknown>) =>
      (r['study'] as Section).scores;
    const allScores = scores(all.report);
    assert.deepEqual(scores(report), [allScores[0], allScores[2]]);

    const none = await split('none', ['sub-09']);
    const nothing = join(dir, 'nothing.jsonl');
    await writeFile(nothing, '{"item": 1}\n');
    const run = (from: string) =>
      runScore(dir, inputs, {metric: 'study'}, 'x', {subjects_from: [from]});
    await assert.rejects(
      run(none),
      /none\.jsonl: subject: none of the subjects there \(sub-09\) has samples; the samples have sub-01, sub-02, sub-03/,
    );
    await assert.rejects(
      run(nothing),
      /nothing\.jsonl: subject: no row has a "subject" field/,
    );
    await assert.rejects(
      run(empty),
      /empty\.jsonl: subject: no row has a "subject" field/,
    );
  });
});
