import assert from 'node:assert/strict';
import {test} from 'node:test';

import {parseEvents} from '../../src/io/bids-events.js';
import {parseCsv, parseTsv, readTable} from '../../src/io/delimited.js';
import {dataFile} from './helpers.js';

void test('TSV: header row, tab fields, blank lines ignored', () => {
  const t = parseTsv('onset\tduration\n12\t22\n\n44\t22\n', 'x.tsv');
  assert.deepEqual(t.columns, ['onset', 'duration']);
  assert.deepEqual(t.rows, [
    {onset: '12', duration: '22'},
    {onset: '44', duration: '22'},
  ]);
});

void test('CSV: quoted fields with commas, doubled quotes and newlines', () => {
  const t = parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n1,2', 'x.csv');
  assert.deepEqual(t.rows, [
    {a: 'x, y', b: 'say "hi"\nthere'},
    {a: '1', b: '2'},
  ]);
});

void test('a row with the wrong number of fields names the file and line', () => {
  assert.throws(
    () => parseTsv('a\tb\n1\n', 'bad.tsv'),
    /bad\.tsv: line 2: has 1 fields/,
  );
});

void test("the real scenarios.csv holds 60 items and ds000212's events parse", async () => {
  const scenarios = await readTable(dataFile('ds000212/stimuli/scenarios.csv'));
  assert.equal(scenarios.rows.length, 60);
  assert.deepEqual(scenarios.columns, [
    'item',
    'type',
    'background',
    'action',
    'outcome',
    'accidental',
    'intentional',
  ]);
  const file = dataFile(
    'ds000212/sub-04/func/sub-04_task-dis_run-01_events.tsv',
  );
  const events = parseEvents(await readTable(file), file);
  assert.deepEqual(
    events.map((e) => e.onset),
    [12, 44, 76, 108, 140, 172, 204, 236, 268, 300],
  );
  assert.equal(events[0]!.condition, 'H_II');
  assert.equal(events[0]!.key, 3);
});
