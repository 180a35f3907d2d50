import {readdir, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';

import type {Sha256Hex} from '../util/hash.js';
import type {ContentStore} from './content-store.js';
import type {OutputRecord, StateStore} from './state-store.js';

/** What `neuromake gc` keeps beyond what current job records need. */
export interface GcOptions {
  /** Also keep entries used by the last N runs. */
  readonly keepRuns: number;
  /** Then drop the oldest unneeded entries until the store fits. */
  readonly maxBytes: number | undefined;
}

/** What a collection did. */
export interface GcReport {
  readonly entriesRemoved: number;
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  readonly bytesKept: number;
}

/**
 * Drops cache entries no recorded job needs, then every blob no remaining
 * entry refers to. The newest record of each job is always kept, so `gc`
 * never makes a fresh workspace stale.
 */
export async function collectGarbage(
  store: StateStore,
  contentStore: ContentStore,
  options: GcOptions,
): Promise<GcReport> {
  store.flush();
  const db = store.db;
  const needed = new Set<string>([...store.jobs().values()].map((j) => j.key));
  const lastRun =
    (db.prepare('SELECT MAX(id) AS id FROM runs').get() as {id: number | null})
      .id ?? 0;
  const entries = db
    .prepare('SELECT key, outputs, run FROM cache ORDER BY run DESC')
    .all() as {key: string; outputs: string; run: number}[];

  const kept = entries.filter(
    (e) => needed.has(e.key) || e.run > lastRun - options.keepRuns,
  );
  const sizeOf = (e: {outputs: string}) =>
    Object.values(JSON.parse(e.outputs) as Record<string, OutputRecord>);
  if (options.maxBytes !== undefined) {
    // Oldest optional entries go first until the distinct blobs fit.
    let total = distinctBytes(kept.flatMap(sizeOf));
    for (let i = kept.length - 1; i >= 0 && total > options.maxBytes; i--) {
      if (needed.has(kept[i]!.key)) continue;
      kept.splice(i, 1);
      total = distinctBytes(kept.flatMap(sizeOf));
    }
  }

  const keepKeys = new Set(kept.map((e) => e.key));
  const removeEntry = db.prepare('DELETE FROM cache WHERE key = ?');
  let entriesRemoved = 0;
  db.transaction(() => {
    for (const e of entries) {
      if (!keepKeys.has(e.key)) {
        removeEntry.run(e.key);
        entriesRemoved++;
      }
    }
  })();
  store.cacheRowsDeleted();

  const liveBlobs = new Set<string>(kept.flatMap(sizeOf).map((o) => o.hash));
  let blobsRemoved = 0;
  let bytesFreed = 0;
  let bytesKept = 0;
  for (const blob of await listBlobs(contentStore.root)) {
    const size = (await stat(blob.path).catch(() => undefined))?.size ?? 0;
    if (liveBlobs.has(blob.hash)) {
      bytesKept += size;
      continue;
    }
    await rm(blob.path, {force: true});
    blobsRemoved++;
    bytesFreed += size;
  }

  // The small blobs, kept as rows of the state database.
  const unneeded: Sha256Hex[] = [];
  for (const blob of store.blobs.sizes()) {
    if (liveBlobs.has(blob.hash)) {
      bytesKept += blob.size;
      continue;
    }
    unneeded.push(blob.hash);
    bytesFreed += blob.size;
  }
  store.blobs.remove(unneeded);
  blobsRemoved += unneeded.length;
  return {entriesRemoved, blobsRemoved, bytesFreed, bytesKept};
}

function distinctBytes(outputs: readonly OutputRecord[]): number {
  const sizes = new Map(outputs.map((o) => [o.hash, o.size]));
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

async function listBlobs(
  root: string,
): Promise<{hash: Sha256Hex | string; path: string}[]> {
  const blobs: {hash: string; path: string}[] = [];
  const shards = await readdir(root).catch(() => [] as string[]);
  for (const shard of shards) {
    const names = await readdir(join(root, shard)).catch(() => [] as string[]);
    for (const name of names) {
      // Leftover temporary copies never match a hash, so they go too.
      blobs.push({hash: `${shard}${name}`, path: join(root, shard, name)});
    }
  }
  return blobs;
}
