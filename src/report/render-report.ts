import type {Artifacts} from './collect-artifacts.js';
import {dagSvg} from './dag-svg.js';
import {html, raw, type Html} from './html.js';
import type {JobState} from './job-states.js';
import {REPORT_CSS} from './report-style.js';
import {plotSection, slicesSection, tablesSection} from './render-results.js';
import type {RunHistory} from './run-history.js';
import {formatMs, timelineSvg} from './timeline-svg.js';

/** Everything the report shows, gathered by `buildReport`. */
export interface ReportData {
  /** The pipeline file, as the user named it. */
  readonly pipeline: string;
  readonly generatedAt: string;
  readonly version: string;
  /** Every job, in topological order, with its state now. */
  readonly jobs: readonly JobState[];
  readonly history: RunHistory;
  readonly artifacts: Artifacts;
}

/**
 * No network and no script: the policy blocks every fetch, and every
 * script (injected or not), so the page is inert even if a string escaped
 * escaping. Images are data: URLs; styles are inline.
 */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** Renders the report as one self-contained HTML document. */
export function renderReport(data: ReportData): string {
  const a = data.artifacts;
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="${CSP}" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>neuromake report: ${data.pipeline}</title>
        <style>
          ${raw(REPORT_CSS)}
        </style>
      </head>
      <body>
        <header>
          <h1>neuromake report</h1>
          <p>
            <span class="mono">${data.pipeline}</span> · generated
            ${data.generatedAt} · neuromake ${data.version}
          </p>
        </header>
        <main>
          ${banners(a)} ${summarySection(data)} ${dagSection(data.jobs)}
          ${timelineSection(data.history)} ${durationSection(data)}
          ${jobsSection(data)} ${tablesSection(a.tables)}
          ${plotSection('brain-scores', 'Brain score by layer', a.brainPlots, 'No brain.score step in this pipeline.')}
          ${plotSection('curves', 'Learning curves', a.curves, 'No model.heads step in this pipeline.')}
          ${a.otherPlots.length > 0 ? plotSection('plots', 'Other plots', a.otherPlots, '') : ''}
          ${slicesSection(a.mask, a.atlas)}
        </main>
      </body>
    </html> `;
  return page.text;
}

function banners(a: Artifacts): Html {
  return html`${
    a.syntheticSteps.length > 0
      ? html`<div class="banner" id="synthetic-banner">
          <strong>SYNTHETIC DATA.</strong> Steps ${list(a.syntheticSteps)}
          generate their data (synth.* tasks); everything downstream of them is
          marked <span class="badge">SYNTHETIC</span> and is not a finding about
          real brains.
        </div>`
      : ''
  }${
    a.untrainedSteps.length > 0
      ? html`<div class="banner" id="untrained-banner">
          <strong>UNTRAINED MODEL.</strong> Steps ${list(a.untrainedSteps)}
          build an encoder with random weights: its brain scores are a baseline,
          not a language model's.
        </div>`
      : ''
  }`;
}

function summarySection(data: ReportData): Html {
  const count = (w: string): number =>
    data.jobs.filter((j) => j.state === w).length;
  const h = data.history;
  const t = h.timeline;
  const ran = t.filter((e) => e.outcome === 'ran').length;
  const restored = t.filter((e) => e.outcome === 'restored').length;
  const failed = t.filter((e) => e.outcome === 'failed').length;
  const touched = new Set(t.map((e) => e.job));
  const untouched = data.jobs.filter((j) => !touched.has(j.id));
  // Note: a job the run never reached after a failure is stale now, not
  // work avoided; only the untouched jobs that are fresh were.
  const skipped = untouched.filter((j) => j.state === 'fresh').length;
  const notReached = untouched.length - skipped;
  const worked = ran + restored + failed;
  const hit = worked === 0 ? undefined : restored / worked;
  const run = h.last;
  const avoided =
    data.jobs.length === 0 || run === undefined
      ? undefined
      : (restored + skipped) / data.jobs.length;
  return html`<section id="summary">
    <h2>Summary</h2>
    <div class="stats">
      <div class="stat"><b>${data.jobs.length}</b>jobs</div>
      <div class="stat">
        <b class="state fresh">${count('fresh')}</b>fresh now
      </div>
      <div class="stat">
        <b class="state cached">${count('cached')}</b>restorable
      </div>
      <div class="stat"><b class="state stale">${count('stale')}</b>stale</div>
      <div class="stat">
        <b class="state blocked">${count('blocked')}</b>blocked
      </div>
      <div class="stat" id="hit-rate">
        <b>${hit === undefined ? '–' : percent(hit)}</b>cache hit rate, last run
      </div>
      <div class="stat">
        <b>${avoided === undefined ? '–' : percent(avoided)}</b>work avoided,
        last run
      </div>
    </div>
    ${
      run === undefined
        ? html`<p class="note">
            No run has been recorded in this workspace yet: run
            <code>neuromake run</code>, then make the report again.
          </p>`
        : html`<p>
              Last run that did work:
              <b>#${run.id}</b> (<code>${run.command}</code>,
              ${run.status ?? 'unfinished'}), started
              ${run.startedAt}${run.endedAt === null ? '' : html`, ended ${run.endedAt}`}${h.laterIdleRuns > 0 ? html`; ${h.laterIdleRuns} later run(s) had nothing to do` : ''}.
              It ran ${ran}, restored ${restored} from the
              store${failed > 0 ? html`, failed ${failed}` : ''}; ${skipped}
              job(s) of this pipeline were already fresh or not
              targeted${notReached > 0 ? html`, and ${notReached} were not reached (stale now)` : ''}.
            </p>
            <p class="note">
              Cache hit rate: restored ÷ (ran + restored + failed). Work
              avoided: (restored + not run) ÷ all jobs of the pipeline.
            </p>`
    }
  </section>`;
}

function dagSection(jobs: readonly JobState[]): Html {
  const {svg, perStep} = dagSvg(jobs);
  return html`<section id="dag">
    <h2>Job graph</h2>
    <p class="note">
      ${perStep ? `${jobs.length} jobs, drawn one box per step (job counts in brackets).` : `${jobs.length} jobs.`}
      Border colour: the state now (${legendStates()}). Hover a box for the full
      id.
    </p>
    ${svg}
  </section>`;
}

function timelineSection(h: RunHistory): Html {
  if (h.last === undefined || h.timeline.length === 0) {
    return html`<section id="timeline">
      <h2>Timeline</h2>
      <p class="note">No run with any work recorded yet.</p>
    </section>`;
  }
  return html`<section id="timeline">
    <h2>Timeline of run #${h.last.id}</h2>
    <p class="legend">
      <span><i style="background:var(--ran)"></i>ran</span
      ><span><i style="background:var(--restored)"></i>restored</span
      ><span><i style="background:var(--failed)"></i>failed</span> One lane per
      worker slot; restores take no slot.
    </p>
    ${timelineSvg(h.timeline)}
  </section>`;
}

function durationSection(data: ReportData): Html {
  const steps = new Map<
    string,
    {
      jobs: number;
      ran: number;
      restored: number;
      ms: number;
      longest: number;
      rebuild: number;
    }
  >();
  for (const j of data.jobs) {
    const s = steps.get(j.step) ?? {
      jobs: 0,
      ran: 0,
      restored: 0,
      ms: 0,
      longest: 0,
      rebuild: 0,
    };
    s.jobs++;
    s.rebuild += j.lastMs ?? 0;
    steps.set(j.step, s);
  }
  const stepOf = new Map(data.jobs.map((j) => [j.id, j.step]));
  for (const e of data.history.timeline) {
    const s = steps.get(stepOf.get(e.job) ?? '');
    if (s === undefined) continue;
    const ms = e.endMs - e.startMs;
    if (e.outcome === 'restored') s.restored++;
    else s.ran++;
    s.ms += ms;
    s.longest = Math.max(s.longest, ms);
  }
  const top = Math.max(1, ...[...steps.values()].map((s) => s.ms));
  const rows = [...steps].map(
    ([id, s]) =>
      html`<tr>
        <td class="mono">${id}</td>
        <td class="num">${s.jobs}</td>
        <td class="num">${s.ran}</td>
        <td class="num">${s.restored}</td>
        <td class="num">${formatMs(s.ms)}</td>
        <td class="num">${formatMs(s.longest)}</td>
        <td class="num">${formatMs(s.rebuild)}</td>
        <td class="bar-cell">
          <div
            class="hbar"
            style="width:${((s.ms / top) * 100).toFixed(1)}%"
          ></div>
        </td>
      </tr>`,
  );
  return html`<section id="durations">
    <h2>Durations per step</h2>
    <table>
      <thead>
        <tr>
          <th>step</th>
          <th>jobs</th>
          <th>ran</th>
          <th>restored</th>
          <th>time, last run</th>
          <th>longest job</th>
          <th>from scratch</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <p class="note">
      "ran", "restored" and the times are of the last run that did work (summed
      over its jobs); "from scratch" adds each job's last successful run time.
    </p>
  </section>`;
}

// Two kinds of "why": the reasons recorded when a job ran or was restored
// in the last run (the timeline keeps them), and the reasons it would run
// now, from the same evaluation `why` does.
function jobsSection(data: ReportData): Html {
  const lastRun = data.history.last?.id;
  const inRun = new Map(data.history.timeline.map((e) => [e.job, e]));
  const rows = data.jobs.map((j) => {
    const then = inRun.get(j.id);
    return html`<tr>
      <td class="mono">${j.id}</td>
      <td><span class="state ${j.state}">${j.state}</span></td>
      <td>
        ${
          then === undefined
            ? html`<span class="note">—</span>`
            : html`${then.outcome} in #${lastRun ?? '?'}
              ${
                then.reasons === undefined || then.reasons.length === 0
                  ? ''
                  : html`<ul class="reasons">
                      ${then.reasons.map((r) => html`<li>${r}</li>`)}
                    </ul>`
              }`
        }
      </td>
      <td class="num">${j.lastMs === undefined ? '—' : formatMs(j.lastMs)}</td>
      <td>
        ${
          j.reasons.length === 0
            ? html`<span class="note"
                >nothing it depends on changed since it last
                ran${j.lastRun === undefined ? '' : ` (run #${j.lastRun})`}</span
              >`
            : html`<ul class="reasons">
                ${j.reasons.map((r) => html`<li>${r}</li>`)}
              </ul>`
        }
      </td>
      <td>
        <details>
          <summary class="mono">${j.task ?? 'shell'}</summary>
          <div class="mono">${j.action}</div>
          <div class="mono">params ${j.params}</div>
        </details>
      </td>
    </tr>`;
  });
  return html`<section id="jobs">
    <h2>Jobs: state now and why they run</h2>
    <p class="note">
      The same evaluation as <code>neuromake status</code> and
      <code>neuromake why</code>: what would run now, and each reason. For a job
      that ran in the last run, "last run" says so and why it ran then.
    </p>
    <table>
      <thead>
        <tr>
          <th>job</th>
          <th>now</th>
          <th>last run</th>
          <th>took</th>
          <th>why it would run</th>
          <th>action</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

function list(items: readonly string[]): Html {
  return html`${items.map((s, i) => html`${i > 0 ? ', ' : ''}<code>${s}</code>`)}`;
}

function legendStates(): Html {
  return html`<span class="state fresh">fresh</span>,
    <span class="state cached">restorable</span>,
    <span class="state stale">stale</span>,
    <span class="state blocked">blocked</span>`;
}

function percent(f: number): string {
  return `${(f * 100).toFixed(f === 0 || f === 1 ? 0 : 1)}%`;
}
