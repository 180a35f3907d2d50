import type {Job} from './job.js';

/** The formats `neuromake dag` writes. */
export type DagFormat = 'dot' | 'mermaid' | 'json';

/**
 * Renders jobs and their dependency edges for Graphviz, Mermaid or tools;
 * `oneLine` JSON (for `--json`, where stdout is one JSON value per line).
 */
export function formatDag(
  jobs: readonly Job[],
  format: DagFormat,
  oneLine = false,
): string {
  const included = new Set(jobs);
  const edges = jobs.flatMap((job) =>
    job.deps.filter((d) => included.has(d)).map((dep) => [dep, job] as const),
  );
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        {
          jobs: jobs.map((j) => ({
            id: j.id,
            step: j.step.id,
            bindings: Object.fromEntries(j.bindings),
            inputs: Object.fromEntries(
              [...j.inputs].map(([n, i]) => [n, i.paths]),
            ),
            outputs: Object.fromEntries(j.outputs),
            deps: j.deps.map((d) => d.id),
          })),
        },
        null,
        oneLine ? undefined : 2,
      )}\n`;
    case 'dot': {
      const lines = [
        'digraph neuromake {',
        '  rankdir=LR;',
        '  node [shape=box];',
      ];
      for (const job of jobs) lines.push(`  ${JSON.stringify(job.id)};`);
      for (const [from, to] of edges) {
        lines.push(`  ${JSON.stringify(from.id)} -> ${JSON.stringify(to.id)};`);
      }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    }
    case 'mermaid': {
      // Mermaid node ids must be plain words; labels carry the real ids.
      const ids = new Map(jobs.map((j, i) => [j, `j${i}`]));
      const lines = ['flowchart LR'];
      for (const job of jobs) {
        lines.push(`  ${ids.get(job)}["${job.id.replaceAll('"', '#quot;')}"]`);
      }
      for (const [from, to] of edges) {
        lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`);
      }
      return `${lines.join('\n')}\n`;
    }
  }
}
