import type SimplePeer from 'simple-peer'
import type { Command } from '../data-msg.js'
import type { Key } from '../keys.js'
import type { DocStore } from '../store/types.js'
import type { CompactionOptions, Role } from '../types.js'

/** Options of {@link joinRoom}. */
export interface RoomOptions {
  /** Signaling servers (default `['ws://127.0.0.1:4444']`). A `?token=` in the URL authenticates. */
  signaling?: string[]
  /** Encrypts signaling exactly as y-webrtc does; peers with another password never connect. */
  password?: string
  /** `producer` writes, `consumer` only receives (its writes throw `ReadOnlyError`), `peer` both. Default `peer`. */
  role?: Role
  /** The field that holds each record's key (default `'key'`). */
  keyName?: string
  /** STUN/TURN servers. Default: none, which connects peers on the same machine or LAN. */
  iceServers?: RTCIceServer[]
  /** A WebRTC implementation for simple-peer. Default: the platform's, or `@roamhq/wrtc` in Node. */
  wrtc?: SimplePeer.Options['wrtc']
  /** Keep only ICE candidates this accepts (for example loopback ones in tests). */
  candidateFilter?: (candidate: string) => boolean
  /**
   * At most this many WebRTC connections (default 10). A room of more peers is a random partial mesh
   * in which updates travel along a broadcast tree (docs/rooms.md).
   */
  maxConns?: number
  /**
   * A connection on which nothing arrived for this long is dropped (default 15 000 ms): peers that
   * vanished without a close (a network drop, a frozen process) are noticed by this heartbeat.
   */
  heartbeatMs?: number
  /** Display name published through awareness. */
  name?: string
  /** Largest message accepted from a peer, in bytes (default 64 MiB). */
  maxMessageBytes?: number
  /**
   * Keeps the room's data here (a file store in Node/Electron, IndexedDB in browsers): loaded before
   * the room connects, so offline edits survive a restart and merge when peers meet.
   */
  store?: DocStore
  /** When writers start a new epoch holding only the live data (default on; see docs/compaction.md). */
  compaction?: false | CompactionOptions
}

/** A record changed in the room. */
export interface RoomChange<T> {
  cmd: Exclude<Command, 'ret'>
  key: Key
  data: T | null
  origin: 'local' | 'remote'
}

/** Connection state of the room. */
export interface RoomStatus {
  /** Signaling servers currently connected. */
  signaling: number
  /** Connected WebRTC peers. */
  peers: number
  /** Synced with every connected peer. */
  synced: boolean
  /** False after `setOnline(false)`. */
  online: boolean
  /** With a store: every write so far is durable. Without one: false. */
  saved: boolean
}

/** What a peer publishes about itself. */
export interface PeerPresence {
  name: string
  role: Role
  /**
   * The peer's id on the signaling server (DiffStream peers publish it): a state relayed by others
   * is then still known to belong to the link of that peer, and goes when that link goes.
   */
  peerId?: string
}

/** Traffic and what full JSON would have cost. */
export interface RoomStats {
  messagesSent: number
  bytesSent: number
  messagesReceived: number
  bytesReceived: number
  /** Local record writes. */
  writes: number
  /** Bytes those writes would have cost as full JSON of the record, sent once. */
  jsonBytes: number
  /** Update bytes those writes produced, sent once. */
  updateBytes: number
  /** Peers dropped for breaking the protocol. */
  droppedPeers: number
}

/** Events of a room. */
export type RoomEvents<T> = {
  change: (change: RoomChange<T>) => void
  peers: (peers: string[]) => void
  status: (status: RoomStatus) => void
  /** The room's document moved to a new epoch (a compaction here or by a peer). */
  epoch: (epoch: number) => void
  /** Something went wrong that the room recovered from (a peer dropped, a signal that did not decrypt). */
  warning: (message: string) => void
}
