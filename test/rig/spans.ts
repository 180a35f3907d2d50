/**
 * Reading the spans files that `span.sh` writes (one `start` and one `end`
 * line per job, with nanosecond times and what the job was given), to
 * check how jobs overlapped in time.
 */
import assert from 'node:assert/strict';

import type {WorkspaceRig} from './workspace-rig.js';

/** When one job ran, and the devices and cpus it was given. */
export interface Span {
  readonly job: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly gpus: string;
  readonly cpus: string;
}

/** Pairs the start and end lines of a spans file by job. */
export function spans(text: string): Span[] {
  const open = new Map<string, {start: bigint; gpus: string; cpus: string}>();
  const out: Span[] = [];
  for (const line of text.split('\n')) {
    const [kind, time, job, ...rest] = line.split(' ');
    if (kind === undefined || time === undefined || job === undefined) continue;
    const fields = new Map(
      rest.map((f) => [
        f.slice(0, f.indexOf('=')),
        f.slice(f.indexOf('=') + 1),
      ]),
    );
    if (kind === 'start') {
      open.set(job, {
        start: BigInt(time),
        gpus: fields.get('gpus') ?? '?',
        cpus: fields.get('cpus') ?? '?',
      });
    } else {
      const started = open.get(job);
      assert.ok(started !== undefined, `end before start: ${line}`);
      out.push({job, ...started, end: BigInt(time)});
    }
  }
  return out;
}

/** Whether two spans share an instant (touching ends do not). */
export function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Asserts that jobs whose ids start with `prefix` ran, and that none of
 * them overlapped another job.
 */
export function assertAlone(all: readonly Span[], prefix: string): void {
  const chosen = all.filter((s) => s.job.startsWith(prefix));
  assert.ok(chosen.length > 0, `no ${prefix} job ran`);
  for (const alone of chosen) {
    const others = all.filter((s) => s !== alone && overlaps(s, alone));
    assert.deepEqual(
      others.map((s) => s.job),
      [],
      `${alone.job} had company`,
    );
  }
}

/** The maximum number of overlapping [start, end] spans in a spans file. */
export function maxOverlap(text: string): number {
  const points: {t: bigint; delta: number}[] = [];
  for (const line of text.split('\n')) {
    const [kind, time] = line.split(' ');
    if (time === undefined) continue;
    points.push({t: BigInt(time), delta: kind === 'start' ? 1 : -1});
  }
  // Ends sort before starts at the same instant: touching is not overlap.
  points.sort((a, b) => (a.t === b.t ? a.delta - b.delta : a.t < b.t ? -1 : 1));
  let now = 0;
  let max = 0;
  for (const p of points) {
    now += p.delta;
    max = Math.max(max, now);
  }
  return max;
}

/**
 * Asserts that a rig's `spans` jobs ran `runs` times in all (when given)
 * and that at most, and at some point exactly, `atOnce` overlapped; returns
 * the spans file's text.
 */
export function assertSpans(
  rig: WorkspaceRig,
  atOnce: number,
  runs?: number,
): string {
  const text = rig.countsFile('spans.spans');
  if (runs !== undefined) assert.equal(rig.count('spans'), runs, text);
  assert.equal(maxOverlap(text), atOnce, text);
  return text;
}
