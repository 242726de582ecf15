/**
 * `@diffstream/core`: keep copies of a keyed dict in sync by sending Yjs diffs.
 * @packageDocumentation
 */
export { DiffCache } from './diff-cache.js'
export { DataMsg, type Command, type DataMsgInit, type DecodeLimits } from './data-msg.js'
export * from './errors.js'
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js'
export type { Key, KeyLike } from './keys.js'
export type { CacheStats, MessageCounts } from './stats.js'
export type { ApplyResult, ChangeEvent, DiffCacheEvents, DiffCacheOptions, RecordPatch, Role } from './types.js'
export { hashJson } from './hash.js'
export { joinRoom, Room, type RoomCache } from './net/room.js'
export type { PeerPresence, RoomChange, RoomEvents, RoomOptions, RoomStats, RoomStatus } from './net/types.js'
export type { DocStore, StoredState, StoreOptions, StoreStats, SyncMode } from './store/types.js'
export { openIndexedDbStore, IndexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb-store.js'
