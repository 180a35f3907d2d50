import {createWriteStream} from 'node:fs';
import {writeFile} from 'node:fs/promises';
import {once} from 'node:events';

import {float32ArrayJson} from '../../fmri/float-text.js';
import {subjectOf} from '../../brain/held-out.js';
import {splitSubjects} from '../../fmri/subject-split.js';
import {FormatError} from '../../io/format-error.js';
import {readJsonl} from '../../io/jsonl.js';
import {readNpy} from '../../io/npy.js';
import {
  listInput,
  outputPath,
  stringParam,
  type TaskDefinition,
  TaskInputError,
} from '../task.js';

const SPLITS = ['train', 'validation', 'test'] as const;

/** Gathers every run's samples into Hugging Face-loadable JSONL splits. */
const dataset: TaskDefinition = {
  name: 'fmri.dataset',
  description:
    'Gather the samples of all subjects and runs into JSONL rows (text, fmri, rating, subject, split, …) split by subject (no subject in two splits), readable by datasets.load_dataset("json", …).',
  inputs: {
    samples: {
      description: 'The .npy [N, K] of each run (fmri.sample).',
      list: true,
    },
    metadata: {
      description: 'The matching JSONL of each run, same order.',
      list: true,
    },
  },
  outputs: {
    train: {description: 'train.jsonl'},
    validation: {description: 'validation.jsonl'},
    test: {description: 'test.jsonl'},
    summary: {description: 'JSON: subjects per split, row counts.'},
  },
  params: {
    fractions: {
      type: 'object',
      description: 'Fraction of subjects per split.',
      default: {train: 0.8, validation: 0.1, test: 0.1},
    },
    seed: {
      type: 'string',
      description: 'Seed of the subject shuffle.',
      default: '212',
    },
  },
  async run(context) {
    const samples = listInput(context, 'samples');
    const metadata = listInput(context, 'metadata');
    if (samples.length !== metadata.length) {
      throw new TaskInputError(
        `${samples.length} samples files but ${metadata.length} metadata files`,
      );
    }
    const fractions = (context.params['fractions'] ?? {
      train: 0.8,
      validation: 0.1,
      test: 0.1,
    }) as Record<string, number>;
    for (const name of Object.keys(fractions)) {
      if (!(SPLITS as readonly string[]).includes(name)) {
        throw new TaskInputError(
          `param "fractions": unknown split "${name}" (train, validation, test)`,
        );
      }
    }
    const seed = stringParam(context, 'seed', '212');
    const metas = await Promise.all(metadata.map((m) => readJsonl(m)));
    // Each row's subject, by the rule every reader of these rows follows.
    const subjectsOf = metas.map((rows, i) =>
      rows.map((row, r) => {
        const subject = subjectOf(row);
        if (subject === undefined) {
          throw new FormatError(
            metadata[i]!,
            `line ${r + 1}`,
            'has no "subject" field (fmri.sample writes one per row)',
          );
        }
        return subject;
      }),
    );
    const assignment = splitSubjects(subjectsOf.flat(), fractions, seed);
    const streams = Object.fromEntries(
      SPLITS.map((s) => [s, createWriteStream(outputPath(context, s))]),
    );
    const counts: Record<string, number> = {train: 0, validation: 0, test: 0};
    for (const [i, file] of samples.entries()) {
      const {shape, data} = await readNpy(file);
      const rows = metas[i]!;
      const [n = 0, k = 0] = shape;
      if (n !== rows.length) {
        throw new FormatError(
          file,
          'shape',
          `has ${n} rows but ${metadata[i]!} has ${rows.length}`,
        );
      }
      for (const [r, meta] of rows.entries()) {
        const split = assignment.get(subjectsOf[i]![r]!) ?? 'train';
        // Build the line by hand so the vector is written in float32's
        // shortest form rather than float64 digits.
        const {key, ...rest} = meta;
        const head = JSON.stringify({
          text: meta['text'] ?? null,
          rating: key ?? null,
          ...rest,
          split,
        });
        const line = `${head.slice(0, -1)},"fmri":${float32ArrayJson(data, r * k, k)}}\n`;
        const stream = streams[split]!;
        if (!stream.write(line)) await once(stream, 'drain');
        counts[split]!++;
      }
      context.progress(i + 1, samples.length);
    }
    await Promise.all(
      Object.values(streams).map(
        (s) =>
          new Promise<void>((resolve, reject) =>
            s.end((e?: Error | null) => (e ? reject(e) : resolve())),
          ),
      ),
    );
    const bySplit: Record<string, string[]> = {
      train: [],
      validation: [],
      test: [],
    };
    for (const [subject, split] of assignment) bySplit[split]!.push(subject);
    await writeFile(
      outputPath(context, 'summary'),
      JSON.stringify(
        {rows: counts, subjects: bySplit, seed, fractions},
        null,
        2,
      ) + '\n',
    );
  },
};

export default dataset;
