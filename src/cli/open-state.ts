import {join} from 'node:path';

import {ContentStore} from '../cache/content-store.js';
import {FileHasher} from '../cache/file-hasher.js';
import type {FsProbes} from '../cache/fs-probes.js';
import {StateStore} from '../cache/state-store.js';

/** The cache pieces of a workspace, opened together. */
export interface WorkspaceState {
  readonly store: StateStore;
  readonly hasher: FileHasher;
  readonly contentStore: ContentStore;
  /** Records what key computation probed on disk (see FsProbes). */
  readonly probes?: FsProbes | undefined;
}

/**
 * Opens `.neuromake/state.db` and the content store beside it. `held`:
 * the workspace lock the caller holds, released should the database not
 * open (a damaged one), so no lock outlives the command.
 */
export function openState(
  where: {
    readonly stateDir: string;
    readonly workspace: string;
  },
  held?: {release(): void},
): WorkspaceState {
  let store: StateStore;
  try {
    store = StateStore.open(where.stateDir);
  } catch (err) {
    held?.release();
    throw err;
  }
  return {
    store,
    hasher: new FileHasher(where.workspace, store),
    contentStore: new ContentStore(join(where.stateDir, 'store'), store.blobs),
  };
}
