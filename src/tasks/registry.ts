import brainCompare from './brain/compare.js';
import brainScore from './brain/score.js';
import concat from './files/concat.js';
import writeText from './files/write-text.js';
import fmriAtlasPrepare from './fmri/atlas-prepare.js';
import fmriDataset from './fmri/dataset.js';
import fmriImportPyd from './fmri/import-pyd.js';
import fmriMask from './fmri/mask.js';
import fmriProject from './fmri/project.js';
import fmriSample from './fmri/sample.js';
import modelBuildEncoder from './model/build-encoder.js';
import modelEncode from './model/encode.js';
import modelHeads from './model/heads.js';
import resultsTables from './results/tables.js';
import synthAtlas from './synth/atlas.js';
import synthBold from './synth/bold.js';
import type {TaskDefinition} from './task.js';

/** A registered built-in task and the compiled module that implements it. */
export interface RegisteredTask {
  readonly definition: TaskDefinition;
  /** The module file; its code (and its local imports) version the task. */
  readonly moduleUrl: URL;
}

/**
 * Every built-in task. Adding a task means importing its module here and
 * listing it with its own URL, so that the cache key can hash its code.
 */
const TASKS: readonly RegisteredTask[] = [
  {
    definition: brainScore,
    moduleUrl: new URL('./brain/score.js', import.meta.url),
  },
  {
    definition: brainCompare,
    moduleUrl: new URL('./brain/compare.js', import.meta.url),
  },
  {
    definition: concat,
    moduleUrl: new URL('./files/concat.js', import.meta.url),
  },
  {
    definition: writeText,
    moduleUrl: new URL('./files/write-text.js', import.meta.url),
  },
  {definition: fmriMask, moduleUrl: new URL('./fmri/mask.js', import.meta.url)},
  {
    definition: fmriAtlasPrepare,
    moduleUrl: new URL('./fmri/atlas-prepare.js', import.meta.url),
  },
  {
    definition: fmriProject,
    moduleUrl: new URL('./fmri/project.js', import.meta.url),
  },
  {
    definition: fmriImportPyd,
    moduleUrl: new URL('./fmri/import-pyd.js', import.meta.url),
  },
  {
    definition: fmriSample,
    moduleUrl: new URL('./fmri/sample.js', import.meta.url),
  },
  {
    definition: fmriDataset,
    moduleUrl: new URL('./fmri/dataset.js', import.meta.url),
  },
  {
    definition: synthBold,
    moduleUrl: new URL('./synth/bold.js', import.meta.url),
  },
  {
    definition: synthAtlas,
    moduleUrl: new URL('./synth/atlas.js', import.meta.url),
  },
  {
    definition: modelBuildEncoder,
    moduleUrl: new URL('./model/build-encoder.js', import.meta.url),
  },
  {
    definition: modelEncode,
    moduleUrl: new URL('./model/encode.js', import.meta.url),
  },
  {
    definition: modelHeads,
    moduleUrl: new URL('./model/heads.js', import.meta.url),
  },
  {
    definition: resultsTables,
    moduleUrl: new URL('./results/tables.js', import.meta.url),
  },
];

const BY_NAME = new Map(TASKS.map((t) => [t.definition.name, t]));

/** Looks a task up by its pipeline name. */
export function findTask(name: string): RegisteredTask | undefined {
  return BY_NAME.get(name);
}

/** All task names, for "did you mean" hints and `neuromake tasks`. */
export function taskNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
