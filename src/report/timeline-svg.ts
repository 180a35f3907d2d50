import type {TimelineEntry} from '../cache/state-store.js';
import {html, type Html} from './html.js';

const WIDTH = 960;
const LABEL_W = 90;
const ROW_H = 22;
const AXIS_H = 24;

/** A lane of the timeline: a worker slot, or the restores. */
interface Lane {
  readonly label: string;
  /** Sub-rows, so that overlapping bars of one lane never hide each other. */
  readonly rows: TimelineEntry[][];
}

/**
 * Draws a run's timeline: one lane per worker slot for jobs that ran (or
 * failed), and one lane for restores, which take no worker (the engine
 * copies from the store; the state DB records them as slot 0). Bars in a
 * lane that overlap are stacked in sub-rows. Hovering a bar shows its job,
 * outcome and duration.
 */
export function timelineSvg(entries: readonly TimelineEntry[]): Html {
  const lanes = new Map<string, TimelineEntry[]>();
  for (const e of entries) {
    const key = e.outcome === 'restored' ? 'restores' : `slot ${e.slot}`;
    (lanes.get(key) ?? lanes.set(key, []).get(key)!).push(e);
  }
  const ordered: Lane[] = [...lanes]
    .sort(([a], [b]) => laneOrder(a) - laneOrder(b))
    .map(([label, list]) => ({label, rows: pack(list)}));
  const end = Math.max(1, ...entries.map((e) => e.endMs));
  const scale = (ms: number): number =>
    LABEL_W + (Math.max(0, ms) / end) * (WIDTH - LABEL_W - 10);
  const rowCount = ordered.reduce((n, l) => n + l.rows.length, 0);
  const height = AXIS_H + Math.max(1, rowCount) * ROW_H + 6;
  const parts: Html[] = [];
  let row = 0;
  for (const lane of ordered) {
    const top = AXIS_H + row * ROW_H;
    parts.push(
      html`<text class="lane" x="4" y="${top + 15}">${lane.label}</text
        ><line
          class="lane-sep"
          x1="0"
          x2="${WIDTH}"
          y1="${top}"
          y2="${top}"
        />`,
    );
    for (const bars of lane.rows) {
      const y = AXIS_H + row * ROW_H + 3;
      for (const e of bars) {
        const x = scale(e.startMs);
        const w = Math.max(1.5, scale(e.endMs) - x);
        const ms = e.endMs - e.startMs;
        parts.push(
          html`<g class="bar ${e.outcome}"
            ><title>
              ${e.job}: ${e.outcome}, ${formatMs(ms)} (from
              ${formatMs(e.startMs)})</title
            ><rect
              x="${x.toFixed(1)}"
              y="${y}"
              width="${w.toFixed(1)}"
              height="${ROW_H - 6}"
              rx="2"
            />${w > 60 ? html`<text x="${(x + 3).toFixed(1)}" y="${y + 12}">${fit(e.job, w)}</text>` : ''}</g
          >`,
        );
      }
      row++;
    }
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = scale(f * end);
    return html`<line
        class="tick"
        x1="${x.toFixed(1)}"
        x2="${x.toFixed(1)}"
        y1="${AXIS_H - 4}"
        y2="${height}"
      /><text
        class="tick"
        x="${x.toFixed(1)}"
        y="14"
        text-anchor="${f === 1 ? 'end' : f === 0 ? 'start' : 'middle'}"
        >${formatMs(f * end)}</text
      >`;
  });
  return html`<svg
    class="timeline"
    xmlns="http://www.w3.org/2000/svg"
    width="${WIDTH}"
    height="${height}"
    viewBox="0 0 ${WIDTH} ${height}"
    role="img"
    aria-label="timeline of the last run"
  >
    ${ticks}${parts}
  </svg>`;
}

function laneOrder(label: string): number {
  return label === 'restores'
    ? Number.MAX_SAFE_INTEGER
    : Number(label.slice(5));
}

/** Greedy interval packing: each bar goes in the first row it fits. */
function pack(list: readonly TimelineEntry[]): TimelineEntry[][] {
  const rows: TimelineEntry[][] = [];
  const ends: number[] = [];
  for (const e of [...list].sort((a, b) => a.startMs - b.startMs)) {
    let r = ends.findIndex((end) => end <= e.startMs + 0.01);
    if (r < 0) {
      r = rows.length;
      rows.push([]);
      ends.push(0);
    }
    rows[r]!.push(e);
    ends[r] = e.endMs;
  }
  return rows;
}

/** A duration the way people read one: 840 ms, 3.2 s, 4 min 10 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** As much of a label as fits in `width` px at about 6.5 px a character. */
function fit(text: string, width: number): string {
  const n = Math.floor((width - 6) / 6.5);
  return text.length <= n ? text : `${text.slice(0, Math.max(1, n - 1))}…`;
}
