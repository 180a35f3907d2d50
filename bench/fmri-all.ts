import {isMain} from './fmri-common.js';
import {main as dataset} from './fmri-dataset.js';
import {main as mask} from './fmri-mask.js';
import {main as project} from './fmri-project.js';
import {main as read} from './fmri-read.js';

/**
 * Runs the fMRI benchmarks in turn; returns their figures by name. The
 * end-to-end dataset run (234 runs through the CLI, ~2–3 minutes plus 5.5
 * GB of copies in the temp dir the first time) comes last; `--no-dataset`
 * leaves it out.
 */
export async function main(
  argv: string[] = process.argv.slice(2),
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {
    read: await read(),
    mask: await mask(),
    project: await project(),
  };
  if (!argv.includes('--no-dataset')) out['dataset'] = await dataset([]);
  return out;
}

if (isMain(import.meta.url)) await main();
