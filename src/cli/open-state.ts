import {join} from 'node:path';

import {ContentStore} from '../cache/content-store.js';
import {FileHasher} from '../cache/file-hasher.js';
import {StateStore} from '../cache/state-store.js';
import type {LoadedPipeline} from './load-graph.js';

/** The cache pieces of a workspace, opened together. */
export interface WorkspaceState {
  readonly store: StateStore;
  readonly hasher: FileHasher;
  readonly contentStore: ContentStore;
}

/** Opens `.neuromake/state.db` and the content store beside it. */
export function openState(loaded: LoadedPipeline): WorkspaceState {
  const store = StateStore.open(loaded.stateDir);
  return {
    store,
    hasher: new FileHasher(loaded.spec.workspace, store),
    contentStore: new ContentStore(join(loaded.stateDir, 'store')),
  };
}
