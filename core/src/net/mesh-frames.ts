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

/** Kinds of heartbeat frame. */
export const HEARTBEAT_PING = 0
export const HEARTBEAT_PONG = 1
export const HEARTBEAT_BYE = 2

export type HeartbeatKind = 'ping' | 'pong' | 'bye'

/** A decoded link or tree frame. */
export type MeshFrame =
  | { kind: 'heartbeat'; beat: HeartbeatKind }
  | { kind: 'prune' }
  | { kind: 'graft' }
  | { kind: 'have'; stateVector: Uint8Array; fingerprint: number }

const BEATS: readonly HeartbeatKind[] = ['ping', 'pong', 'bye']

/** Whether `type` is one of these frames. */
export const isMeshType = (type: number): boolean => type >= MESSAGE_HEARTBEAT && type <= MESSAGE_HAVE

/** Reads the payload of a frame of `type` (already read); the caller checks for trailing bytes. */
export function readMeshFrame(type: number, r: ByteReader): MeshFrame {
  switch (type) {
    case MESSAGE_HEARTBEAT: {
      const beat = BEATS[r.varUint()]
      return beat ? { kind: 'heartbeat', beat } : r.fail('unknown heartbeat kind')
    }
    case MESSAGE_PRUNE:
      return { kind: 'prune' }
    case MESSAGE_GRAFT:
      return { kind: 'graft' }
    default:
      return { kind: 'have', stateVector: r.varBytes(), fingerprint: r.uint32() }
  }
}

export const encodeHeartbeat = (beat: HeartbeatKind): Uint8Array =>
  Uint8Array.of(MESSAGE_HEARTBEAT, BEATS.indexOf(beat))
export const encodePrune = (): Uint8Array => Uint8Array.of(MESSAGE_PRUNE)
export const encodeGraft = (): Uint8Array => Uint8Array.of(MESSAGE_GRAFT)

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
