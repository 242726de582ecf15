/**
 * `@diffstream/core`: keep copies of a keyed dict in sync by sending Yjs diffs. The
 * producer/consumer facade ({@link DiffCache}, {@link DataMsg}), rooms over WebRTC
 * ({@link joinRoom}) and the browser store ({@link openIndexedDbStore}); the file store is in
 * `@diffstream/core/node`, the wire pieces in `@diffstream/core/net`.
 * @packageDocumentation
 * @module @diffstream/core
 */
export { DiffCache } from './diff-cache.js'
export { DataMsg, type Command, type DataMsgInit, type DecodeLimits, type EpochCut } from './data-msg.js'
export { Emitter } from './emitter.js'
export * from './errors.js'
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js'
export type { Key, KeyLike } from './keys.js'
export type { SourceDigest } from './source-digest.js'
export type { CacheStats, MessageCounts } from './stats.js'
export type {
  ApplyResult,
  ChangeEvent,
  CompactionOptions,
  DiffCacheEvents,
  DiffCacheOptions,
  RecordPatch,
  Role,
} from './types.js'
export { hashJson } from './hash.js'
export { joinRoom, Room, type RoomCache } from './net/room.js'
export { createWriterKey, type WriterKeyPair } from './net/writer-key.js'
export type {
  AntiEntropyRoomOptions,
  CandidateType,
  PeerPath,
  PeerPresence,
  RoomChange,
  RoomDivergence,
  RoomEvents,
  RoomHeal,
  RoomOptions,
  RoomStats,
  RoomStatus,
  WriteRefusal,
} from './net/types.js'
export type { DocStore, StoredState, StoreOptions, StoreStats, SyncMode } from './store/types.js'
export {
  openIndexedDbStore,
  type IndexedDbStore,
  type IndexedDbStoreOptions,
} from './store/indexeddb-store.js'
