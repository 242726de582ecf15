import type { ByteReader } from '../byte-reader.js'
import { pushVarUint } from '../byte-writer.js'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './writer-key.js'

/*
 * Frames of signed rooms (docs/writers.md): a writer's binding of a Yjs client id to its public key,
 * and a signed batch of updates. y-webrtc does not know these types.
 */

export const MESSAGE_WRITER_BINDING = 24
export const MESSAGE_SIGNED_BATCH = 25
/** Reserved for signed epoch bases (not sent yet; ignored). */
export const MESSAGE_SIGNED_RESERVED_FIRST = 26
export const MESSAGE_SIGNED_RESERVED_LAST = 27

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

/** A decoded signed-room frame. */
export type WriterFrame =
  | ({ kind: 'writer-binding' } & WriterBinding)
  | ({ kind: 'signed-batch'; answer: boolean } & SignedBatch)

/** Whether `type` is one of these frames (the reserved ones decode as `other`). */
export const isWriterType = (type: number): boolean => type === MESSAGE_WRITER_BINDING || type === MESSAGE_SIGNED_BATCH

/** Reads the payload of a frame of `type` (already read); the caller checks for trailing bytes. */
export function readWriterFrame(type: number, r: ByteReader): WriterFrame {
  if (type === MESSAGE_WRITER_BINDING) {
    const publicKey = r.take(PUBLIC_KEY_BYTES)
    const client = r.varUint()
    return { kind: 'writer-binding', publicKey, client, signature: r.take(SIGNATURE_BYTES) }
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

const encoder = new TextEncoder()
const BIND_TAG = encoder.encode('diffstream/bind\0')
const BATCH_TAG = encoder.encode('diffstream/batch\0')

function signed(tag: Uint8Array, room: string, fields: number[], key: Uint8Array | null, tail: Uint8Array | null): Uint8Array {
  const name = encoder.encode(room)
  const nums: number[] = []
  for (const f of fields) pushVarUint(nums, f)
  const parts = [tag, name, Uint8Array.of(0), key ?? new Uint8Array(0), Uint8Array.from(nums), tail ?? new Uint8Array(0)]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The bytes a binding's signature covers. */
export const bindingBytes = (room: string, publicKey: Uint8Array, client: number): Uint8Array =>
  signed(BIND_TAG, room, [client], publicKey, null)

/** The bytes a batch's signature covers. */
export const batchBytes = (room: string, epoch: number, signer: number, update: Uint8Array): Uint8Array =>
  signed(BATCH_TAG, room, [epoch, signer], null, update)
