/// <reference types="node" />
/**
 * `@diffstream/core/node`: what only runs in Node and Electron's main process, kept out of the
 * main entry so that browser bundles never see `node:fs`.
 * @packageDocumentation
 */
export { openFileStore, FileStore, type FileStoreOptions, type FileStoreStats } from './store/file-store.js'
export type { DocStore, StoredState, StoreOptions, StoreStats, SyncMode } from './store/types.js'
