import {html, type Html} from './html.js';
import type {JobState, StateWord} from './job-states.js';

/** Above this many jobs the DAG is drawn per step, not per job. */
const JOB_DAG_LIMIT = 60;

interface DagNode {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
  readonly state: StateWord;
  readonly deps: readonly string[];
}

const NODE_W = 210;
const NODE_H = 40;
const GAP_X = 60;
const GAP_Y = 14;
const PAD = 10;

/** Worst first: a step is drawn in the state of its least fresh job. */
const SEVERITY: readonly StateWord[] = ['blocked', 'stale', 'cached', 'fresh'];

/**
 * Draws the graph as an inline SVG, left to right, each node in the column
 * of its longest path from a source. Every label goes through `html`, so
 * ids are escaped; a long id is cut with an ellipsis and kept whole in the
 * node's tooltip. Small graphs show jobs; large ones one node per step
 * (with its job count), since thousands of boxes help nobody.
 */
export function dagSvg(jobs: readonly JobState[]): {
  svg: Html;
  perStep: boolean;
} {
  const perStep = jobs.length > JOB_DAG_LIMIT;
  const nodes = perStep ? stepNodes(jobs) : jobNodes(jobs);
  const layer = new Map<string, number>();
  // `jobs` is in topological order, and so are the nodes built from it.
  for (const n of nodes) {
    let l = 0;
    for (const d of n.deps) l = Math.max(l, (layer.get(d) ?? -1) + 1);
    layer.set(n.id, l);
  }
  const columns: DagNode[][] = [];
  for (const n of nodes) (columns[layer.get(n.id)!] ??= []).push(n);
  const at = new Map<string, {x: number; y: number}>();
  for (const [c, column] of columns.entries()) {
    for (const [r, n] of column.entries()) {
      at.set(n.id, {
        x: PAD + c * (NODE_W + GAP_X),
        y: PAD + r * (NODE_H + GAP_Y),
      });
    }
  }
  const rows = Math.max(1, ...columns.map((c) => c.length));
  const width =
    PAD * 2 + Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X;
  const height = PAD * 2 + rows * (NODE_H + GAP_Y) - GAP_Y;
  const edges = nodes.flatMap((n) =>
    n.deps.map((d) => {
      const a = at.get(d);
      const b = at.get(n.id)!;
      if (a === undefined) return html``;
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x;
      const y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      return html`<path
        class="edge"
        d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2 - 4} ${y2}"
        marker-end="url(#arrow)"
      />`;
    }),
  );
  const boxes = nodes.map((n) => {
    const {x, y} = at.get(n.id)!;
    return html`<g class="node ${n.state}" data-id="${n.id}"
      ><title>${n.id}${n.detail === '' ? '' : ` — ${n.detail}`}</title
      ><rect
        x="${x}"
        y="${y}"
        width="${NODE_W}"
        height="${NODE_H}"
        rx="5"
      /><text x="${x + 8}" y="${y + 16}">${cut(n.label, 30)}</text
      ><text class="sub" x="${x + 8}" y="${y + 31}"
        >${cut(n.detail, 36)}</text
      ></g
    >`;
  });
  const svg = html`<svg
    class="dag"
    xmlns="http://www.w3.org/2000/svg"
    width="${width}"
    height="${height}"
    viewBox="0 0 ${width} ${height}"
    role="img"
    aria-label="job graph"
  >
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 8 8"
        refX="7"
        refY="4"
        markerWidth="7"
        markerHeight="7"
        orient="auto"
      >
        <path d="M0 0 L8 4 L0 8 z" fill="#8a8f98" />
      </marker>
    </defs>
    ${edges}${boxes}
  </svg>`;
  return {svg, perStep};
}

function jobNodes(jobs: readonly JobState[]): DagNode[] {
  return jobs.map((j) => ({
    id: j.id,
    label: j.id,
    detail: `${j.state} · ${j.task ?? 'shell'}`,
    state: j.state,
    deps: j.deps,
  }));
}

function stepNodes(jobs: readonly JobState[]): DagNode[] {
  const stepOf = new Map(jobs.map((j) => [j.id, j.step]));
  const steps = new Map<
    string,
    {jobs: JobState[]; deps: Set<string>; task: string | undefined}
  >();
  for (const j of jobs) {
    let s = steps.get(j.step);
    if (s === undefined) {
      s = {jobs: [], deps: new Set(), task: j.task};
      steps.set(j.step, s);
    }
    s.jobs.push(j);
    for (const d of j.deps) {
      const ds = stepOf.get(d);
      if (ds !== undefined && ds !== j.step) s.deps.add(ds);
    }
  }
  return [...steps].map(([id, s]) => {
    const counts = SEVERITY.map(
      (w) => [w, s.jobs.filter((j) => j.state === w).length] as const,
    ).filter(([, n]) => n > 0);
    return {
      id,
      label: `${id} (${s.jobs.length})`,
      detail: counts.map(([w, n]) => `${n} ${w}`).join(' · '),
      state: counts[0]?.[0] ?? 'fresh',
      deps: [...s.deps],
    };
  });
}

function cut(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
