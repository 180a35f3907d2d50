import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';

import {parseEvents} from '../../src/io/bids-events.js';
import {readTable} from '../../src/io/delimited.js';
import {
  DEFAULT_SAMPLING,
  planSamples,
  type SamplingMethod,
} from '../../src/fmri/tr-sampling.js';
import {writeNpy} from '../../src/io/npy.js';
import sample from '../../src/tasks/fmri/sample.js';
import {runStandalone} from '../../src/tasks/fmri/standalone.js';
import {dataFile, withTempDir} from '../io/helpers.js';

const EVENTS = dataFile(
  'ds000212/sub-04/func/sub-04_task-dis_run-01_events.tsv',
);

async function plan(
  method: SamplingMethod,
  frames = 166,
  studyIndices = false,
) {
  const events = parseEvents(await readTable(EVENTS), EVENTS);
  return planSamples(events, frames, {
    ...DEFAULT_SAMPLING,
    method,
    tr: 2,
    studyIndices,
  });
}

// ds000212 onsets 12, 44, …, 300 s; 22 s trials; TR 2 s; lag 6 s.
// Window of onset o: volumes o/2 … o/2 + 10.

void test('AVG averages the 11 volumes of the window (o/2 … o/2 + 10)', async () => {
  const p = await plan('AVG');
  assert.equal(p.samples.length, 10);
  assert.deepEqual(
    p.samples[0]!.volumes,
    [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  );
  assert.deepEqual(
    p.samples[9]!.volumes,
    [150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160],
  );
});

void test('LAST takes the volume at onset + 22 − 6 = o/2 + 8', async () => {
  const p = await plan('LAST');
  assert.deepEqual(
    p.samples.map((s) => s.volumes[0]),
    [14, 30, 46, 62, 78, 94, 110, 126, 142, 158],
  );
});

void test('MIDDLE takes window index 5: o/2 + 5', async () => {
  const p = await plan('MIDDLE');
  assert.deepEqual(
    p.samples.map((s) => s.volumes[0]),
    [11, 27, 43, 59, 75, 91, 107, 123, 139, 155],
  );
});

void test('SENTENCES: cumulative sentence ends 6, 10, 14, 18 s plus the lag → o/2 + 6, 8, 10, 12', async () => {
  const p = await plan('SENTENCES');
  assert.equal(p.samples.length, 40);
  assert.deepEqual(
    p.samples.slice(0, 4).map((s) => [s.sentence, s.volumes[0]]),
    [
      [1, 12],
      [2, 14],
      [3, 16],
      [4, 18],
    ],
  );
  assert.deepEqual(
    p.samples.slice(36).map((s) => s.volumes[0]),
    [156, 158, 160, 162],
  );
});

void test("SENTENCES with study_indices reproduces the study's offsets 3, 2, 2, −3", async () => {
  const p = await plan('SENTENCES', 166, true);
  assert.deepEqual(
    p.samples.slice(0, 4).map((s) => s.volumes[0]),
    [9, 8, 8, 14],
  );
});

void test('events whose window runs past the end of the run are skipped and counted', async () => {
  // 158 volumes end at 316 s: the last trial (300–322 s) is cut short.
  const p = await plan('AVG', 158);
  assert.deepEqual(p.skipped, [9]);
  assert.equal(p.samples.length, 9);
  const s = await plan('SENTENCES', 162);
  assert.deepEqual(s.skipped, [9]);
});

/**
 * Runs fmri.sample at TR 2 s on the sub-04 events and a series of `frames`
 * × 4 parcels holding `data` (ones by default), in a temporary directory.
 */
async function sampleSeries(
  frames: number,
  data = new Float32Array(frames * 4).fill(1),
): Promise<unknown> {
  return withTempDir(async (dir) => {
    const series = join(dir, 'series.npy');
    await writeNpy(series, data, [frames, 4]);
    return runStandalone(
      sample,
      {series, events: EVENTS},
      {samples: join(dir, 's.npy'), metadata: join(dir, 's.jsonl')},
      {tr: 2},
    );
  });
}

void test('fmri.sample refuses a run none of whose events fit, naming the files and the TR', async () => {
  // 10 volumes at TR 2 s end at 20 s: the first trial ends later.
  await assert.rejects(
    sampleSeries(10),
    /every one of the 10 events in .*events\.tsv \(the first at \d+ s\) has its window past the end of .*series\.npy: 10 volumes at TR 2 s cover 20 s; check the TR \(param "tr"\)/,
  );
});

void test('fmri.sample refuses a series with a NaN, naming the frame and parcel', async () => {
  const data = new Float32Array(166 * 4).fill(1);
  data[7 * 4 + 2] = Number.NaN;
  await assert.rejects(
    sampleSeries(166, data),
    /series\.npy: data: NaN or infinite value at frame 7, parcel 2/,
  );
});
