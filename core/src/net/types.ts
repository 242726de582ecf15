import type SimplePeer from 'simple-peer'
import type { Command } from '../data-msg.js'
import type { Key } from '../keys.js'
import type { DocStore } from '../store/types.js'
import type { CompactionOptions, Role } from '../types.js'
import type { UnauthorizedWriteError } from '../errors.js'
import type { WriterKeyPair } from './writer-key.js'

/** Options of {@link joinRoom}. All are optional. */
export interface RoomOptions {
  /**
   * Signaling servers (y-webrtc compatible). A `?token=` in the URL authenticates.
   * @defaultValue `['ws://127.0.0.1:4444']`
   */
  signaling?: string[]
  /**
   * Encrypts signaling exactly as y-webrtc does; peers with another password never connect.
   * @defaultValue none: signaling in the clear
   */
  password?: string
  /**
   * `producer` writes, `consumer` only receives (its writes throw `ReadOnlyError`), `peer` both.
   * @defaultValue `'peer'`
   */
  role?: Role
  /**
   * The field that holds each record's key.
   * @defaultValue `'key'`
   */
  keyName?: string
  /**
   * STUN/TURN servers. When not given, the room asks its signaling servers (`GET /ice`, with the
   * URL's `?token=`) and uses what the first one answers, asking again before TURN credentials
   * expire; a server without `/ice` leaves host candidates only (same machine or LAN). Give `[]`
   * to use host candidates only without asking.
   * @defaultValue asked from the signaling servers (`GET /ice`)
   */
  iceServers?: RTCIceServer[]
  /**
   * `'relay'` makes every connection go through a TURN server (hides addresses).
   * @defaultValue `'all'`
   */
  iceTransportPolicy?: 'all' | 'relay'
  /**
   * A WebRTC implementation for simple-peer.
   * @defaultValue the platform's, or `@roamhq/wrtc` in Node
   */
  wrtc?: SimplePeer.Options['wrtc']
  /** Keep only ICE candidates this accepts (for example loopback ones in tests); by default all are kept. */
  candidateFilter?: (candidate: string) => boolean
  /**
   * At most this many WebRTC connections. A room of more peers is a random partial mesh in which
   * updates travel along a broadcast tree (docs/rooms.md).
   * @defaultValue `10`
   */
  maxConns?: number
  /**
   * A connection on which nothing arrived for this many milliseconds is dropped: peers that vanished without a
   * close (a network drop, a frozen process) are noticed by this heartbeat.
   * @defaultValue `15000`
   */
  heartbeatMs?: number
  /**
   * Display name published through awareness.
   * @defaultValue `peer-` and the first 4 characters of {@link Room.peerId}
   */
  name?: string
  /**
   * Largest message accepted from a peer, in bytes; a peer that sends a larger one is dropped.
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number
  /**
   * Keeps the room's data here (a file store in Node/Electron, IndexedDB in browsers): loaded before
   * the room connects, so offline edits survive a restart and merge when peers meet.
   * @defaultValue none: the room lives in memory only
   */
  store?: DocStore
  /**
   * When writers start a new epoch holding only the live data; `false` turns it off. Rooms compact
   * less eagerly than a `DiffCache`, since every peer stalls briefly when it compacts. See
   * docs/compaction.md.
   * @defaultValue `{ ratio: 4, minBytes: 1048576 }`
   */
  compaction?: false | CompactionOptions
  /**
   * Public keys (base64url, from {@link createWriterKey}) of the peers allowed to write. Set → the
   * room is signed: copies accept structs only from Yjs client ids bound to a listed key, in batches
   * that key signed; a peer that sends anything else is dropped (event `refused`). y-webrtc peers
   * cannot write in a signed room (they can read), and only writers compact (they sign the base).
   * See docs/writers.md.
   * @defaultValue none: an open room, where anyone with the password writes
   */
  writers?: string[]
  /**
   * This peer's writer key. In a signed room a peer without it, or whose public key is not listed,
   * is read-only: cache writes throw `ReadOnlyError`.
   * @defaultValue none
   */
  writerKey?: WriterKeyPair
  /**
   * Digests exchanged with every DiffStream peer, so that a copy holding what its source never wrote
   * (a forged update) notices and heals; `false` turns them off. See docs/anti-entropy.md.
   * @defaultValue `{ digestMs: 5000 }`
   */
  antiEntropy?: false | AntiEntropyRoomOptions
}

/** A signed room refused what a peer sent, and dropped that peer (see docs/writers.md). */
export interface WriteRefusal {
  /** The peer that sent it. */
  peerId: string
  /** What was wrong. */
  error: UnauthorizedWriteError
}

/** Options of a room's anti-entropy (docs/anti-entropy.md). */
export interface AntiEntropyRoomOptions {
  /**
   * How often each link gets a digest, in milliseconds (±25% jitter).
   * @defaultValue `5000`
   */
  digestMs?: number
}

