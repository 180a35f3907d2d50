import type {ParamValue} from '../pipeline/spec.js';
import {unreachable} from '../util/unreachable.js';

/** Why a job must run. Each variant is one thing that changed. */
export type StaleReason =
  | {readonly reason: 'never-ran'}
  | {readonly reason: 'forced'}
  | {
      readonly reason: 'engine-changed';
      readonly old: string;
      readonly new: string;
    }
  | {
      readonly reason: 'code-changed';
      readonly task: string;
      readonly old: string;
      readonly new: string;
    }
  | {
      readonly reason: 'action-changed';
      readonly old: string;
      readonly new: string;
    }
  | {
      readonly reason: 'command-changed';
      readonly old: string;
      readonly new: string;
    }
  | {
      readonly reason: 'script-changed';
      readonly path: string;
      readonly old: string | undefined;
      readonly new: string | undefined;
    }
  | {
      readonly reason: 'param-changed';
      readonly name: string;
      readonly old: ParamValue | undefined;
      readonly new: ParamValue | undefined;
    }
  | {
      readonly reason: 'global-param-changed';
      readonly name: string;
      readonly old: ParamValue | undefined;
      readonly new: ParamValue | undefined;
    }
  | {
      readonly reason: 'input-changed';
      readonly name: string;
      readonly path: string;
      readonly old: string;
      readonly new: string;
    }
  | {
      readonly reason: 'input-list-changed';
      readonly name: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
    }
  /** Same files, in another order or with repeats: a gather's order counts. */
  | {
      readonly reason: 'input-order-changed';
      readonly name: string;
      readonly old: readonly string[];
      readonly new: readonly string[];
    }
  /**
   * The key differs in a part no other reason names. Never expected: it
   * keeps a changed key from ever passing for fresh.
   */
  | {readonly reason: 'key-changed'; readonly old: string; readonly new: string}
  | {
      readonly reason: 'output-moved';
      readonly name: string;
      readonly old: string | undefined;
      readonly new: string | undefined;
    }
  | {
      readonly reason: 'env-changed';
      readonly name: string;
      readonly old: string | null | undefined;
      readonly new: string | null | undefined;
    }
  | {readonly reason: 'output-missing'; readonly path: string}
  | {
      readonly reason: 'output-modified';
      readonly path: string;
      readonly expected: string;
      readonly actual: string;
    }
  | {readonly reason: 'upstream-stale'; readonly job: string};

/** One line of English per reason, as `why` prints it. */
export function describeReason(r: StaleReason): string {
  switch (r.reason) {
    case 'never-ran':
      return 'it has never run successfully';
    case 'forced':
      return 'forced with --force';
    case 'engine-changed':
      return `neuromake changed (${r.old} → ${r.new})`;
    case 'code-changed':
      return `code of task ${r.task} changed (${short(r.old)} → ${short(r.new)})`;
    case 'action-changed':
      return `the step changed from ${r.old} to ${r.new}`;
    case 'command-changed':
      return `command changed:\n      was: ${hang(r.old)}\n      now: ${hang(r.new)}`;
    case 'script-changed':
      return `script ${r.path} changed (${short(r.old)} → ${short(r.new)})`;
    case 'param-changed':
      return `param ${r.name}: ${show(r.old)} → ${show(r.new)}`;
    case 'global-param-changed':
      return `global param ${r.name}: ${show(r.old)} → ${show(r.new)}`;
    case 'input-changed':
      return `input ${r.name} changed: ${r.path} (${short(r.old)} → ${short(r.new)})`;
    case 'input-list-changed':
      return `input ${r.name} lists other files (${[
        ...r.added.map((p) => `+${p}`),
        ...r.removed.map((p) => `-${p}`),
      ].join(', ')})`;
    case 'input-order-changed':
      return `input ${r.name} lists its files in another order (${r.old.join(' ')} → ${r.new.join(' ')})`;
    case 'key-changed':
      return `its cache key changed (${short(r.old)} → ${short(r.new)})`;
    case 'output-moved':
      return `output ${r.name} moved: ${r.old ?? '(none)'} → ${r.new ?? '(none)'}`;
    case 'env-changed':
      return `environment ${r.name}: ${showEnv(r.old)} → ${showEnv(r.new)}`;
    case 'output-missing':
      return `output ${r.path} is missing`;
    case 'output-modified':
      return `output ${r.path} was modified outside neuromake (${short(r.expected)} → ${short(r.actual)})`;
    case 'upstream-stale':
      return `upstream ${r.job} will run first`;
    default:
      return unreachable(r);
  }
}

function short(hash: string | undefined): string {
  return hash === undefined ? '(none)' : hash.slice(0, 12);
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

/** An environment value; keys record an unset variable as null. */
function showEnv(value: unknown): string {
  return value === null ? '(unset)' : show(value);
}

/**
 * A multi-line command under `was: ` or `now: `: its later lines indented
 * to line up with its first, so the two commands stay apart.
 */
function hang(command: string): string {
  return command.trimEnd().replaceAll('\n', `\n${' '.repeat(11)}`);
}
