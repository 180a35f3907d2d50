import {writeFile} from 'node:fs/promises';

import {outputPath, stringParam, type TaskDefinition} from '../task.js';

/** Writes a param's text to a file: the smallest useful built-in task. */
const writeText: TaskDefinition = {
  name: 'files.write',
  description: 'Write the `text` param to the output file.',
  inputs: {},
  outputs: {out: {description: 'The file written.'}},
  params: {
    text: {type: 'string', description: 'What to write.'},
  },
  async run(context) {
    await writeFile(outputPath(context, 'out'), stringParam(context, 'text'));
  },
};

export default writeText;
