import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {describe, test} from 'node:test';

import {TaskPool} from '../../src/execution/task-pool.js';

/** The real events and sidecar of one ds000212 run, from data/. */
const FUNC = resolve('data/ds000212/sub-03/func');
const EVENTS = join(FUNC, 'sub-03_task-dis_run-01_events.tsv');
const SIDECAR = join(FUNC, 'sub-03_task-dis_run-01_bold.json');

const quiet = {progress: () => {}, log: () => {}, warn: () => {}};

/** A synth.bold request; by default big enough to run for 6 s here. */
function slowRequest(
  dir: string,
  name: string,
  dims: readonly number[] = [96, 96, 60],
) {
  return {
    task: 'synth.bold',
    jobId: `bold[${name}]`,
    resources: {cpus: 1, gpus: []},
    inputs: {events: EVENTS, sidecar: SIDECAR},
    outputs: {
      bold: join(dir, `${name}_bold.nii.gz`),
      events: join(dir, `${name}_events.tsv`),
      sidecar: join(dir, `${name}_bold.json`),
    },
    params: {volumes: 166, dims},
  };
}

/** A files.write request: a quick task. */
function writeRequest(dir: string, name: string) {
  return {
    task: 'files.write',
    jobId: `write[${name}]`,
    resources: {cpus: 1, gpus: []},
    inputs: {},
    outputs: {out: join(dir, `${name}.txt`)},
    params: {text: `${name}\n`},
  };
}

void describe('the task pool', () => {
  void test('an abort stops every running task of its signal, and only those', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'neuromake-pool-'));
    const pool = new TaskPool(3);
    t.after(async () => {
      await pool.close();
      rmSync(dir, {recursive: true, force: true});
    });
    const run = new AbortController();
    const other = new AbortController();
    const aborted = [
      pool.run(slowRequest(dir, 'a'), quiet, run.signal),
      pool.run(slowRequest(dir, 'b'), quiet, run.signal),
    ];
    // Still running when the abort comes (about 1 s of work).
    const spared = pool.run(
      slowRequest(dir, 'spared', [48, 48, 30]),
      quiet,
      other.signal,
    );
    await new Promise((r) => setTimeout(r, 300));
    run.abort();

    for (const result of await Promise.all(aborted)) {
      assert.deepEqual(result, {reason: 'interrupted'});
    }
    assert.equal(await spared, undefined, 'a task of another signal failed');

    // The pool still runs tasks after an abort.
    const again = await pool.run(
      writeRequest(dir, 'again'),
      quiet,
      other.signal,
    );
    assert.equal(again, undefined);
    assert.equal(readFileSync(join(dir, 'again.txt'), 'utf8'), 'again\n');
  });

  void test('a task whose signal aborted before it was sent never runs', async (t) => {
    const pool = new TaskPool(1);
    t.after(() => pool.close());
    const run = new AbortController();
    run.abort();
    const dir = mkdtempSync(join(tmpdir(), 'neuromake-pool-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const result = await pool.run(slowRequest(dir, 'never'), quiet, run.signal);
    assert.deepEqual(result, {reason: 'interrupted'});
  });

  void test('sixteen tasks in flight on one signal raise no listener warning', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'neuromake-pool-'));
    const pool = new TaskPool(16);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    t.after(async () => {
      process.off('warning', onWarning);
      await pool.close();
      rmSync(dir, {recursive: true, force: true});
    });
    const run = new AbortController();

    const results = await Promise.all(
      Array.from({length: 16}, (_, i) =>
        pool.run(writeRequest(dir, `w${i}`), quiet, run.signal),
      ),
    );
    // Note: Node emits process warnings on the next tick.
    await new Promise((r) => setImmediate(r));

    assert.deepEqual(results, Array(16).fill(undefined));
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
      'a MaxListenersExceededWarning means listeners pile up per task',
    );
  });
});
