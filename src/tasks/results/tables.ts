import {writeFile} from 'node:fs/promises';

import {SCORES as BRAIN_METRICS, SIGN_FLIP_PARAMS} from '../brain/params.js';
import {
  listInput,
  numberParam,
  outputPath,
  stringParam,
  TaskInputError,
  type TaskDefinition,
} from '../task.js';

/**
 * Aggregates a sweep into the study's three tables. Each gathered file
 * says which model, order, seed and sampling it belongs to (the job's
 * wildcards are not visible to tasks); the tables group by those fields.
 */
const tables: TaskDefinition = {
  name: 'results.tables',
  description:
    "The study's tables as Markdown and CSV from many model.heads metrics JSONs and brain.score reports: ETHICS accuracy mean ± sd and max per model × order (hard test, test), the same per model × sampling, brain score mean ± sd per model × fine-tuning with a sign-flip permutation test against no fine-tuning.",
  inputs: {
    metrics: {
      description: 'model.heads metrics JSONs (a gather over the sweep).',
      list: true,
    },
    brain_scores: {
      description:
        'brain.score reports; a report whose model has no finetune_order counts as fine-tuning none.',
      list: true,
      optional: true,
    },
    baseline_scores: {
      description:
        'brain.score reports of the models without fine-tuning (always counted as none).',
      list: true,
      optional: true,
    },
  },
  outputs: {
    markdown: {description: 'All three tables, Markdown.'},
    ethics_by_order: {description: 'Table 1, CSV.'},
    ethics_by_sampling: {description: 'Table 2, CSV.'},
    brain_by_finetune: {description: 'Table 3, CSV.'},
    json: {
      description: 'Every cell with its numbers (for the report).',
      optional: true,
    },
  },
  params: {
    brain_metric: {
      type: 'string',
      description: "The brain score used: the study's or the Brain-Score one.",
      default: 'study',
      enum: [...BRAIN_METRICS],
    },
    brain_layer: {
      type: 'string',
      description:
        "Layer name whose score is compared; '' = the summary (median over layers).",
      default: '',
    },
    ...SIGN_FLIP_PARAMS,
    alpha: {
      type: 'number',
      description: 'Significance level of the * mark.',
      default: 0.05,
      minimum: 0,
      maximum: 1,
    },
    title: {
      type: 'string',
      description: 'Heading of the Markdown file.',
      default: 'Fine-tuning results',
    },
  },
  async run(context) {
    const {buildTables} = await import('../../results/build-tables.js');
    const metrics = listInput(context, 'metrics');
    if (metrics.length === 0) {
      throw new TaskInputError('input "metrics" lists no files');
    }
    const result = await buildTables({
      metrics,
      brainScores: listInput(context, 'brain_scores'),
      baselineScores: listInput(context, 'baseline_scores'),
      brain: {
        metric: stringParam(context, 'brain_metric', 'study', BRAIN_METRICS),
        layer: stringParam(context, 'brain_layer', ''),
      },
      permutations: numberParam(context, 'permutations', 10000),
      seed: stringParam(context, 'seed', '212'),
      alpha: numberParam(context, 'alpha', 0.05),
      title: stringParam(context, 'title', 'Fine-tuning results'),
    });
    for (const w of result.warnings) context.warn(w);
    await writeFile(outputPath(context, 'markdown'), result.markdown);
    await writeFile(outputPath(context, 'ethics_by_order'), result.csv.order);
    await writeFile(
      outputPath(context, 'ethics_by_sampling'),
      result.csv.sampling,
    );
    await writeFile(outputPath(context, 'brain_by_finetune'), result.csv.brain);
    if (context.outputs['json'] !== undefined) {
      await writeFile(
        outputPath(context, 'json'),
        JSON.stringify(result.json, null, 1) + '\n',
      );
    }
    context.log(
      `${metrics.length} runs, ${result.brainReports} brain score reports`,
    );
  },
};

export default tables;
