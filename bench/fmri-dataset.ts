/**
 * End to end: every dis run of a 39-subject ds000212-shaped dataset (234
 * runs of 64×64×30×166) through mask → atlas-prepare (once: one shared
 * grid, as for MNI-space fMRIPrep data) → project → sample → dataset, by
 * the real CLI (`neuromake run -j 2 --json`) in a temporary workspace.
 * Target (issue #4): under 5 minutes on a 2-core machine.
 *
 *   node dist/bench/fmri-dataset.js [--subjects N] [--distinct K] [--jobs J]
 *
 * SYNTHETIC DATA. synth.bold takes seconds per run, so K distinct runs
 * (default 4, one subject's geometry so that they share a grid) are
 * generated once and copied to all the BIDS paths. Each copy gets its own
 * gzip header mtime, so that every file (and every job's cache key) differs
 * while the data inside are those of one of the K runs. Events and sidecars
 * are the real per-subject files.
 */
import {spawn} from 'node:child_process';
import {mkdir, readFile, rm, writeFile, copyFile} from 'node:fs/promises';
import {availableParallelism, loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import {runStandalone} from '../src/tasks/fmri/standalone.js';
import synthAtlas from '../src/tasks/synth/atlas.js';
import synthBold from '../src/tasks/synth/bold.js';
import {exists, isMain, repoFile} from './fmri-common.js';
import {pipelineYaml} from './fmri-dataset-helpers.js';
import {childrenCpuMs} from './peers.js';

const TARGET_SECONDS = 300;
const RUNS = ['01', '02', '03', '04', '05', '06'];

/** Per-step totals from the CLI's job-done events. */
interface StepTotal {
  jobs: number;
  seconds: number;
}

/** Runs the benchmark; returns its figures. */
export async function main(
  argv: string[] = process.argv.slice(2),
): Promise<Record<string, number>> {
  const {values} = parseArgs({
    args: argv,
    options: {
      subjects: {type: 'string', default: '39'},
      distinct: {type: 'string', default: '4'},
      jobs: {type: 'string', default: '2'},
    },
    strict: false,
  });
  const nSubjects = Number(values.subjects);
  const distinct = Math.max(1, Number(values.distinct));
  const jobs = Number(values.jobs);
  const cpus = Math.min(jobs, availableParallelism());
  const root = join(tmpdir(), 'neuromake-bench-dataset');
  const source = join(root, 'source');
  const ws = join(root, 'ws');
  const subjects = (await participants()).slice(0, nSubjects);
  const runs = await generate(source, distinct);
  const copies = await layout(ws, subjects, runs);
  await writeFile(
    join(ws, 'pipeline.yaml'),
    pipelineYaml(subjects, RUNS, join(source, 'atlas.nii.gz')),
  );
  // A fresh engine state each time, so that every job runs.
  await rm(join(ws, '.neuromake'), {recursive: true, force: true});
  await rm(join(ws, 'out'), {recursive: true, force: true});
  console.log(
    `fmri-dataset: ${copies} runs (${subjects.length} subjects × ${RUNS.length}); SYNTHETIC: ${distinct} distinct generated runs copied to every path (gzip mtime differs per copy); neuromake run -j ${jobs}`,
  );
  const load = loadavg()[0]!;
  const cpu0 = (childrenCpuMs() ?? 0) / 1000;
  const started = performance.now();
  const {events, code} = await cli(ws, ['run', '-j', String(jobs), '--json']);
  const wall = (performance.now() - started) / 1000;
  const cpu = (childrenCpuMs() ?? 0) / 1000 - cpu0;
  if (code !== 0) throw new Error(`neuromake run exited ${code}`);
  const steps = stepTotals(events);
  const out: Record<string, number> = {
    runs: copies,
    wall_seconds: wall,
    target_seconds: TARGET_SECONDS,
    ratio_vs_target: TARGET_SECONDS / wall,
    // CPU seconds of the CLI and its workers, and that spread over the
    // cores: the wall time on an otherwise idle machine, near enough.
    cpu_seconds: cpu,
    cpu_seconds_per_core: cpu / cpus,
    load_average_before: load,
    load_average_after: loadavg()[0]!,
  };
  for (const [step, t] of Object.entries(steps)) {
    out[`${step}_jobs`] = t.jobs;
    out[`${step}_seconds`] = t.seconds;
  }
  const ran = events.filter(
    (e) => e['type'] === 'job-done' && e['outcome'] === 'ran',
  ).length;
  out['jobs_ran'] = ran;
  console.log(
    `fmri-dataset: wall ${wall.toFixed(1)} s vs target ${TARGET_SECONDS} s (${wall <= TARGET_SECONDS ? 'met' : 'MISSED'}); CPU ${cpu.toFixed(1)} s = ${(cpu / cpus).toFixed(1)} s per core; load average ${load.toFixed(1)} before; job seconds by step: ${Object.entries(
      steps,
    )
      .map(([s, t]) => `${s} ${t.seconds.toFixed(1)} s / ${t.jobs} jobs`)
      .join(', ')}`,
  );
  console.log(`fmri-dataset: ${JSON.stringify(out)}`);
  return out;
}

/** Subject labels (without `sub-`) from the real participants.tsv. */
async function participants(): Promise<string[]> {
  const text = await readFile(
    repoFile('data/ds000212/participants.tsv'),
    'utf8',
  );
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0]!.replace(/^sub-/, ''));
}

