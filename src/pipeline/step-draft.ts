import type {SourceLocation} from './diagnostic.js';
import type {OwnWildcard} from './parse-for-each.js';
import type {
  ExecutorName,
  ForEachSpec,
  InputSpec,
  Located,
  ParamValue,
  Resources,
  ShellAction,
  StepSpec,
  TaskAction,
} from './spec.js';

/**
 * A step while it is being validated: like {@link StepSpec}, but the action
 * may be missing (after a diagnostic), and it remembers where keys are
 * written so later passes can point at a name rather than its value.
 */
export interface StepDraft {
  readonly id: string;
  readonly location: SourceLocation;
  description: string | undefined;
  action: TaskAction | ShellAction | undefined;
  forEach: ForEachSpec | undefined;
  /** Wildcards bound by the step's own glob and matrix. */
  ownWildcards: readonly OwnWildcard[];
  /** False when `for_each` was invalid, so its bindings are unknown. */
  forEachValid: boolean;
  readonly inputs: Map<string, InputSpec>;
  readonly outputs: Map<string, Located<string>>;
  readonly params: Map<string, Located<ParamValue>>;
  resources: Resources;
  retries: number;
  env: string[];
  executor: ExecutorName | undefined;
  /** Step keys that an unknown key is a likely typo of (`ouptuts:`). */
  readonly misspelt: ReadonlySet<string>;
  /** Where each step key (`inputs`, `task`, …) is written. */
  readonly keys: Map<string, SourceLocation>;
  /** Where each input, output and param name is written. */
  readonly names: {
    readonly inputs: Map<string, SourceLocation>;
    readonly outputs: Map<string, SourceLocation>;
    readonly params: Map<string, SourceLocation>;
  };
}

/** The finished spec; undefined while the draft still lacks an action. */
export function finishStep(draft: StepDraft): StepSpec | undefined {
  if (draft.action === undefined) return undefined;
  return {
    id: draft.id,
    location: draft.location,
    description: draft.description,
    action: draft.action,
    forEach: draft.forEach,
    inputs: draft.inputs,
    outputs: draft.outputs,
    params: draft.params,
    resources: draft.resources,
    retries: draft.retries,
    env: draft.env,
    executor: draft.executor,
  };
}
