import {readFile, writeFile} from 'node:fs/promises';

import {FormatError} from '../../io/format-error.js';
import {
  numberParam,
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';
import {METRIC_PARAM, METRICS, SCORES, SIGN_FLIP_PARAMS} from './params.js';

interface Section {
  scores: (number | null)[][];
  summary: {per_subject: (number | null)[]};
  permutation?: {
    null_by_layer: (number | null)[][];
    null_summary: (number | null)[];
  };
}

interface Report {
  subjects: string[];
  layers: string[];
  seed?: string;
  study?: Section;
  brainscore?: Section;
}

async function readReport(file: string): Promise<Report> {
  let r: unknown;
  try {
    r = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FormatError(file, 'json', (e as Error).message);
  }
  const o = r as Partial<Report>;
  if (!Array.isArray(o.subjects) || !Array.isArray(o.layers)) {
    throw new FormatError(
      file,
      'subjects/layers',
      'missing: not a brain.score report',
    );
  }
  return o as Report;
}

/**
 * Difference between two models' brain scores (e.g. base vs fine-tuned)
 * on the same subjects: paired sign-flip test across subjects per layer
 * and for the summary, plus — when both reports carry scenario-shuffle
 * nulls from the same seed — the shuffle p of the difference.
 */
const compare: TaskDefinition = {
  name: 'brain.compare',
  description:
    'Compare two brain.score reports (model A − model B) on the same subjects and layers: mean difference, paired sign-flip p across subjects, and the scenario-shuffle p when both carry nulls.',
  inputs: {
    a: {description: 'brain.score JSON of model A.'},
    b: {description: 'brain.score JSON of model B (same subjects, layers).'},
  },
  outputs: {
    result: {
      description: 'JSON: per metric and layer, the difference and p-values.',
    },
  },
  params: {metric: METRIC_PARAM, ...SIGN_FLIP_PARAMS},
  async run(context) {
    const {signFlipTest, permutationPValue} =
      await import('../../brain/permutation-test.js');
    const {meanSd} = await import('../../brain/pearson.js');
    const fileA = singleInput(context, 'a');
    const fileB = singleInput(context, 'b');
    const [a, b] = await Promise.all([readReport(fileA), readReport(fileB)]);
    const bIndex = new Map(b.subjects.map((s, i) => [s, i]));
    const common = a.subjects.filter((s) => bIndex.has(s));
    if (common.length < 2) {
      throw new TaskInputError(
        `${fileA} and ${fileB} share ${common.length} subjects; need 2`,
      );
    }
    if (a.layers.join('\u0000') !== b.layers.join('\u0000')) {
      throw new FormatError(
        fileB,
        'layers',
        `differ from ${fileA}'s (${a.layers.join(', ')})`,
      );
    }
    if (
      common.length < a.subjects.length ||
      common.length < b.subjects.length
    ) {
      context.warn(`comparing the ${common.length} subjects both reports have`);
    }
    const metric = stringParam(context, 'metric', 'both', METRICS);
    const permutations = numberParam(context, 'permutations', 10000);
    const seed = stringParam(context, 'seed', '212');
    const out: Record<string, unknown> = {
      task: 'brain.compare',
      a: fileA,
      b: fileB,
      subjects: common,
      layers: a.layers,
    };
    for (const m of SCORES) {
      if (metric !== 'both' && metric !== m) continue;
      const sa = a[m];
      const sb = b[m];
      if (sa === undefined || sb === undefined) {
        throw new FormatError(
          sa === undefined ? fileA : fileB,
          m,
          'missing: score both with this metric',
        );
      }
      const pairs = (get: (s: Section, subject: number) => number | null) =>
        common.map((name) => {
          const x = get(sa, a.subjects.indexOf(name));
          const y = get(sb, bIndex.get(name)!);
          return x === null || y === null ? NaN : x - y;
        });
      const shuffleP = (
        obs: number,
        na?: (number | null)[],
        nb?: (number | null)[],
      ) => {
        if (
          na === undefined ||
          nb === undefined ||
          na.length !== nb.length ||
          a.seed !== b.seed
        )
          return null;
        const d = na.map((x, k) =>
          x === null || nb[k] === null ? NaN : Math.abs(x - nb[k]!),
        );
        const p = permutationPValue(Math.abs(obs), d);
        return Number.isFinite(p) ? p : null;
      };
      const test = (
        d: number[],
        na?: (number | null)[],
        nb?: (number | null)[],
      ) => {
        const r = signFlipTest(d, permutations, seed);
        return {
          mean_difference: Number.isFinite(r.meanDifference)
            ? r.meanDifference
            : null,
          sd_difference: meanSd(d).sd,
          p_sign_flip: Number.isFinite(r.p) ? r.p : null,
          sign_flip_exact: r.exact,
          p_scenario_shuffle: shuffleP(r.meanDifference, na, nb),
        };
      };
      out[m] = {
        by_layer: a.layers.map((layer, l) => ({
          layer,
          ...test(
            pairs((s, i) => s.scores[i]?.[l] ?? null),
            sa.permutation?.null_by_layer[l],
            sb.permutation?.null_by_layer[l],
          ),
        })),
        summary: test(
          pairs((s, i) => s.summary.per_subject[i] ?? null),
          sa.permutation?.null_summary,
          sb.permutation?.null_summary,
        ),
      };
    }
    await writeFile(
      outputPath(context, 'result'),
      JSON.stringify(out, null, 1) + '\n',
    );
  },
};

export default compare;
