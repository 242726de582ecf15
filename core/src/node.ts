/// <reference types="node" />
/**
 * `@diffstream/core/node`: what only runs in Node and Electron's main process, kept out of the
 * main entry so that browser bundles never see `node:fs`: the file store ({@link openFileStore}).
 * @packageDocumentation
 * @module @diffstream/core/node
 */
export { openFileStore, type FileStore, type FileStoreOptions, type FileStoreStats } from './store/file-store.js'
export type { DocStore, StoredState, StoreOptions, StoreStats, SyncMode } from './store/types.js'
// The errors openFileStore throws, so that this entry alone is enough to handle them.
export {
  DiffStreamError,
  StoreClosedError,
  StoreCorruptError,
  StoreError,
  StoreLimitError,
  StoreLockedError,
  StoreVersionError,
} from './errors.js'
