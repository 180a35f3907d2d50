import assert from 'node:assert/strict';
import {test} from 'node:test';
import {inflateSync} from 'node:zlib';

import type {Artifacts} from '../../src/report/collect-artifacts.js';
import {escapeHtml, html} from '../../src/report/html.js';
import type {JobState} from '../../src/report/job-states.js';
import {encodePng} from '../../src/report/png-encode.js';
import {renderReport, type ReportData} from '../../src/report/render-report.js';
import {parseMarkdown} from '../../src/report/result-tables.js';
import {markdownTable} from '../../src/results/table-format.js';

const EVIL = '<script>window.__pwned=1</script>';

function job(id: string, extra: Partial<JobState> = {}): JobState {
  return {
    id,
    step: id.replace(/\[.*$/, ''),
    task: undefined,
    state: 'fresh',
    reasons: [],
    lastMs: 12,
    lastRun: 1,
    deps: [],
    action: 'sh run.sh',
    params: '{}',
    ...extra,
  };
}

const NO_ARTIFACTS: Artifacts = {
  tables: [],
  brainPlots: [],
  curves: [],
  otherPlots: [],
  mask: undefined,
  atlas: undefined,
  syntheticSteps: [],
  untrainedSteps: [],
};

function data(over: Partial<ReportData> = {}): ReportData {
  const a = job('a');
  const b = job(`b[x=${EVIL}]`, {
    deps: ['a'],
    state: 'stale',
    reasons: [`param note: "old" → "${EVIL}"`],
    params: JSON.stringify({note: EVIL}),
  });
  return {
    pipeline: 'pipeline.yaml',
    generatedAt: '2026-01-01T00:00:00Z',
    version: '0.0.0',
    jobs: [a, b],
    history: {
      runs: [],
      last: {
        id: 3,
        startedAt: 's',
        endedAt: 'e',
        command: 'run',
        status: 'ok',
      },
      timeline: [
        {
          job: 'a',
          outcome: 'ran',
          startMs: 0,
          endMs: 100,
          slot: 0,
          reasons: ['param lag: 6 → <4>'],
        },
        {job: b.id, outcome: 'restored', startMs: 100, endMs: 110, slot: 0},
      ],
      laterIdleRuns: 1,
    },
    artifacts: NO_ARTIFACTS,
    ...over,
  };
}

void test('the jobs table shows why a job ran in the last run, escaped', () => {
  const page = renderReport(data());
  assert.match(
    page,
    /ran in #3\s*<ul class="reasons">\s*<li>param lag: 6 → &lt;4&gt;<\/li>/,
  );
});

void test('work avoided: none without a run; jobs not reached after a failure are not avoided', () => {
  const avoided = (page: string) =>
    /<b>([^<]*)<\/b>work avoided/.exec(page)?.[1];
  const none = renderReport(
    data({
      history: {runs: [], last: undefined, timeline: [], laterIdleRuns: 0},
    }),
  );
  assert.equal(avoided(none), '–');

  // a failed; c was skipped because of it (stale now); d was fresh.
  const failedRun = data({
    jobs: [job('a'), job('c', {state: 'stale'}), job('d')],
    history: {
      ...data().history,
      timeline: [{job: 'a', outcome: 'failed', startMs: 0, endMs: 5, slot: 0}],
    },
  });
  const page = renderReport(failedRun);
  assert.equal(avoided(page), percentOf(1, 3));
  assert.match(
    page,
    /1\s+job\(s\) of this pipeline were already fresh or not\s+targeted, and 1 were not reached \(stale now\)/,
  );
});

/** What the report prints for n of m. */
function percentOf(n: number, m: number): string {
  return `${((100 * n) / m).toFixed(1)}%`;
}

void test('escapeHtml and the html tag escape interpolations, not markup', () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
  );
  assert.equal(
    html`<td title="${'"q"'}">${['<i>', html`<b>${'&'}</b>`, null, 3]}</td>`
      .text,
    '<td title="&quot;q&quot;">&lt;i&gt;<b>&amp;</b>3</td>',
  );
});

