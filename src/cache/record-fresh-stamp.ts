import type {JobGraph} from '../graph/build-graph.js';
import type {PipelineSpec} from '../pipeline/spec.js';
import {codeFilesRead} from './code-version.js';
import {
  engineFiles,
  stampIdentity,
  writeFreshStamp,
  type FreshStamp,
  type StampedFile,
} from './fresh-stamp.js';
import type {FsProbes} from './fs-probes.js';
import type {StateStore} from './state-store.js';

/** What a finished run knows that the stamp is made of. */
export interface StampSources {
  readonly spec: PipelineSpec;
  readonly graph: JobGraph;
  readonly overrides: ReadonlyMap<string, string>;
  readonly probes: FsProbes;
  readonly store: StateStore;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Writes the no-op stamp after a run that left the whole graph up to date.
 * File stats come from the hash memo, i.e. as they were when this run
 * validated each file: a file edited later in the run then no longer
 * matches, and the next run takes the full path. Writes nothing (and says
 * so) when some file has no memo, e.g. one that kept changing while read.
 */
export function recordFreshStamp(sources: StampSources): boolean {
  const {spec, graph, store} = sources;
  const paths = new Set<string>();
  const envNames = new Set<string>();
  for (const job of graph.jobs) {
    for (const input of job.inputs.values()) {
      for (const path of input.paths) paths.add(path);
    }
    for (const path of job.outputs.values()) paths.add(path);
    for (const name of job.step.env) envNames.add(name);
  }

  // Probed files carry their own stat (a script's content is keyed).
  const probed = sources.probes.paths();
  const probes: FreshStamp['probes'][number][] = [];
  for (const [path, p] of probed) {
    probes.push([path, p.kind, p.size, p.mtimeMs, p.ino, p.ctimeMs]);
  }
  const files: StampedFile[] = [];
  const prefix = `${spec.workspace}/`;
  for (const path of paths) {
    const memo = store.file(path);
    if (memo === undefined) return false;
    // A file probed with this very stat (a glob's match) is checked by its
    // probe, which says more: listing it here too would stat it twice on
    // every no-op run. (Paths as stampHolds makes them absolute.)
    const p = probed.get(path.startsWith('/') ? path : prefix + path);
    if (
      (p?.kind === 'file' || p?.kind === 'executable') &&
      p.size === memo.size &&
      p.mtimeMs === memo.mtimeMs &&
      p.ino === memo.ino &&
      (memo.ctimeMs === undefined || p.ctimeMs === memo.ctimeMs)
    ) {
      continue;
    }
    files.push([path, memo.size, memo.mtimeMs, memo.ino, memo.ctimeMs ?? null]);
  }
  for (const [path, stamp] of codeFilesRead()) {
    files.push([path, stamp.size, stamp.mtimeMs, stamp.ino, null]);
  }

  // Racy files: a file written in the same clock tick as our record could
  // change again without its mtime moving (ext4 timestamps advance by
  // clock ticks; FAT's by 2 s). Only trust stats that are safely old; the
  // next no-op run writes the stamp instead.
  const cutoff = Date.now() - RACY_MS;
  if (
    files.some(([, , mtimeMs]) => mtimeMs > cutoff) ||
    probes.some(([, , , mtimeMs]) => mtimeMs > cutoff) ||
    [...sources.probes.directories().values()].some((d) => d.mtimeMs > cutoff)
  ) {
    return false;
  }
  // Engine modules change with a build, not during a run: left out of the
  // racy check, so a run straight after `tsc` still writes its stamp.
  files.push(...engineFiles());

  const names = [...envNames].sort();
  writeFreshStamp(
    sources.stateDir,
    {
      identity: stampIdentity({
        file: spec.file,
        source: spec.source,
        overrides: sources.overrides,
        envNames: names,
        env: sources.env,
      }),
      envNames: names,
      files,
      directories: [...sources.probes.directories()].map(
        ([path, d]) => [path, d.mtimeMs, d.ino] as const,
      ),
      probes,
      jobs: graph.jobs.map((j) => j.id),
      steps: spec.steps.size,
    },
    (token) => keepToken(store, token),
  );
  return true;
}

/** Stores the stamp's token in the state store (see FreshStamp.token). */
function keepToken(store: StateStore, token: string): void {
  store.flush();
  store.db.exec(META_SCHEMA);
  store.db
    .prepare(
      "INSERT OR REPLACE INTO meta (name, value) VALUES ('fresh_stamp', ?)",
    )
    .run(token);
}

/** How old every recorded mtime must be for the stamp to trust it. */
const RACY_MS = 2000;

/** The table that holds the stamp's token. */
const META_SCHEMA =
  'CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)';
