import {unreachable} from '../util/unreachable.js';
import type {JobStatus} from './plan-status.js';
import {describeReason} from './stale-reason.js';

/** The one word `status`, `why` and the report use for a job's state. */
export type StateWord = 'fresh' | 'cached' | 'stale' | 'blocked';

/** fresh, cached (restorable from the store), stale or blocked. */
export function stateWord(status: JobStatus): StateWord {
  const v = status.verdict;
  switch (v.kind) {
    case 'fresh':
      return 'fresh';
    case 'restore':
      return 'cached';
    case 'run':
    case 'waiting':
      return 'stale';
    case 'input-missing':
      return 'blocked';
    default:
      return unreachable(v);
  }
}

/** Every reason a job would run or be restored, one English line each. */
export function reasonLines(status: JobStatus): string[] {
  const v = status.verdict;
  switch (v.kind) {
    case 'fresh':
      return [];
    case 'restore':
      return [
        ...v.reasons.map(describeReason),
        'its outputs for this key are in the store: it will be restored, not rerun',
      ];
    case 'run':
    case 'waiting':
      return v.reasons.map(describeReason);
    case 'input-missing':
      return [`input ${v.path} is missing and nothing produces it`];
    default:
      return unreachable(v);
  }
}
