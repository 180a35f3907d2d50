import assert from 'node:assert/strict';
import {test} from 'node:test';

import {
  csvLabels,
  readWeights,
  referenceAccuracy,
} from '../finetune/heads-reference.js';
import {
  outcomes,
  show,
  WorkspaceRig,
  type RunResult,
} from '../rig/workspace-rig.js';
import {
  SWEEP_ORDERS,
  SWEEP_SAMPLINGS,
  SWEEP_SUBJECTS,
  sweepPipeline,
  writeSweepInputs,
} from './sweep-pipeline.js';

/** A job id `step[a=1,b=2]` as its step and bindings. */
function parseJob(id: string): {step: string; w: Record<string, string>} {
  const open = id.indexOf('[');
  if (open < 0) return {step: id, w: {}};
  const w = Object.fromEntries(
    id
      .slice(open + 1, -1)
      .split(',')
      .map((kv) => kv.split('=') as [string, string]),
  );
  return {step: id.slice(0, open), w};
}

/** The ids of the jobs that ran (not fresh, not restored), sorted. */
function ran(result: RunResult): string[] {
  return Object.entries(outcomes(result))
    .filter(([, o]) => o === 'ran')
    .map(([id]) => id)
    .sort();
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample sd (n − 1), NaN for one value, as the tables define it. */
function sd(v: readonly number[]): number {
  if (v.length < 2) return NaN;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
}

/** A CSV with simple fields as records keyed by the header. */
function csv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split('\n');
  const names = head!.split(',');
  return rows.map((r) => {
    const cells = r.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

/** `value` of a CSV cell equals `expected` (both NaN/'' allowed). */
function near(cell: string | undefined, expected: number, what: string) {
  if (Number.isNaN(expected)) return assert.equal(cell, '', what);
  assert.ok(
    Math.abs(Number(cell) - expected) < 1e-12,
    `${what}: table ${cell}, by hand ${expected}`,
  );
}

interface Metrics {
  model: string;
  order: string;
  seed: string;
  sampling: string;
  untrained: boolean;
  fmri_synthetic: boolean;
  ethics: {
    split: {test: {rows: number[]}};
    test: {accuracy: number};
    hard_test: {accuracy: number};
  };
}

interface Cell {
  model: string;
  sampling: string;
  order: string;
  seed: string;
}

/** Every cell of the sweep. */
function cells(models: readonly string[], seeds: readonly string[]): Cell[] {
  return models.flatMap((model) =>
    SWEEP_SAMPLINGS.flatMap((sampling) =>
      SWEEP_ORDERS.flatMap((order) =>
        seeds.map((seed) => ({model, sampling, order, seed})),
      ),
    ),
  );
}

const runFile = (c: Cell, what: string) =>
  `out/ft/${c.model}/${c.sampling}/${c.order}_${c.seed}_${what}.json`;

/**
 * Checks Tables 1 and 2 against the metrics files, and Table 3 against
 * the brain-score reports, computing every number here.
 */
function checkTables(
  rig: WorkspaceRig,
  models: readonly string[],
  seeds: readonly string[],
): void {
  const runs = cells(models, seeds).map((c) => ({
    c,
    m: JSON.parse(rig.read(runFile(c, 'metrics'))) as Metrics,
  }));
  for (const {c, m} of runs) {
    // The labels the tables group by are the run's own wildcards, and the
    // sampling is what the dataset rows say (the task checks the label).
    assert.deepEqual([m.model, m.sampling, m.order, m.seed], Object.values(c));
    assert.equal(m.untrained, true);
    assert.equal(m.fmri_synthetic, true);
  }
  const byOrder = csv(rig.read('out/results/t1.csv'));
  assert.equal(byOrder.length, models.length * SWEEP_ORDERS.length);
  const bySampling = csv(rig.read('out/results/t2.csv'));
  assert.equal(bySampling.length, models.length * SWEEP_SAMPLINGS.length);
  for (const [rows, key] of [
    [byOrder, 'fine_tuning'],
    [bySampling, 'sampling'],
  ] as const) {
    for (const row of rows) {
      const group = runs.filter(
        ({c}) =>
          c.model === row['model'] &&
          (key === 'sampling' ? c.sampling : c.order) === row[key],
      );
      const what = `${row['model']} ${row[key]}`;
      assert.equal(Number(row['runs']), group.length, what);
      // Two samplings (Table 1) or two orders (Table 2) of every seed.
      assert.equal(group.length, 2 * seeds.length);
      assert.equal(row['untrained'], 'true');
      assert.equal(row['synthetic_fmri'], 'true');
      for (const [col, split] of [
        ['hard', 'hard_test'],
        ['test', 'test'],
      ] as const) {
        const acc = group.map(({m}) => m.ethics[split].accuracy);
        near(row[`${col}_mean`], mean(acc), `${what} ${col} mean`);
        near(row[`${col}_sd`], sd(acc), `${what} ${col} sd`);
        near(row[`${col}_max`], Math.max(...acc), `${what} ${col} max`);
      }
    }
  }
  // Table 3: per subject the mean over a cell's runs at hidden_states.1,
  // then mean and sd across subjects; the difference from None per subject.
  const layerScores = (file: string) => {
    const r = JSON.parse(rig.read(file)) as {
      layers: string[];
      study: {scores: number[][]};
    };
    const l = r.layers.indexOf('hidden_states.1');
    return r.study.scores.map((row) => row[l]!);
  };
  const brain = csv(rig.read('out/results/t3.csv'));
  assert.equal(
    brain.length,
    models.length * SWEEP_SAMPLINGS.length * (1 + SWEEP_ORDERS.length),
  );
  for (const row of brain) {
    const none = layerScores(
      `out/brain/${row['model']}_${row['sampling']}.json`,
    );
    assert.equal(none.length, SWEEP_SUBJECTS.length);
    let perSubject = none;
    if (row['finetune'] !== 'none') {
      const files = seeds.map((seed) =>
        runFile(
          {
            model: row['model']!,
            sampling: row['sampling']!,
            order: row['finetune']!,
            seed,
          },
          'brain',
        ),
      );
      const scores = files.map(layerScores);
      perSubject = none.map((_, s) => mean(scores.map((v) => v[s]!)));
      assert.equal(row['tuned_on_sampling'], row['sampling']);
      near(
        row['difference_vs_none'],
        mean(perSubject.map((v, s) => v - none[s]!)),
        `${row['model']} ${row['sampling']} ${row['finetune']} Δ`,
      );
    }
    const what = `${row['model']} ${row['sampling']} ${row['finetune']}`;
    near(row['mean'], mean(perSubject), `${what} mean`);
    near(row['sd'], sd(perSubject), `${what} sd`);
  }
  const md = rig.read('out/results/tables.md');
  for (const model of models) {
    assert.ok(md.includes(`| ${model} (UNTRAINED) | AVG (SYNTHETIC fMRI) |`));
  }
}

void test('a real-task sweep over model × sampling × order × seed grows by a seed and a model running only the new cells', async (t) => {
  const rig = WorkspaceRig.create(t);
  await writeSweepInputs(rig);
  const models = ['tiny-a', 'tiny-b'];

  sweepPipeline(rig, models, ['1']);
  const first = await rig.run('run', '-j', '2', '--json');
  assert.equal(first.code, 0, show(first));
  // 2 encoders (+ scenarios, 2 ETHICS sets each), 3 subjects × 2
  // samplings, 2 datasets, 2 × 2 × 2 trial encodes, 8 heads, 8 + 4 brain
  // scores, the tables.
  assert.equal(ran(first).length, 2 + 2 + 4 + 6 + 2 + 8 + 8 + 8 + 4 + 1);
  checkTables(rig, models, ['1']);

  // The accuracy a run reports is its head's on its held-out cm_test
  // rows, recomputed from the weights and activations without the task.
  const cell = {model: 'tiny-b', sampling: 'AVG', order: 'fmri_ethics'};
  const m = JSON.parse(
    rig.read(runFile({...cell, seed: '1'}, 'metrics')),
  ) as Metrics;
  const accuracy = await referenceAccuracy(
    await readWeights(rig.path(runFile({...cell, seed: '1'}, 'weights'))),
    rig.path('out/act/tiny-b/ethics_cm_test.npy'),
    0,
    await csvLabels(rig.path('data/ethics/cm_test.csv')),
    m.ethics.split.test.rows,
  );
  assert.ok(Math.abs(accuracy - m.ethics.test.accuracy) < 1e-12);

  // A seed: only its heads and brain scores run, and the tables.
  sweepPipeline(rig, models, ['1', '2']);
  const seeded = await rig.run('run', '-j', '2', '--json');
  assert.equal(seeded.code, 0, show(seeded));
  const bySeed = ran(seeded).map(parseJob);
  assert.deepEqual(
    bySeed.filter((j) => j.step !== 'tables').map((j) => j.w['seed']),
    Array<string>(16).fill('2'),
  );
  assert.deepEqual([...new Set(bySeed.map((j) => j.step))].sort(), [
    'brain_score_heads',
    'heads',
    'tables',
  ]);
  assert.equal(bySeed.length, 8 + 8 + 1);
  assert.equal(Object.keys(outcomes(seeded)).length, 45 + 16);
  checkTables(rig, models, ['1', '2']);

  // A model: only its chain runs (encoder, encodes, heads, brain scores).
  const three = [...models, 'tiny-c'];
  sweepPipeline(rig, three, ['1', '2']);
  const grown = await rig.run('run', '-j', '2', '--json');
  assert.equal(grown.code, 0, show(grown));
  const byModel = ran(grown).map(parseJob);
  for (const j of byModel) {
    if (j.step !== 'tables') assert.equal(j.w['model'], 'tiny-c', j.step);
  }
  const counts: Record<string, number> = {};
  for (const j of byModel) counts[j.step] = (counts[j.step] ?? 0) + 1;
  assert.deepEqual(counts, {
    brain_score_base: 2,
    brain_score_heads: 8,
    build_encoder: 1,
    encode: 1,
    encode_ethics: 2,
    encode_trials: 4,
    heads: 8,
    tables: 1,
  });
  checkTables(rig, three, ['1', '2']);

  // Nothing is left to do.
  const again = await rig.run('run', '-j', '2', '--json');
  assert.deepEqual(ran(again), []);
});
