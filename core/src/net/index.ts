/**
 * `@diffstream/core/net`: rooms, plus the wire pieces they are made of, for embedders who carry
 * DiffStream over their own transport or talk to y-webrtc peers themselves.
 * @packageDocumentation
 */
export { joinRoom, Room, type RoomCache } from './room.js'
export type {
  CandidateType,
  PeerPath,
  PeerPresence,
  RoomChange,
  RoomEvents,
  RoomOptions,
  RoomStats,
  RoomStatus,
} from './types.js'
export { decrypt, decryptJson, deriveKey, encrypt, encryptJson } from './crypto.js'
export { MAX_ANY_DEPTH, readAny, writeAny, type AnyInput, type AnyValue } from './any-codec.js'
export { fromBase64, toBase64 } from './base64.js'
export { CHUNK_TYPE, isChunkFrame, MAX_FRAME, Reassembler, splitMessage, type ReassemblerOptions } from './chunking.js'
export { iceEndpoint, parseIceAnswer, type IceAnswer } from './ice.js'
