import {execFile} from 'node:child_process';
import {access, mkdir} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

import {runStandalone} from '../src/tasks/fmri/standalone.js';
import synthAtlas from '../src/tasks/synth/atlas.js';
import synthBold from '../src/tasks/synth/bold.js';

const run = promisify(execFile);

/** The Debian python with nibabel, numpy and scipy. */
export const PYTHON = '/usr/bin/python3';

/** Full-size benchmark inputs, generated once into the temp dir. */
export interface BenchData {
  readonly dir: string;
  readonly bold: string;
  readonly sidecar: string;
  readonly events: string;
  readonly atlas: string;
}

/** A repository file's absolute path (from dist/bench/…). */
export function repoFile(rel: string): string {
  return fileURLToPath(new URL(`../../${rel}`, import.meta.url));
}

/** Whether a path exists. */
export async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/**
 * One ds000212-sized run (64×64×30×166 int16, gzip level 6 like the real
 * files) and a 1024-map synthetic atlas on a 3 mm grid.
 */
export async function benchData(): Promise<BenchData> {
  const dir = join(tmpdir(), 'neuromake-bench-fmri');
  await mkdir(dir, {recursive: true});
  const func = repoFile('data/ds000212/sub-04/func/sub-04_task-dis_run-01_');
  const d: BenchData = {
    dir,
    bold: join(dir, 'sub-04_task-dis_run-01_bold.nii.gz'),
    sidecar: join(dir, 'sub-04_task-dis_run-01_bold.json'),
    events: join(dir, 'sub-04_task-dis_run-01_events.tsv'),
    atlas: join(dir, 'atlas-1024-3mm.nii.gz'),
  };
  if (!(await exists(d.bold))) {
    await runStandalone(
      synthBold,
      {events: `${func}events.tsv`, sidecar: `${func}bold.json`},
      {bold: d.bold, events: d.events, sidecar: d.sidecar},
      {gzip_level: 6},
    );
  }
  if (!(await exists(d.atlas))) {
    await runStandalone(
      synthAtlas,
      {},
      {atlas: d.atlas, labels: join(dir, 'atlas.json')},
      {voxel_size: 3},
    );
  }
  return d;
}

/** Runs a peer script under bench/peers with the Debian python; parses its JSON line. */
export async function peer(
  script: string,
  args: string[],
): Promise<Record<string, unknown>> {
  const {stdout} = await run(
    PYTHON,
    [repoFile(`bench/peers/${script}`), ...args],
    {maxBuffer: 64 << 20},
  );
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

/** Best wall time of `repeat` runs of `body`, seconds. */
export async function best(
  repeat: number,
  body: () => Promise<unknown>,
): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await body();
    t = Math.min(t, (performance.now() - start) / 1000);
  }
  return t;
}

/** Whether /usr/bin/python3 has the peers' libraries. */
export async function peersAvailable(): Promise<boolean> {
  return run(PYTHON, ['-c', 'import nibabel, numpy, scipy']).then(
    () => true,
    () => false,
  );
}

/** Whether this module is the script node was started with. */
export function isMain(url: string): boolean {
  return (
    process.argv[1] !== undefined && fileURLToPath(url) === process.argv[1]
  );
}
