import {rm, stat} from 'node:fs/promises';

import type {Sha256Hex} from '../util/hash.js';
import type {ContentStore} from './content-store.js';
import type {CacheEntry, OutputRecord, StateStore} from './state-store.js';

/** What `neuromake gc` keeps beyond what current job records need. */
export interface GcOptions {
  /** Also keep entries used by the last N runs. */
  readonly keepRuns: number;
  /** Then drop the oldest unneeded entries until the store fits. */
  readonly maxBytes: number | undefined;
  /** Only count what would go (`gc -n`): nothing is removed. */
  readonly dryRun?: boolean;
}

/** What a collection did. */
export interface GcReport {
  readonly entriesRemoved: number;
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  readonly bytesKept: number;
  /**
   * With a size cap: the bytes the current jobs' outputs need, where that
   * alone is over the cap (those entries are never dropped).
   */
  readonly neededOverCap?: number | undefined;
  /** Why state.db could not give freed pages back, if it could not. */
  readonly compactError?: string | undefined;
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
  const needed = new Set<string>([...store.jobs().values()].map((j) => j.key));
  const lastRun = store.lastRun();
  const entries = store.cacheEntries();

  const kept = entries.filter(
    (e) => needed.has(e.key) || e.run > lastRun - options.keepRuns,
  );
  const outputsOf = (chosen: readonly CacheEntry[]) =>
    chosen.flatMap((e) => Object.values(e.outputs));
  let neededOverCap: number | undefined;
  if (options.maxBytes !== undefined) {
    // Oldest optional entries go first until the distinct blobs fit.
    let total = distinctBytes(outputsOf(kept));
    for (let i = kept.length - 1; i >= 0 && total > options.maxBytes; i--) {
      if (needed.has(kept[i]!.key)) continue;
      kept.splice(i, 1);
      total = distinctBytes(outputsOf(kept));
    }
    if (total > options.maxBytes) neededOverCap = total;
  }
  const dry = options.dryRun === true;

  const keepKeys = new Set(kept.map((e) => e.key));
  const unneededEntries = entries
    .filter((e) => !keepKeys.has(e.key))
    .map((e) => e.key);
  if (!dry) store.removeCacheEntries(unneededEntries);

  const liveBlobs = new Set<string>(outputsOf(kept).map((o) => o.hash));
  const rows = store.blobs.sizes();
  const inRows = new Set<string>(rows.map((r) => r.hash));
  let blobsRemoved = 0;
  let bytesFreed = 0;
  let bytesKept = 0;
  // Leftover temporary copies never match a hash, so they go too.
  for (const blob of await contentStore.files()) {
    const size = (await stat(blob.path).catch(() => undefined))?.size ?? 0;

    // A file of an older version whose bytes are now a row too is a second
    // copy (restores read the row first): it goes, the row is kept.
    if (liveBlobs.has(blob.hash) && !inRows.has(blob.hash)) {
      bytesKept += size;
      continue;
    }
    if (!dry) await rm(blob.path, {force: true});
    blobsRemoved++;
    bytesFreed += size;
  }

  // The small blobs, kept as rows of the state database.
  const unneeded: Sha256Hex[] = [];
  for (const blob of rows) {
    if (liveBlobs.has(blob.hash)) {
      bytesKept += blob.size;
      continue;
    }
    unneeded.push(blob.hash);
    bytesFreed += blob.size;
  }
  if (!dry) store.blobs.remove(unneeded);
  blobsRemoved += unneeded.length;
  const report: GcReport = {
    entriesRemoved: unneededEntries.length,
    blobsRemoved,
    bytesFreed,
    bytesKept,
    neededOverCap,
  };
  if (dry) return report;

  // The rows are gone either way; a database that cannot shrink now (no
  // room for VACUUM's copy, say) reuses their pages for later rows.
  try {
    store.compact();
  } catch (err) {
    return {
      ...report,
      compactError: err instanceof Error ? err.message : String(err),
    };
  }
  return report;
}

function distinctBytes(outputs: readonly OutputRecord[]): number {
  const sizes = new Map(outputs.map((o) => [o.hash, o.size]));
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}
