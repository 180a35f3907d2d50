import assert from 'node:assert/strict';
import {copyFileSync, existsSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {after, before, describe, test} from 'node:test';

import {show, WorkspaceRig} from '../rig/workspace-rig.js';
import {
  HOSTILE_CELL,
  HOSTILE_ID,
  HOSTILE_PARAM,
  reportWorkspace,
} from './report-workspace.js';

const CHROMIUM = '/usr/bin/chromium';
/** A copy of the screenshot for people to look at (see docs/report.md). */
const SHOWCASE = '/tmp/report.png';

void describe('neuromake report', () => {
  let rig: WorkspaceRig;
  let page = '';

  before(async () => {
    rig = WorkspaceRig.create();
    await reportWorkspace(rig);
    // Two runs, so the last one both runs and restores: the first makes
    // the mask, which is then deleted and so comes back from the store.
    let r = await rig.run('run', 'mask');
    assert.equal(r.code, 0, show(r));
    rig.remove('out/mask.nii.gz');
    r = await rig.run('run', '-j', '2');
    assert.equal(r.code, 0, show(r));
    r = await rig.run('report', '-o', rig.path('out/report.html'));
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /wrote .*report\.html/);
    page = rig.read('out/report.html');
  });
  after(() => rig.cleanup());

  void test('the page holds every section, escaped, with nothing external', () => {
    for (const id of [
      'dag',
      'timeline',
      'durations',
      'jobs',
      'tables',
      'plots',
      'slices',
    ]) {
      assert.match(page, new RegExp(`<section id="${id}"`), id);
    }
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /<img src=x/);
    assert.doesNotMatch(page, /(src|href)="(https?:)?\/\//);
    assert.ok(page.includes('&lt;img src=x onerror=window.__pwned=1&gt;'));
    assert.match(page, /Timeline of run #2/);
    assert.match(page, /class="bar restored"/);
    assert.match(page, /class="bar ran"/);
    assert.match(page, /data:image\/png;base64,/);
    assert.match(page, /data:image\/svg\+xml;base64,/);
    // synth.atlas marks its output; the hand-made BOLD's mask is not.
    assert.match(page, /id="synthetic-banner"/);
  });

  void test(
    'chromium loads it offline, shows everything, runs no injected code',
    {
      skip: existsSync(CHROMIUM)
        ? false
        : `${CHROMIUM} is missing (apt-get install chromium); CI installs it`,
    },
    async () => {
      const {chromium} = await import('playwright-core');
      const profile = mkdtempSync(join(tmpdir(), 'nm-chromium-'));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: {width: 1280, height: 900},
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const tab = await browser.newPage();
        const problems: string[] = [];
        tab.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning')
            problems.push(m.text());
        });
        tab.on('pageerror', (e) => problems.push(e.message));
        const requests: string[] = [];
        tab.on('request', (r) => {
          if (!/^(file|data):/.test(r.url())) requests.push(r.url());
        });
        await tab.goto(pathToFileURL(rig.path('out/report.html')).href);
        await tab.waitForLoadState('load');
        assert.deepEqual(problems, [], 'no console errors');
        assert.deepEqual(requests, [], 'no network requests');
        assert.equal(
          await tab.evaluate(() => (globalThis as {__pwned?: unknown}).__pwned),
          undefined,
        );

        assert.equal(await tab.locator('#dag svg.dag .node').count(), 7);
        assert.ok((await tab.locator('#timeline .bar').count()) >= 7);
        assert.equal(await tab.locator('#durations tbody tr').count(), 6);
        // The hostile strings are there, as text.
        const jobs = await tab.locator('#jobs').innerText();
        assert.ok(jobs.includes(`part[name=${HOSTILE_ID}]`), jobs);
        const params = await tab.locator('#jobs details').allTextContents();
        assert.ok(params.some((p) => p.includes(HOSTILE_PARAM)));
        const tables = tab.locator('#tables table');
        assert.equal(await tables.count(), 2);
        assert.equal(
          await tables
            .nth(0)
            .locator('tbody tr')
            .nth(1)
            .locator('td')
            .nth(1)
            .innerText(),
          HOSTILE_CELL,
        );
        assert.equal(
          await tables.nth(1).locator('td').nth(3).innerText(),
          'a, b',
        );
        // Plots and slices are images that really decoded.
        for (const selector of ['#plots img', '#slices img']) {
          const images = tab.locator(selector);
          assert.ok((await images.count()) >= 1, selector);
          for (const img of await images.all()) {
            const width = await img.evaluate(
              (e) => (e as unknown as {naturalWidth: number}).naturalWidth,
            );
            assert.ok(width > 0, `${selector} decoded`);
          }
        }
        assert.equal(await tab.locator('#slices img').count(), 2);
        assert.equal(
          await tab.evaluate(() => (globalThis as {__pwned?: unknown}).__pwned),
          undefined,
        );

        const shot = rig.path('report.png');
        await tab.screenshot({path: shot, fullPage: true});
        copyFileSync(shot, SHOWCASE);
      } finally {
        await browser.close();
      }
    },
  );
});
