import {isMain} from './fmri-common.js';
import {main as mask} from './fmri-mask.js';
import {main as project} from './fmri-project.js';
import {main as read} from './fmri-read.js';

/** Runs the fMRI benchmarks in turn; returns their figures by name. */
export async function main(): Promise<Record<string, Record<string, number>>> {
  return {read: await read(), mask: await mask(), project: await project()};
}

if (isMain(import.meta.url)) await main();
