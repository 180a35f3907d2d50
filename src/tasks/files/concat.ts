import {readFileSync, writeFileSync} from 'node:fs';

import {
  listInput,
  outputPath,
  stringParam,
  type TaskDefinition,
} from '../task.js';

/**
 * Concatenates its input files, in order, into one output. The files are
 * read and written synchronously: a task has its worker thread to itself,
 * and for the small files this is mostly used for (TSV parts, lists) each
 * asynchronous call's round trip through libuv's thread pool cost more
 * than the I/O, three times the whole task's time.
 */
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
  run(context) {
    const files = listInput(context, 'files');
    const separator = stringParam(context, 'separator');
    const header = stringParam(context, 'header');
    const chunks: Buffer[] = header === '' ? [] : [Buffer.from(header)];
    for (const [i, file] of files.entries()) {
      if (i > 0 && separator !== '') chunks.push(Buffer.from(separator));
      chunks.push(readFileSync(file));
      context.progress(i + 1, files.length);
    }
    writeFileSync(outputPath(context, 'out'), Buffer.concat(chunks));
    return Promise.resolve();
  },
};

export default concat;