void test('the report has every section and no live markup from user strings', () => {
  const page = renderReport(data());
  for (const id of [
    'summary',
    'dag',
    'timeline',
    'durations',
    'jobs',
    'tables',
    'brain-scores',
    'curves',
    'slices',
  ]) {
    assert.match(page, new RegExp(`<section id="${id}"`), id);
  }
  assert.doesNotMatch(page, /<script/i);
  assert.doesNotMatch(
    page,
    /(src|href)="(https?:)?\/\//,
    'no network references',
  );
  assert.match(page, /&lt;script&gt;window.__pwned=1&lt;\/script&gt;/);
  assert.match(
    page,
    /Content-Security-Policy" content="default-src &#39;none&#39;/,
  );
  // Restored 1 of 2 jobs that did work.
  assert.match(page, /<b>50\.0%<\/b>cache hit rate/);
  assert.match(page, /1 later run\(s\) had nothing to do/);
  assert.match(page, /No results tables/);
});

void test('tables, plots and labels of synthetic and untrained outputs', () => {
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>`,
  );
  const page = renderReport(
    data({
      artifacts: {
        ...NO_ARTIFACTS,
        syntheticSteps: ['synth_bold'],
        untrainedSteps: ['build_encoder'],
        tables: [
          {
            job: 'tables',
            output: 'table',
            path: 'out/t.md',
            synthetic: true,
            blocks: parseMarkdown(
              `# Acc\n\n| a | b |\n|---|---|\n| ${EVIL} | 1 \\| 2 |\n`,
            ),
          },
        ],
        brainPlots: [
          {
            job: 'bs',
            output: 'plot',
            path: 'out/b.svg',
            synthetic: true,
            svg,
            warning: 'UNTRAINED model',
          },
        ],
      },
    }),
  );
  assert.match(page, /id="synthetic-banner"/);
  assert.match(page, /id="untrained-banner"/);
  assert.match(page, /<th>a<\/th>\s*<th>b<\/th>/);
  assert.match(
    page,
    /<td>&lt;script&gt;window.__pwned=1&lt;\/script&gt;<\/td>\s*<td>1 \| 2<\/td>/,
  );
  // The SVG goes in as an image, never as markup.
  assert.ok(
    page.includes(`src="data:image/svg+xml;base64,${svg.toString('base64')}"`),
  );
  assert.doesNotMatch(page, /<script/i);
  assert.match(page, /UNTRAINED model/);
  assert.match(page, /SYNTHETIC<\/span>/);
});

void test('parseMarkdown keeps headings, paragraphs and pipe tables as text', () => {
  assert.deepEqual(
    parseMarkdown(
      '# T\nsome *text*\nmore\n\n|x|y|\n|:--|--:|\n|1|2|\n|3|4|\nafter',
    ),
    [
      {kind: 'heading', text: 'T'},
      {kind: 'text', text: 'some *text* more'},
      {
        kind: 'table',
        columns: ['x', 'y'],
        rows: [
          ['1', '2'],
          ['3', '4'],
        ],
      },
      {kind: 'text', text: 'after'},
    ],
  );
});

void test('parseMarkdown reads back the cells markdownTable escaped', () => {
  const cells = ['bert <x> & co', 'a|b', 'c\\d', '"q" \'s\''];
  const [block] = parseMarkdown(
    markdownTable({columns: ['m', 'n', 'o', 'p'], rows: [cells]}),
  );
  assert.deepEqual(block, {
    kind: 'table',
    columns: ['m', 'n', 'o', 'p'],
    rows: [cells],
  });
});

void test('encodePng writes a valid PNG: signature, IHDR, filtered scanlines', () => {
  const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
  const png = encodePng(2, 2, rgb);
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  );
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.equal(png.readUInt32BE(16), 2);
  const idatLength = png.readUInt32BE(33);
  assert.equal(png.toString('latin1', 37, 41), 'IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLength));
  assert.deepEqual([...raw], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
  assert.throws(() => encodePng(3, 2, rgb), /RGB pixels/);
});
