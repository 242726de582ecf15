import type { ByteReader } from '../byte-reader.js'
import { pushVarUint } from '../byte-writer.js'

/*
 * DiffStream's link and broadcast-tree frames (docs/rooms.md, "Links" and "Broadcast"). y-webrtc
 * does not know these types, so they are only ever sent to DiffStream peers.
 */

export const MESSAGE_HEARTBEAT = 14
export const MESSAGE_PRUNE = 15
export const MESSAGE_GRAFT = 16
export const MESSAGE_HAVE = 17
export const MESSAGE_WRITER = 18

/** Kinds of heartbeat frame. */
export const HEARTBEAT_PING = 0
export const HEARTBEAT_PONG = 1
export const HEARTBEAT_BYE = 2

export type HeartbeatKind = 'ping' | 'pong' | 'bye'

/** A decoded link or tree frame. */
export type MeshFrame =
  | { kind: 'heartbeat'; beat: HeartbeatKind }
  | { kind: 'prune'; writers: number[] }
  | { kind: 'graft'; writers: number[] }
  | { kind: 'have'; stateVector: Uint8Array; fingerprint: number }
  | { kind: 'writer'; client: number }

const BEATS: readonly HeartbeatKind[] = ['ping', 'pong', 'bye']

/** Whether `type` is one of these frames. */
export const isMeshType = (type: number): boolean => type >= MESSAGE_HEARTBEAT && type <= MESSAGE_WRITER

/** Reads the payload of a frame of `type` (already read); the caller checks for trailing bytes. */
export function readMeshFrame(type: number, r: ByteReader): MeshFrame {
  switch (type) {
    case MESSAGE_HEARTBEAT: {
      const beat = BEATS[r.varUint()]
      return beat ? { kind: 'heartbeat', beat } : r.fail('unknown heartbeat kind')
    }
    case MESSAGE_PRUNE:
      return { kind: 'prune', writers: readWriters(r) }
    case MESSAGE_GRAFT:
      return { kind: 'graft', writers: readWriters(r) }
    case MESSAGE_HAVE:
      return { kind: 'have', stateVector: r.varBytes(), fingerprint: r.uint32() }
    default:
      return { kind: 'writer', client: r.varUint() }
  }
}

export const encodeHeartbeat = (beat: HeartbeatKind): Uint8Array =>
  Uint8Array.of(MESSAGE_HEARTBEAT, BEATS.indexOf(beat))
/** At most this many writers in one prune or graft. */
export const MAX_WRITERS = 1024

function readWriters(r: ByteReader): number[] {
  const n = r.count(1)
  if (n > MAX_WRITERS) r.fail(`${n} writers in one frame`)
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(r.varUint())
  return out
}

function writersFrame(type: number, writers: readonly number[]): Uint8Array {
  const out = [type]
  const list = writers.slice(0, MAX_WRITERS)
  pushVarUint(out, list.length)
  for (const w of list) pushVarUint(out, w)
  return Uint8Array.from(out)
}

/** Asks the peer to stop pushing these writers' updates to us. */
export const encodePrune = (writers: readonly number[]): Uint8Array => writersFrame(MESSAGE_PRUNE, writers)
/** Asks the peer to push these writers' updates to us again (none listed: every writer). */
export const encodeGraft = (writers: readonly number[]): Uint8Array => writersFrame(MESSAGE_GRAFT, writers)

export function encodeHave(stateVector: Uint8Array, fingerprint: number): Uint8Array {
  const head = [MESSAGE_HAVE]
  pushVarUint(head, stateVector.length)
  const out = new Uint8Array(head.length + stateVector.length + 4)
  out.set(head)
  out.set(stateVector, head.length)
  const n = fingerprint >>> 0
  out.set([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], head.length + stateVector.length)
  return out
}

/** Tells the peer which Yjs client id this peer writes as (in its current epoch). */
export function encodeWriter(client: number): Uint8Array {
  const out = [MESSAGE_WRITER]
  pushVarUint(out, client)
  return Uint8Array.from(out)
}
