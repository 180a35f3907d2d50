import {createRequire} from 'node:module';

import type {TaskDefinition} from './task.js';

/** A registered built-in task and the compiled module that implements it. */
export interface RegisteredTask {
  /** The task's module, loaded on first access (see `findTask`). */
  readonly definition: TaskDefinition;
  /** The module file; its code (and its local imports) version the task. */
  readonly moduleUrl: URL;
}

/**
 * Every built-in task: its pipeline name and its module, relative to this
 * file. Adding a task means listing it here; a test checks that each name
 * is the one its module's definition declares.
 */
const MODULES: readonly (readonly [name: string, module: string])[] = [
  ['brain.score', './brain/score.js'],
  ['brain.compare', './brain/compare.js'],
  ['files.concat', './files/concat.js'],
  ['files.write', './files/write-text.js'],
  ['fmri.mask', './fmri/mask.js'],
  ['fmri.atlas-prepare', './fmri/atlas-prepare.js'],
  ['fmri.project', './fmri/project.js'],
  ['fmri.import-pyd', './fmri/import-pyd.js'],
  ['fmri.sample', './fmri/sample.js'],
  ['fmri.dataset', './fmri/dataset.js'],
  ['synth.bold', './synth/bold.js'],
  ['synth.atlas', './synth/atlas.js'],
  ['model.build-encoder', './model/build-encoder.js'],
  ['model.encode', './model/encode.js'],
  ['model.heads', './model/heads.js'],
  ['results.tables', './results/tables.js'],
];

// Task modules are loaded synchronously when first used (require() of an
// ES module, which has no top-level await). Importing all of them up front
// cost a no-op rerun of a shell-only pipeline ~50 ms: most commands look
// at no task at all, and a task's code version is computed by reading its
// files (code-version.ts), not by importing them.
const require = createRequire(import.meta.url);

const BY_NAME = new Map<string, RegisteredTask>(
  MODULES.map(([name, module]) => {
    const moduleUrl = new URL(module, import.meta.url);
    let definition: TaskDefinition | undefined;
    const task: RegisteredTask = {
      get definition() {
        definition ??= (require(module) as {default: TaskDefinition}).default;
        return definition;
      },
      moduleUrl,
    };
    return [name, task];
  }),
);

/** Looks a task up by its pipeline name. */
export function findTask(name: string): RegisteredTask | undefined {
  return BY_NAME.get(name);
}

/** All task names, for "did you mean" hints and `neuromake tasks`. */
export function taskNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
