import {hash} from 'node:crypto';

import type {ParamValue} from '../pipeline/spec.js';
import {canonicalJson} from '../util/canonical-json.js';
import type {Sha256Hex} from '../util/hash.js';

/**
 * Everything a job's result depends on, as a printable record. Two jobs
 * with equal records produce equal outputs, so the record's hash is the
 * cache key; `why` compares records field by field to explain a rerun.
 */
export interface KeyRecord {
  readonly neuromake: string;
  readonly action:
    | {readonly kind: 'task'; readonly name: string; readonly version: string}
    | {
        readonly kind: 'shell';
        readonly command: string;
        /** Scripts the command names: path → content hash. */
        readonly scripts: Readonly<Record<string, string>>;
      };
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Global params the step reads, by name. */
  readonly globals: Readonly<Record<string, ParamValue>>;
  /** Input name → [path, content hash] pairs, in declared order. */
  readonly inputs: Readonly<
    Record<string, readonly (readonly [string, string])[]>
  >;
  /** Output name → path: moving an output is a different job. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Allowlisted environment variables (null: unset). */
  readonly env: Readonly<Record<string, string | null>>;
}

/** A key record with its hash. */
export interface JobKey {
  readonly record: KeyRecord;
  readonly text: string;
  readonly hash: Sha256Hex;
}

/**
 * Hashes a record into a key. The text is exactly `canonicalJson(record)`,
 * but built from parts: the parts that come from the engine (inputs,
 * outputs, env, the action) have known shapes whose keys are sorted here,
 * so the native JSON.stringify can write them; only user-written values
 * (params) need the general canonical form. A no-op rerun of 10,000 jobs
 * builds 10,000 keys, so this is on the hot path.
 */
export function makeKey(record: KeyRecord): JobKey {
  const text =
    `{"action":${actionJson(record.action)}` +
    `,"env":${sortedJson(record.env)}` +
    `,"globals":${canonicalJson(record.globals)}` +
    `,"inputs":${sortedJson(record.inputs)}` +
    `,"neuromake":${JSON.stringify(record.neuromake)}` +
    `,"outputs":${sortedJson(record.outputs)}` +
    `,"params":${canonicalJson(record.params)}}`;
  // The one-shot hash (the digest util/hash.ts's sha256 gives) creates no
  // Hash object per key.
  return {record, text, hash: hash('sha256', text) as Sha256Hex};
}

function actionJson(action: KeyRecord['action']): string {
  return action.kind === 'task'
    ? `{"kind":"task","name":${JSON.stringify(action.name)},"version":${JSON.stringify(action.version)}}`
    : `{"command":${JSON.stringify(action.command)},"kind":"shell","scripts":${sortedJson(action.scripts)}}`;
}

/** JSON of a flat record whose values hold no objects, keys sorted. */
function sortedJson(record: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(record);
  if (keys.length === 0) return '{}';
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let text = '';
  for (const key of keys) {
    text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${JSON.stringify(record[key])}`;
  }
  return `${text}}`;
}
