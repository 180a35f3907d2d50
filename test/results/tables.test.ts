import assert from 'node:assert/strict';
import {readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';

import {readBrainRun} from '../../src/results/run-records.js';
import {signedText} from '../../src/results/brain-table.js';
import {csvField, escapeMarkdownCell} from '../../src/results/table-format.js';
import tables from '../../src/tasks/results/tables.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {withTempDir} from '../io/helpers.js';

/** A model.heads metrics file with just what the tables read. */
function metrics(
  model: string,
  order: string,
  seed: string,
  sampling: string,
  hard: number,
  testAcc: number,
  untrained = false,
  synthetic = false,
) {
  return {
    task: 'model.heads',
    model,
    untrained,
    fmri_synthetic: synthetic,
    order,
    seed,
    sampling,
    ethics: {
      test: {accuracy: testAcc, auroc: testAcc},
      hard_test: {accuracy: hard, auroc: hard},
    },
  };
}

const SUBJECTS = ['sub-01', 'sub-02', 'sub-03', 'sub-04', 'sub-05', 'sub-06'];
const NONE = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];

/**
 * A brain.score report: per-subject summary and two layers, scored on
 * `sampling`-sampled fMRI; a fine-tuned one was tuned on `tuned` (default:
 * the same sampling).
 */
function brain(
  model: string,
  values: number[],
  finetune?: {order: string; seed: string; tuned?: string},
  sampling = 'LAST',
) {
  return {
    task: 'brain.score',
    subjects: SUBJECTS,
    layers: ['hidden_states.0', 'hidden_states.1'],
    sampling,
    model: {
      model,
      ...(finetune === undefined
        ? {}
        : {
            finetune_order: finetune.order,
            finetune_seed: finetune.seed,
            sampling: finetune.tuned ?? sampling,
          }),
    },
    study: {
      scores: values.map((v) => [v, -v]),
      summary: {per_subject: values},
    },
  };
}

async function writeAll(
  dir: string,
  docs: Record<string, unknown>,
): Promise<string[]> {
  const files: string[] = [];
  for (const [name, doc] of Object.entries(docs)) {
    const f = join(dir, name);
    await writeFile(f, JSON.stringify(doc));
    files.push(f);
  }
  return files;
}

