import type { ByteReader } from '../byte-reader.js'
import { concatBytes, pushVarUint } from '../byte-writer.js'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './writer-key.js'

/*
 * Frames of signed rooms (docs/writers.md): a writer's binding of a Yjs client id to its public key,
 * and a signed batch of updates. y-webrtc does not know these types.
 */

export const MESSAGE_WRITER_BINDING = 24
export const MESSAGE_SIGNED_BATCH = 25
export const MESSAGE_SIGNED_BASE = 26
export const MESSAGE_BASE_SIGNATURE = 27

/** Flag bit of a signed batch: it travels as (part of) a sync answer. */
export const BATCH_ANSWER = 1

/** A writer's signed statement that structs of `client` are its own. */
export interface WriterBinding {
  readonly publicKey: Uint8Array
  readonly client: number
  readonly signature: Uint8Array
}

/** A Yjs update signed by the writer whose client id `signer` is, in `epoch`. */
export interface SignedBatch {
  readonly epoch: number
  readonly signer: number
  readonly signature: Uint8Array
  readonly update: Uint8Array
}

/** A writer's signature of an epoch's base (the state a compaction starts the epoch with). */
export interface BaseSignature {
  readonly epoch: number
  readonly parent: number
  readonly cutState: number
  readonly signer: number
  readonly signature: Uint8Array
}

/** A decoded signed-room frame. */
export type WriterFrame =
  | ({ kind: 'writer-binding' } & WriterBinding)
  | ({ kind: 'signed-batch'; answer: boolean } & SignedBatch)
  | ({ kind: 'signed-base'; state: Uint8Array } & BaseSignature)
  | ({ kind: 'base-signature' } & BaseSignature)

/** Whether `type` is one of these frames. */
export const isWriterType = (type: number): boolean => type >= MESSAGE_WRITER_BINDING && type <= MESSAGE_BASE_SIGNATURE

/** Reads the payload of a frame of `type` (already read); the caller checks for trailing bytes. */
export function readWriterFrame(type: number, r: ByteReader): WriterFrame {
  if (type === MESSAGE_WRITER_BINDING) {
    const publicKey = r.take(PUBLIC_KEY_BYTES)
    const client = r.varUint()
    return { kind: 'writer-binding', publicKey, client, signature: r.take(SIGNATURE_BYTES) }
  }
  if (type === MESSAGE_SIGNED_BASE || type === MESSAGE_BASE_SIGNATURE) {
    const epoch = r.varUint()
    const parent = r.varUint()
    const cutState = r.uint32()
    if (parent >= epoch) r.fail('an epoch whose parent is not older')
    const sig = { epoch, parent, cutState, signer: r.varUint(), signature: r.take(SIGNATURE_BYTES) }
    if (type === MESSAGE_BASE_SIGNATURE) return { kind: 'base-signature', ...sig }
    const state = r.take(r.remaining)
    if (state.length === 0) r.fail('a signed base without a state')
    return { kind: 'signed-base', ...sig, state }
  }
  const flags = r.varUint()
  if (flags > BATCH_ANSWER) r.fail(`unknown signed batch flags ${flags}`)
  const epoch = r.varUint()
  const signer = r.varUint()
  const signature = r.take(SIGNATURE_BYTES)
  const update = r.take(r.remaining)
  if (update.length === 0) r.fail('a signed batch without an update')
  return { kind: 'signed-batch', answer: flags === BATCH_ANSWER, epoch, signer, signature, update }
}

export function encodeBinding(b: WriterBinding): Uint8Array {
  const head = [MESSAGE_WRITER_BINDING, ...b.publicKey]
  pushVarUint(head, b.client)
  const out = new Uint8Array(head.length + SIGNATURE_BYTES)
  out.set(head)
  out.set(b.signature, head.length)
  return out
}

export function encodeSignedBatch(b: SignedBatch, answer: boolean): Uint8Array {
  const head = [MESSAGE_SIGNED_BATCH, answer ? BATCH_ANSWER : 0]
  pushVarUint(head, b.epoch)
  pushVarUint(head, b.signer)
  const out = new Uint8Array(head.length + SIGNATURE_BYTES + b.update.length)
  out.set(head)
  out.set(b.signature, head.length)
  out.set(b.update, head.length + SIGNATURE_BYTES)
  return out
}

/** A base's signature alone (27), or with the base's state (26). */
export function encodeBase(sig: BaseSignature, state: Uint8Array | null): Uint8Array {
  const head = [state ? MESSAGE_SIGNED_BASE : MESSAGE_BASE_SIGNATURE]
  pushVarUint(head, sig.epoch)
  pushVarUint(head, sig.parent)
  const n = sig.cutState >>> 0
  head.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24)
  pushVarUint(head, sig.signer)
  const out = new Uint8Array(head.length + SIGNATURE_BYTES + (state?.length ?? 0))
  out.set(head)
  out.set(sig.signature, head.length)
  if (state) out.set(state, head.length + SIGNATURE_BYTES)
  return out
}

const encoder = new TextEncoder()
const BIND_TAG = encoder.encode('diffstream/bind\0')
const BATCH_TAG = encoder.encode('diffstream/batch\0')
const BASE_TAG = encoder.encode('diffstream/base\0')

function signed(tag: Uint8Array, room: string, fields: number[], key: Uint8Array | null, tail: Uint8Array | null): Uint8Array {
  const name = encoder.encode(room)
  const nums: number[] = []
  for (const f of fields) pushVarUint(nums, f)
  return concatBytes([tag, name, [0], key ?? [], nums, tail ?? []])
}

/** The bytes a binding's signature covers. */
export const bindingBytes = (room: string, publicKey: Uint8Array, client: number): Uint8Array =>
  signed(BIND_TAG, room, [client], publicKey, null)

/** The bytes a batch's signature covers. */
export const batchBytes = (room: string, epoch: number, signer: number, update: Uint8Array): Uint8Array =>
  signed(BATCH_TAG, room, [epoch, signer], null, update)

/** The bytes a base's signature covers. */
export const baseBytes = (
  room: string,
  sig: Pick<BaseSignature, 'epoch' | 'parent' | 'cutState' | 'signer'>,
  state: Uint8Array,
): Uint8Array => signed(BASE_TAG, room, [sig.epoch, sig.parent, sig.cutState >>> 0, sig.signer], null, state)
