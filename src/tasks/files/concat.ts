import {readFile, writeFile} from 'node:fs/promises';

import {
  listInput,
  outputPath,
  stringParam,
  type TaskDefinition,
} from '../task.js';

/** Concatenates its input files, in order, into one output. */
const concat: TaskDefinition = {
  name: 'files.concat',
  description: 'Concatenate the input files, in order, into one file.',
  inputs: {files: {description: 'Files to concatenate.', list: true}},
  outputs: {out: {description: 'The concatenation.'}},
  params: {
    separator: {
      type: 'string',
      description: 'Text written between two files.',
      default: '',
    },
    header: {
      type: 'string',
      description: 'Text written before the first file (e.g. a TSV header).',
      default: '',
    },
  },
  async run(context) {
    const files = listInput(context, 'files');
    const separator = stringParam(context, 'separator');
    const header = stringParam(context, 'header');
    const chunks: Buffer[] = header === '' ? [] : [Buffer.from(header)];
    for (const [i, file] of files.entries()) {
      if (i > 0 && separator !== '') chunks.push(Buffer.from(separator));
      chunks.push(await readFile(file));
      context.progress(i + 1, files.length);
    }
    await writeFile(outputPath(context, 'out'), Buffer.concat(chunks));
  },
};

export default concat;