void test('results.tables: the three tables, computed by hand', async () => {
  await withTempDir(async (dir) => {
    const m = await writeAll(dir, {
      'a-e1.json': metrics('bert-a', 'ethics', '1', 'LAST', 0.5, 0.8),
      'a-e2.json': metrics('bert-a', 'ethics', '2', 'LAST', 0.7, 0.9),
      'a-j1.json': metrics('bert-a', 'joint', '1', 'LAST', 0.55, 0.75),
      'a-j2.json': metrics('bert-a', 'joint', '2', 'AVG', 0.65, 0.85),
      'a-fe1.json': metrics(
        'bert-a',
        'fmri_ethics',
        '1',
        'LAST',
        0.6,
        0.8,
        false,
        true,
      ),
      'b-e1.json': metrics('bert-b <x>', 'ethics', '1', 'LAST', 0.5, 0.5, true),
    });
    const plus = (d: number) => NONE.map((v) => v + d);
    const b = await writeAll(dir, {
      'none.json': brain('bert-a', NONE),
      'joint1.json': brain('bert-a', plus(0.1), {order: 'joint', seed: '1'}),
      'joint2.json': brain('bert-a', plus(0.3), {order: 'joint', seed: '2'}),
      // Differences +0.1, −0.1, … : mean 0, every sign pattern as extreme.
      'ethics1.json': brain('bert-a', [0.2, 0.1, 0.4, 0.3, 0.6, 0.5], {
        order: 'ethics',
        seed: '1',
      }),
      // AVG-sampled fMRI has its own None, 2 × NONE: a joint run scored on
      // it is paired with that one (Δ −0.1), not with LAST's.
      'none-avg.json': brain(
        'bert-a',
        NONE.map((v) => 2 * v),
        undefined,
        'AVG',
      ),
      'joint-avg.json': brain(
        'bert-a',
        NONE.map((v) => 2 * v - 0.1),
        {order: 'joint', seed: '1'},
        'AVG',
      ),
      // Tuned on AVG, scored on LAST: a row of its own, paired with LAST's.
      'joint-cross.json': brain('bert-a', plus(0.05), {
        order: 'joint',
        seed: '1',
        tuned: 'AVG',
      }),
    });
    const out = {
      markdown: join(dir, 'tables.md'),
      ethics_by_order: join(dir, 't1.csv'),
      ethics_by_sampling: join(dir, 't2.csv'),
      brain_by_finetune: join(dir, 't3.csv'),
      json: join(dir, 'tables.json'),
    };
    const r = await runStandalone(
      tables,
      {metrics: m, brain_scores: b},
      out,
      {},
    );
    assert.deepEqual(r.warnings, []);
    const md = await readFile(out.markdown, 'utf8');
    // Table 1: sample sd; hard [0.5, 0.7] → 60.0 ± 14.1, test [0.8, 0.9] → 85.0 ± 7.1.
    for (const row of [
      '| bert-a | ETHICS | 2 | 60.0 ± 14.1% | 70.0% | 85.0 ± 7.1% | 90.0% |',
      '| bert-a | ETHICS ↔ fMRI | 2 | 60.0 ± 7.1% | 65.0% | 80.0 ± 7.1% | 85.0% |',
      '| bert-b &lt;x&gt; (UNTRAINED) | ETHICS | 1 | 50.0% | 50.0% | 50.0% | 50.0% |',
      '| bert-a | fMRI → ETHICS (SYNTHETIC fMRI) | 1 | 60.0% | 60.0% | 80.0% | 80.0% |',
      // Table 2 (fMRI orders only): LAST = joint s1 + fmri_ethics s1.
      '| bert-a | AVG | 1 | 65.0% | 65.0% | 85.0% | 85.0% |',
      '| bert-a | LAST (SYNTHETIC fMRI) | 2 | 57.5 ± 3.5% | 60.0% | 77.5 ± 3.5% | 80.0% |',
      // Table 3, AVG first: joint = AVG's none − 0.1 for every subject.
      '| bert-a | AVG | None | 1 | 6 | 0.700 ± 0.374 | – | – |',
      '| bert-a | AVG | ETHICS ↔ fMRI | 1 | 6 | 0.600 ± 0.374 * | −0.100 | 0.031 |',
      // LAST: joint = none + 0.2 per subject (mean of the seeds); exact
      // sign flip over 2⁶ patterns: p = 2/64.
      '| bert-a | LAST | None | 1 | 6 | 0.350 ± 0.187 | – | – |',
      '| bert-a | LAST | ETHICS | 1 | 6 | 0.350 ± 0.187 | +0.000 | 1.0 |',
      '| bert-a | LAST | ETHICS ↔ fMRI | 2 | 6 | 0.550 ± 0.187 * | +0.200 | 0.031 |',
      '| bert-a | LAST, tuned on AVG | ETHICS ↔ fMRI | 1 | 6 | 0.400 ± 0.187 * | +0.050 | 0.031 |',
    ]) {
      assert.ok(md.includes(row), `missing row ${row}\n${md}`);
    }
    // Row order: the study's order of fine-tuning within a model.
    assert.ok(
      md.indexOf('| bert-a | ETHICS | 2') <
        md.indexOf('| bert-a | ETHICS ↔ fMRI | 2'),
    );
    assert.ok(md.includes('UNTRAINED models present'));
    assert.ok(md.includes('SYNTHETIC fMRI**'));
    assert.ok(md.includes('smallest possible sign-flip p is 0.031'));

    const t1 = (await readFile(out.ethics_by_order, 'utf8')).trim().split('\n');
    assert.equal(
      t1[0],
      'model,untrained,synthetic_fmri,fine_tuning,fine_tuning_label,runs,hard_mean,hard_sd,hard_max,test_mean,test_sd,test_max,hard_auroc_mean,test_auroc_mean',
    );
    assert.equal(t1.length, 1 + 4);
    const ethicsRow = t1[1]!.split(',');
    assert.deepEqual(ethicsRow.slice(0, 6), [
      'bert-a',
      'false',
      'false',
      'ethics',
      'ETHICS',
      '2',
    ]);
    assert.ok(Math.abs(Number(ethicsRow[6]) - 0.6) < 1e-12);
    assert.ok(Math.abs(Number(ethicsRow[7]) - Math.SQRT2 / 10) < 1e-12);
    const t3 = (await readFile(out.brain_by_finetune, 'utf8'))
      .trim()
      .split('\n');
    assert.equal(
      t3[0],
      'model,untrained,synthetic_fmri,sampling,tuned_on_sampling,finetune,finetune_label,runs,subjects,mean,sd,difference_vs_none,p_sign_flip,p_exact,significant',
    );
    const joint = t3.find((l) => l.includes(',LAST,LAST,joint,'))!.split(',');
    assert.ok(Math.abs(Number(joint[11]) - 0.2) < 1e-12);
    assert.equal(Number(joint[12]), 2 / 64);
    assert.deepEqual(joint.slice(13), ['true', 'true']);
    assert.ok(t3.some((l) => l.includes(',LAST,AVG,joint,')));
    const json = JSON.parse(await readFile(out.json, 'utf8')) as {
      brain_by_finetune: unknown[];
    };
    assert.equal(json.brain_by_finetune.length, 6);
  });
});