/** A copy found that what it holds differs from what a peer it compared with holds (docs/anti-entropy.md). */
export interface RoomDivergence {
  /** The peer whose digest showed it. */
  peerId: string
  /**
   * `forged-clock`: this copy held structs under a client id beyond what the owner of that id wrote
   * (a forged update); `content`: the same state as the peer, but records that differ.
   */
  reason: 'forged-clock' | 'content'
  /** The keys of the records concerned. */
  records: Key[]
  /** For `forged-clock`, the Yjs client ids whose structs were forged. */
  clients: number[]
  /** Whether this copy heals from that peer (a `healed` event follows); otherwise the peer is not more trusted than this copy. */
  healing: boolean
}

/** A copy replaced what it held with a trusted peer's state, keeping its own writes. */
export interface RoomHeal {
  /** The peer it took the state from. */
  peerId: string
  /** The keys of the records that changed. */
  records: Key[]
}

/** A record changed in the room. */
export interface RoomChange<T> {
  /** `new`, `upd` or `del`. */
  cmd: Exclude<Command, 'ret'>
  /** The record's key. */
  key: Key
  /**
   * The record (a copy), or null after `del`. It is copied when first read, so read it in the
   * listener: a listener that needs only `key` costs nothing per record, which matters when an
   * initial sync brings tens of thousands of records.
   */
  readonly data: T | null
  /** `local`: this peer's own write; `remote`: a peer's. */
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
  /** Display name (option `name`). */
  name: string
  /** The peer's role. */
  role: Role
  /**
   * The peer's id on the signaling server (DiffStream peers publish it): a state relayed by others
   * is then still known to belong to the link of that peer, and goes when that link goes.
   */
  peerId?: string
}

/** The type of an ICE candidate: a local address, one a STUN server saw, one a peer saw, or a TURN relay. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay'

/** Which path the WebRTC connection to one peer took (the selected ICE candidate pair). */
export interface PeerPath {
  /** The peer's id (see {@link Room.peerId}). */
  peerId: string
  /** `relay` when either end is a TURN relay (the data goes through the TURN server), else the less direct end's type. */
  type: CandidateType
  /** This side's candidate type. */
  local: CandidateType
  /** The peer's candidate type. */
  remote: CandidateType
  /** `udp` or `tcp` (between this side and the TURN server, for a relay), when known. */
  protocol: string | null
  /** Current round-trip time in milliseconds, when measured. */
  rttMs: number | null
}

/** Traffic and what full JSON would have cost. */
export interface RoomStats {
  /** Data-channel messages sent to peers (all kinds: sync, awareness, epochs). */
  messagesSent: number
  /** Their bytes. */
  bytesSent: number
  /** Data-channel messages received from peers. */
  messagesReceived: number
  /** Their bytes. */
  bytesReceived: number
  /** Local record writes. */
  writes: number
  /** Bytes those writes would have cost as full JSON of the record, sent once. */
  jsonBytes: number
  /** Update bytes those writes produced, sent once. */
  updateBytes: number
  /** Peers dropped for breaking the protocol. */
  droppedPeers: number
  /** Frames a signed room refused (unsigned or badly signed updates, unbound clients, unlisted keys). */
  refused: number
  /** `diverged` events: this copy found it held something its source never wrote (docs/anti-entropy.md). */
  divergences: number
  /** Heals: the state replaced with a trusted peer's. */
  heals: number
  /** Updates refused because they carried structs under this copy's own client ids that it never wrote. */
  forgedRefused: number
  /** Links dropped for bringing forged structs (also counted in `droppedPeers`). */
  forgersDropped: number
}

/** Events of a room. */
export type RoomEvents<T> = {
  /** A record changed, here or at a peer (see {@link RoomChange}). */
  change: (change: RoomChange<T>) => void
  /** The ids of the peers with an open connection, after each connect or disconnect. */
  peers: (peers: string[]) => void
  /** The {@link RoomStatus} changed (emitted only when a field differs). */
  status: (status: RoomStatus) => void
  /** The room's document moved to a new epoch (a compaction here or by a peer). */
  epoch: (epoch: number) => void
  /** This copy holds something a peer it trusts (or compared with) never wrote (see {@link RoomDivergence}). */
  diverged: (divergence: RoomDivergence) => void
  /** This copy replaced its state with a trusted peer's (see {@link RoomHeal}). */
  healed: (heal: RoomHeal) => void
  /** Something went wrong that the room recovered from (a peer dropped, a signal that did not decrypt). */
  warning: (message: string) => void
  /** A signed room refused what a peer sent and dropped it (see {@link WriteRefusal}). */
  refused: (refusal: WriteRefusal) => void
}
