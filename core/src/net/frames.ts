import { ByteReader } from '../byte-reader.js'
import { concatBytes, pushVarUint } from '../byte-writer.js'
import { EMPTY_LINEAGE, skipLineage } from '../lineage-codec.js'
import type { EpochInfo } from '../epoch.js'
import { isMeshType, readMeshFrame, type MeshFrame } from './mesh-frames.js'
import { isWriterType, readWriterFrame, type WriterFrame } from './writer-frames.js'
// Anti-entropy frames 20–23 (docs/anti-entropy.md).
import { isDigestType, readDigestFrame, type DigestFrame } from './digest-frames.js'

/*
 * Data-channel frames, as y-webrtc sends them: a varuint message type, then for sync messages the
 * y-protocols sync sub-type and a length-prefixed payload. DiffStream's own frames use type numbers
 * y-webrtc ignores. Every decoder here is bounds-checked: frames come from other machines.
 */

export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_QUERY_AWARENESS = 3
/** y-webrtc's BroadcastChannel peer id message; never sent over data channels, ignored. */
export const MESSAGE_BC_PEER_ID = 4
/** DiffStream's epoch frames (docs/rooms.md): y-webrtc ignores these types. */
export const MESSAGE_EPOCH_HELLO = 11
export const MESSAGE_EPOCH_WANT = 12
export const MESSAGE_EPOCH_BASE = 13
/** DiffStream's features frame and packed sync frame (docs/rooms.md). */
export const MESSAGE_FEATURES = 19
export const MESSAGE_SYNC_PACKED = 28
/** Feature bit: this peer reads packed sync frames. */
export const FEATURE_PACKED = 1

export type { EpochInfo } from '../epoch.js'

const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