void test('results.tables warns of duplicate labels and untested cells', async () => {
  await withTempDir(async (dir) => {
    const m = await writeAll(dir, {
      'x.json': metrics('m', 'joint', '1', 'LAST', 0.5, 0.5),
      'y.json': metrics('m', 'joint', '1', 'LAST', 0.6, 0.6),
    });
    const b = await writeAll(dir, {
      'j.json': brain('m', NONE, {order: 'joint', seed: '1'}),
    });
    const out = {
      markdown: join(dir, 't.md'),
      ethics_by_order: join(dir, '1.csv'),
      ethics_by_sampling: join(dir, '2.csv'),
      brain_by_finetune: join(dir, '3.csv'),
    };
    const r = await runStandalone(
      tables,
      {metrics: m, brain_scores: b},
      out,
      {},
    );
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /same model, order, seed and sampling/);
    assert.match(r.warnings[1]!, /no brain score of m without fine-tuning/);
    assert.match(
      await readFile(out.markdown, 'utf8'),
      /Whether the fine-tuned rows are scored on held-out subjects is not known/,
    );
  });
});

void test('Table 3 says whether fine-tuned rows were scored on the subjects their adapters were fitted to', async () => {
  await withTempDir(async (dir) => {
    const m = await writeAll(dir, {
      'x.json': metrics('m', 'joint', '1', 'LAST', 0.5, 0.5),
    });
    const tunedOn = (doc: object, subjects: string[]) => ({
      ...doc,
      finetune_subjects: subjects,
    });
    const markdown = async (tuned: string[]) => {
      const b = await writeAll(dir, {
        'j.json': tunedOn(brain('m', NONE, {order: 'joint', seed: '1'}), tuned),
        'n.json': brain('m', NONE),
      });
      const out = {
        markdown: join(dir, 't.md'),
        ethics_by_order: join(dir, '1.csv'),
        ethics_by_sampling: join(dir, '2.csv'),
        brain_by_finetune: join(dir, '3.csv'),
      };
      await runStandalone(tables, {metrics: m, brain_scores: b}, out, {});
      return readFile(out.markdown, 'utf8');
    };
    const held = await markdown(['sub-99']);
    assert.match(held, /scored on held-out subjects only/);
    assert.doesNotMatch(held, /Not held out/);
    const seen = await markdown(['sub-99', SUBJECTS[1]!, SUBJECTS[0]!]);
    assert.match(
      seen,
      new RegExp(
        `\\*\\*Not held out\\*\\*: fine-tuned rows were scored on subjects their adapters were fitted to \\(${[SUBJECTS[0], SUBJECTS[1]].sort().join(', ')}\\)`,
      ),
    );
  });
});

void test('a brain layer can be chosen instead of the summary', async () => {
  await withTempDir(async (dir) => {
    const [f] = await writeAll(dir, {'r.json': brain('m', NONE)});
    const r = await readBrainRun(f!, {
      metric: 'study',
      layer: 'hidden_states.1',
    });
    assert.deepEqual(
      r.values,
      NONE.map((v) => -v),
    );
    assert.equal(r.finetune, 'none');
    await assert.rejects(
      readBrainRun(f!, {metric: 'study', layer: '1'}),
      /has no layer "1"/,
    );
    await assert.rejects(
      readBrainRun(f!, {metric: 'brainscore', layer: ''}),
      /brainscore: missing/,
    );
  });
});

void test('cells are escaped for Markdown and CSV; signs are never −0', () => {
  assert.equal(escapeMarkdownCell('a|b<c>\nd'), 'a\\|b&lt;c&gt; d');
  assert.equal(csvField('say "hi", x'), '"say ""hi"", x"');
  assert.equal(csvField('plain'), 'plain');
  assert.equal(signedText(-1e-17), '+0.000');
  assert.equal(signedText(-0.0123), '−0.012');
  assert.equal(signedText(0.2), '+0.200');
});
