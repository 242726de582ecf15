/**
 * `@diffstream/core/net`: rooms, plus the wire pieces they are made of, for embedders who carry
 * DiffStream over their own transport or talk to y-webrtc peers themselves: y-webrtc's signaling
 * encryption ({@link deriveKey}, {@link encrypt}, {@link decrypt}), lib0's `any` encoding
 * ({@link readAny}, {@link writeAny}) and the chunking of large data-channel messages
 * ({@link splitMessage}, {@link Reassembler}). The types and errors these use are exported here too.
 * @packageDocumentation
 * @module @diffstream/core/net
 */
export { joinRoom, Room, type RoomCache } from './room.js'
export { createWriterKey, type WriterKeyPair } from './writer-key.js'
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
} from './types.js'
export { decrypt, decryptJson, deriveKey, encrypt, encryptJson } from './crypto.js'
export { MAX_ANY_DEPTH, readAny, writeAny, type AnyInput, type AnyValue } from './any-codec.js'
export { fromBase64, toBase64 } from './base64.js'
export { CHUNK_TYPE, isChunkFrame, MAX_FRAME, Reassembler, splitMessage, type ReassemblerOptions } from './chunking.js'
// What the signatures above use, so that this entry alone is enough.
export { Emitter } from '../emitter.js'
export {
  DiffStreamError,
  InvalidMessageError,
  ReadOnlyError,
  UnauthorizedWriteError,
  UnsupportedValueError,
} from '../errors.js'
export type { Command } from '../data-msg.js'
export type { JsonObject, JsonPrimitive, JsonValue } from '../json.js'
export type { Key, KeyLike } from '../keys.js'
export type { CompactionOptions, RecordPatch, Role } from '../types.js'
export type { DocStore, StoredState } from '../store/types.js'
export { iceEndpoint, parseIceAnswer, type IceAnswer } from './ice.js'