/** Generates (once) `k` distinct runs on one grid, and the atlas. */
async function generate(dir: string, k: number): Promise<Buffer[]> {
  await mkdir(dir, {recursive: true});
  const runs: Buffer[] = [];
  for (let r = 1; r <= k; r++) {
    const file = join(dir, `run-${r}_bold.nii.gz`);
    if (!(await exists(file))) {
      const real = repoFile(
        `data/ds000212/sub-04/func/sub-04_task-dis_run-0${((r - 1) % 6) + 1}_`,
      );
      await runStandalone(
        synthBold,
        {events: `${real}events.tsv`, sidecar: `${real}bold.json`},
        {
          bold: file,
          events: join(dir, `run-${r}_events.tsv`),
          sidecar: join(dir, `run-${r}_bold.json`),
        },
        // One subject's geometry, so every copy lies on the same grid.
        {subject: 'sub-04', run: String(r), gzip_level: 6},
      );
    }
    runs.push(await readFile(file));
  }
  const atlas = join(dir, 'atlas.nii.gz');
  if (!(await exists(atlas))) {
    await runStandalone(
      synthAtlas,
      {},
      {atlas, labels: join(dir, 'atlas.json')},
      {voxel_size: 3},
    );
  }
  return runs;
}

/**
 * Writes the BIDS tree: a copy of one generated run per (subject, run),
 * with the real events and sidecar; returns the number of runs.
 */
async function layout(
  ws: string,
  subjects: readonly string[],
  runs: readonly Buffer[],
): Promise<number> {
  let index = 0;
  for (const s of subjects) {
    const func = join(ws, 'bids', `sub-${s}`, 'func');
    await mkdir(func, {recursive: true});
    for (const r of RUNS) {
      const stem = join(func, `sub-${s}_task-dis_run-${r}_`);
      const real = repoFile(
        `data/ds000212/sub-${s}/func/sub-${s}_task-dis_run-${r}_`,
      );
      const bold = Buffer.from(runs[index % runs.length]!);
      // gzip MTIME (bytes 4–7): distinct files, identical contents.
      bold.writeUInt32LE(1_600_000_000 + index, 4);
      index++;
      if (!(await sameBytes(`${stem}bold.nii.gz`, bold))) {
        await writeFile(`${stem}bold.nii.gz`, bold);
      }
      await copyFile(`${real}events.tsv`, `${stem}events.tsv`);
      await copyFile(`${real}bold.json`, `${stem}bold.json`);
    }
  }
  await copyFile(
    repoFile('data/ds000212/stimuli/scenarios.csv'),
    join(ws, 'bids', 'scenarios.csv'),
  );
  return index;
}

async function sameBytes(file: string, bytes: Buffer): Promise<boolean> {
  try {
    return (await readFile(file)).equals(bytes);
  } catch {
    return false;
  }
}

/** Runs the CLI in `cwd`; returns its JSON events and exit code. */
function cli(
  cwd: string,
  args: string[],
): Promise<{events: Record<string, unknown>[]; code: number}> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [repoFile('bin/neuromake.js'), ...args],
      {cwd, stdio: ['ignore', 'pipe', 'inherit']},
    );
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const events: Record<string, unknown>[] = [];
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not an event line.
        }
      }
      resolve({events, code: code ?? 1});
    });
  });
}

/** Job seconds and counts by step (the job id up to its first `[`). */
function stepTotals(
  events: readonly Record<string, unknown>[],
): Record<string, StepTotal> {
  const totals: Record<string, StepTotal> = {};
  for (const e of events) {
    if (e['type'] !== 'job-done' || e['outcome'] !== 'ran') continue;
    const step = String(e['job']).split('[')[0]!;
    const t = (totals[step] ??= {jobs: 0, seconds: 0});
    t.jobs++;
    t.seconds += Number(e['ms']) / 1000;
  }
  return totals;
}

if (isMain(import.meta.url)) await main();