/** A decoded data-channel frame. */
export type Frame =
  | { kind: 'sync-step1'; stateVector: Uint8Array }
  | { kind: 'sync-step2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'query-awareness' }
  | ({ kind: 'epoch-hello' } & EpochInfo)
  | { kind: 'epoch-want'; epoch: number }
  | ({ kind: 'epoch-base'; state: Uint8Array } & EpochInfo)
  | { kind: 'features'; mask: number }
  | { kind: 'sync-packed'; sub: 'sync-step2' | 'update'; length: number; packed: Uint8Array }
  | MeshFrame
  | WriterFrame
  | DigestFrame
  | { kind: 'other'; type: number }

/** Decodes a frame; throws `InvalidMessageError` when it is malformed. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const r = new ByteReader(bytes)
  const type = r.varUint()
  let frame: Frame
  if (type === MESSAGE_SYNC) {
    const sub = r.varUint()
    const payload = r.varBytes()
    if (sub === SYNC_STEP1) frame = { kind: 'sync-step1', stateVector: payload }
    else if (sub === SYNC_STEP2) frame = { kind: 'sync-step2', update: payload }
    else if (sub === SYNC_UPDATE) frame = { kind: 'update', update: payload }
    else return r.fail(`unknown sync message ${sub}`)
  } else if (type === MESSAGE_AWARENESS) {
    frame = { kind: 'awareness', update: r.varBytes() }
  } else if (type === MESSAGE_QUERY_AWARENESS) {
    frame = { kind: 'query-awareness' }
  } else if (type === MESSAGE_EPOCH_HELLO) {
    frame = { kind: 'epoch-hello', ...readEpochInfo(r) }
  } else if (type === MESSAGE_EPOCH_WANT) {
    frame = { kind: 'epoch-want', epoch: r.varUint() }
  } else if (type === MESSAGE_EPOCH_BASE) {
    const info = readEpochInfo(r)
    skipLineage(r)
    frame = { kind: 'epoch-base', ...info, state: r.varBytes() }
  } else if (type === MESSAGE_FEATURES) {
    frame = { kind: 'features', mask: r.varUint() }
  } else if (type === MESSAGE_SYNC_PACKED) {
    const sub = r.varUint()
    if (sub !== SYNC_STEP2 && sub !== SYNC_UPDATE) return r.fail(`unknown packed sync message ${sub}`)
    const length = r.varUint()
    frame = {
      kind: 'sync-packed',
      sub: sub === SYNC_STEP2 ? 'sync-step2' : 'update',
      length,
      packed: r.take(r.remaining),
    }
  } else if (isMeshType(type)) {
    frame = readMeshFrame(type, r)
  } else if (isWriterType(type)) {
    frame = readWriterFrame(type, r)
  } else if (isDigestType(type)) {
    frame = readDigestFrame(type, r)
  } else {
    return { kind: 'other', type }
  }
  if (r.remaining !== 0) r.fail('trailing bytes in frame')
  return frame
}

function readEpochInfo(r: ByteReader): EpochInfo {
  const epoch = r.varUint()
  const parent = r.varUint()
  const cutState = r.uint32()
  if (epoch > 0 && parent >= epoch) r.fail('an epoch whose parent is not older')
  return { epoch, parent, cutState }
}

function epochInfoBytes(info: EpochInfo, type: number): number[] {
  const out = [type]
  pushVarUint(out, info.epoch)
  pushVarUint(out, info.parent)
  const n = info.cutState >>> 0
  out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24)
  return out
}

export const encodeEpochHello = (info: EpochInfo): Uint8Array =>
  Uint8Array.from(epochInfoBytes(info, MESSAGE_EPOCH_HELLO))

export function encodeEpochWant(epoch: number): Uint8Array {
  const out = [MESSAGE_EPOCH_WANT]
  pushVarUint(out, epoch)
  return Uint8Array.from(out)
}

export function encodeEpochBase(info: EpochInfo, state: Uint8Array): Uint8Array {
  const parts: Array<ArrayLike<number>> = [epochInfoBytes(info, MESSAGE_EPOCH_BASE), EMPTY_LINEAGE]
  const length: number[] = []
  pushVarUint(length, state.length)
  parts.push(length, state)
  return concatBytes(parts)
}

function frame(prefix: number[], payload?: Uint8Array): Uint8Array {
  const head = [...prefix]
  if (payload) pushVarUint(head, payload.length)
  const out = new Uint8Array(head.length + (payload?.length ?? 0))
  out.set(head)
  if (payload) out.set(payload, head.length)
  return out
}

export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => frame([MESSAGE_SYNC, SYNC_STEP1], stateVector)
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => frame([MESSAGE_SYNC, SYNC_STEP2], update)
export const encodeUpdate = (update: Uint8Array): Uint8Array => frame([MESSAGE_SYNC, SYNC_UPDATE], update)
export const encodeAwareness = (update: Uint8Array): Uint8Array => frame([MESSAGE_AWARENESS], update)

export function encodeFeatures(mask: number): Uint8Array {
  const out = [MESSAGE_FEATURES]
  pushVarUint(out, mask)
  return Uint8Array.from(out)
}

/** A packed sync frame: `packed` is `length` bytes of update compressed with raw DEFLATE. */
export function encodeSyncPacked(last: boolean, length: number, packed: Uint8Array): Uint8Array {
  const head = [MESSAGE_SYNC_PACKED, last ? SYNC_STEP2 : SYNC_UPDATE]
  pushVarUint(head, length)
  const out = new Uint8Array(head.length + packed.length)
  out.set(head)
  out.set(packed, head.length)
  return out
}

/**
 * Checks a y-protocols awareness update (count, then client id, clock and JSON state per client)
 * before y-protocols' own decoder sees it. Returns the client ids it speaks for.
 */
export function checkAwarenessUpdate(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes)
  const n = r.count(3)
  const clients: number[] = []
  for (let i = 0; i < n; i++) {
    clients.push(r.varUint())
    r.varUint()
    const json = r.varString()
    try {
      JSON.parse(json)
    } catch {
      r.fail('awareness state is not JSON')
    }
  }
  if (r.remaining !== 0) r.fail('trailing bytes in awareness update')
  return clients
}
