/** How one fMRI vector is taken per event (or per sentence). */
export type SamplingMethod = 'AVG' | 'LAST' | 'MIDDLE' | 'SENTENCES';

export const SAMPLING_METHODS: readonly SamplingMethod[] = [
  'AVG',
  'LAST',
  'MIDDLE',
  'SENTENCES',
];

/** The timing parameters of sampling. */
export interface SamplingOptions {
  readonly method: SamplingMethod;
  /** Seconds per volume. */
  readonly tr: number;
  /** Haemodynamic lag in seconds (default 6). */
  readonly lag: number;
  /** Sentence durations within an event, seconds (ds000212: 6, 4, 4, 4). */
  readonly sentenceDurations: readonly number[];
  /** Reproduce the study's SENTENCES offsets (3, 2, 2, -3 in the window). */
  readonly studyIndices: boolean;
}

export const DEFAULT_SAMPLING: Omit<SamplingOptions, 'method' | 'tr'> = {
  lag: 6,
  sentenceDurations: [6, 4, 4, 4],
  studyIndices: false,
};

/** One sample: the volumes averaged (one for all but AVG). */
export interface SampleIndex {
  /** Row of the event in events.tsv (0-based). */
  readonly event: number;
  /** 1-based sentence number for SENTENCES. */
  readonly sentence?: number;
  readonly volumes: readonly number[];
}

/** Samples taken and events skipped because they ran past the run's end. */
export interface SamplingPlan {
  readonly samples: SampleIndex[];
  readonly skipped: number[];
}

/** Rounding guard so that 32/2 is 16, not 15.999… */
const EPS = 1e-6;

/** The volume whose acquisition interval [i·TR, (i+1)·TR) holds time t. */
function volumeAt(t: number, tr: number): number {
  return Math.floor(t / tr + EPS);
}

/** Volumes acquired within [start, end): ceil(start/TR) … ceil(end/TR) − 1. */
function volumesIn(start: number, end: number, tr: number): number[] {
  const first = Math.ceil(start / tr - EPS);
  const last = Math.ceil(end / tr - EPS) - 1;
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(i);
  return out;
}

/**
 * Which volumes each event (or sentence) takes. With onset o, duration d,
 * lag L (ds000212: o = 12, 44, …; d = 22; TR 2; L 6):
 * - AVG: the mean over the event window, volumes o/TR … (o+d)/TR − 1
 *   (11 volumes; no lag shift, as in the study).
 * - LAST: the volume at o + d − L, the lag before the event's end (o + 16).
 * - MIDDLE: the middle volume of the window, index ⌊n/2⌋ of n (o + 10).
 * - SENTENCES: one per sentence end, cumulative (o + 6, 10, 14, 18) plus
 *   the lag: o + 12, 16, 20, 24. With `studyIndices`, the study's window
 *   offsets 3, 2, 2 and −3 instead (not accumulated).
 * An event any of whose volumes falls outside 0 … frames − 1 is skipped.
 */
export function planSamples(
  events: readonly {onset: number; duration: number}[],
  frames: number,
  o: SamplingOptions,
): SamplingPlan {
  if (!(o.tr > 0)) throw new Error(`TR must be positive, got ${o.tr}`);
  const samples: SampleIndex[] = [];
  const skipped: number[] = [];
  for (const [event, e] of events.entries()) {
    const window = volumesIn(e.onset, e.onset + e.duration, o.tr);
    let picks: {sentence?: number; volumes: number[]}[];
    switch (o.method) {
      case 'AVG':
        picks = [{volumes: window}];
        break;
      case 'LAST':
        picks = [{volumes: [volumeAt(e.onset + e.duration - o.lag, o.tr)]}];
        break;
      case 'MIDDLE':
        picks = [
          {
            volumes:
              window.length === 0
                ? []
                : [window[Math.floor(window.length / 2)]!],
          },
        ];
        break;
      case 'SENTENCES':
        picks = o.studyIndices
          ? studySentences(window)
          : sentenceEnds(e.onset, o);
        break;
    }
    const ok = picks.every(
      (p) =>
        p.volumes.length > 0 && p.volumes.every((v) => v >= 0 && v < frames),
    );
    if (!ok) {
      skipped.push(event);
      continue;
    }
    for (const p of picks) samples.push({event, ...p});
  }
  return {samples, skipped};
}

function sentenceEnds(
  onset: number,
  o: SamplingOptions,
): {sentence: number; volumes: number[]}[] {
  let end = onset;
  return o.sentenceDurations.map((d, i) => {
    end += d;
    return {sentence: i + 1, volumes: [volumeAt(end + o.lag, o.tr)]};
  });
}

/** The study's code: window[3], window[2], window[2], window[-3]. */
function studySentences(
  window: number[],
): {sentence: number; volumes: number[]}[] {
  const at = (i: number) => window[i < 0 ? window.length + i : i];
  return [3, 2, 2, -3].map((i, s) => {
    const v = at(i);
    return {sentence: s + 1, volumes: v === undefined ? [] : [v]};
  });
}

/** Averages the rows `volumes` of a [T, K] series into `out`. */
export function averageRows(
  series: ArrayLike<number>,
  k: number,
  volumes: readonly number[],
  out: Float32Array,
  offset: number,
): void {
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (const v of volumes) s += series[v * k + c]!;
    out[offset + c] = s / volumes.length;
  }
}
