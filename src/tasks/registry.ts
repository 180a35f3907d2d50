import concat from './files/concat.js';
import writeText from './files/write-text.js';
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
    definition: concat,
    moduleUrl: new URL('./files/concat.js', import.meta.url),
  },
  {
    definition: writeText,
    moduleUrl: new URL('./files/write-text.js', import.meta.url),
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
