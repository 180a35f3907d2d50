import type {ParamValue} from '../pipeline/spec.js';
import {canonicalJson} from '../util/canonical-json.js';
import {sha256, type Sha256Hex} from '../util/hash.js';

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

/** Hashes a record into a key. */
export function makeKey(record: KeyRecord): JobKey {
  const text = canonicalJson(record);
  return {record, text, hash: sha256(text)};
}
