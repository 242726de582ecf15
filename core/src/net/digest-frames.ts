import type { ByteReader } from '../byte-reader.js'
import { concatBytes, pushVarUint } from '../byte-writer.js'
import { MAX_BUCKETS, validBucketCount } from './record-digest.js'

/*
 * The anti-entropy frames (docs/anti-entropy.md): digests, the buckets or records they lead to ask
 * for, and the heal that replaces a wrong copy's state. DiffStream peers only; every count and
 * index is checked against the frame's bytes before anything is allocated.
 */

export const MESSAGE_DIGEST = 20
export const MESSAGE_DIGEST_WANT = 21
export const MESSAGE_DIGEST_RECORDS = 22
export const MESSAGE_HEAL = 23

/** At most this many owner claims in one digest. */
export const MAX_CLAIMS = 64
/** At most this many records in one `digest-records`. */
export const MAX_DIGEST_RECORDS = 65_536

/** How much a peer is trusted about content: a copy heals only from a higher rank. */
export type Rank = 0 | 1 | 2

/** A peer's word on how far it wrote under one of its own Yjs client ids. */
export interface OwnerClaim {
  client: number
  clock: number
}

/** A decoded anti-entropy frame. */
export type DigestFrame =
  | {
      kind: 'digest'
      epoch: number
      /** An answer to a `digest-want` with no buckets (a confirmation). */
      answer: boolean
      rank: Rank
      stateVector: Uint8Array
      fingerprint: number
      records: number
      claims: OwnerClaim[]
      buckets: Uint32Array
    }
  | { kind: 'digest-want'; epoch: number; bucketCount: number; buckets: number[] }
  | { kind: 'digest-records'; epoch: number; bucketCount: number; fingerprint: number; records: Array<[string, number]> }
  | { kind: 'heal-want'; epoch: number }
  | { kind: 'heal-state'; epoch: number; state: Uint8Array }

/** Whether `type` is one of these frames. */
export const isDigestType = (type: number): boolean => type >= MESSAGE_DIGEST && type <= MESSAGE_HEAL

function readBucketCount(r: ByteReader): number {
  const n = r.varUint()
  if (!validBucketCount(n)) r.fail(`bucket count ${n} is not a power of two up to ${MAX_BUCKETS}`)
  return n
}

/** Reads the payload of a frame of `type` (already read); the caller checks for trailing bytes. */
export function readDigestFrame(type: number, r: ByteReader): DigestFrame {
  const epoch = r.varUint()
  switch (type) {
    case MESSAGE_DIGEST: {
      const flags = r.varUint()
      const rank = (flags >>> 1) & 3
      if (flags > 7 || rank > 2) r.fail(`digest flags ${flags}`)
      const stateVector = r.varBytes()
      const fingerprint = r.uint32()
      const records = r.varUint()
      const n = r.count(2)
      if (n > MAX_CLAIMS) r.fail(`${n} claims in one digest`)
      const claims: OwnerClaim[] = []
      for (let i = 0; i < n; i++) claims.push({ client: r.varUint(), clock: r.varUint() })
      const count = readBucketCount(r)
      const raw = r.take(count * 4)
      const buckets = new Uint32Array(count)
      for (let i = 0; i < count; i++)
        buckets[i] = (raw[i * 4]! | (raw[i * 4 + 1]! << 8) | (raw[i * 4 + 2]! << 16) | (raw[i * 4 + 3]! << 24)) >>> 0
      return { kind: 'digest', epoch, answer: (flags & 1) !== 0, rank: rank as Rank, stateVector, fingerprint, records, claims, buckets }
    }
    case MESSAGE_DIGEST_WANT: {
      const bucketCount = readBucketCount(r)
      const n = r.count(1)
      if (n > bucketCount) r.fail(`${n} buckets asked of ${bucketCount}`)
      const buckets: number[] = []
      for (let i = 0; i < n; i++) {
        const b = r.varUint()
        if (b >= bucketCount || (i > 0 && b <= buckets[i - 1]!)) r.fail(`bucket index ${b} out of order or range`)
        buckets.push(b)
      }
      return { kind: 'digest-want', epoch, bucketCount, buckets }
    }
    case MESSAGE_DIGEST_RECORDS: {
      const bucketCount = readBucketCount(r)
      const fingerprint = r.uint32()
      const n = r.count(5)
      if (n > MAX_DIGEST_RECORDS) r.fail(`${n} records in one frame`)
      const records: Array<[string, number]> = []
      for (let i = 0; i < n; i++) records.push([r.varString(), r.uint32()])
      return { kind: 'digest-records', epoch, bucketCount, fingerprint, records }
    }
    default: {
      const sub = r.varUint()
      if (sub === 0) return { kind: 'heal-want', epoch }
      if (sub === 1) return { kind: 'heal-state', epoch, state: r.varBytes() }
      return r.fail(`unknown heal kind ${sub}`)
    }
  }
}

const u32 = (out: number[], n: number): void => {
  out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff)
}

/** A digest; `claims` beyond MAX_CLAIMS are left out. */
export function encodeDigest(d: Omit<Extract<DigestFrame, { kind: 'digest' }>, 'kind'>): Uint8Array {
  const head = [MESSAGE_DIGEST]
  pushVarUint(head, d.epoch)
  pushVarUint(head, (d.answer ? 1 : 0) | (d.rank << 1))
  pushVarUint(head, d.stateVector.length)
  const mid: number[] = []
  u32(mid, d.fingerprint >>> 0)
  pushVarUint(mid, d.records)
  const claims = d.claims.slice(0, MAX_CLAIMS)
  pushVarUint(mid, claims.length)
  for (const c of claims) {
    pushVarUint(mid, c.client)
    pushVarUint(mid, c.clock)
  }
  pushVarUint(mid, d.buckets.length)
  const buckets = new Uint8Array(d.buckets.length * 4)
  for (let i = 0; i < d.buckets.length; i++) {
    const n = d.buckets[i]!
    buckets[i * 4] = n & 0xff
    buckets[i * 4 + 1] = (n >>> 8) & 0xff
    buckets[i * 4 + 2] = (n >>> 16) & 0xff
    buckets[i * 4 + 3] = n >>> 24
  }
  return concatBytes([head, d.stateVector, mid, buckets])
}

/** Asks for the records of `buckets` (none: a fresh digest, as a confirmation). */
export function encodeDigestWant(epoch: number, bucketCount: number, buckets: readonly number[]): Uint8Array {
  const out = [MESSAGE_DIGEST_WANT]
  pushVarUint(out, epoch)
  pushVarUint(out, bucketCount)
  const sorted = Array.from(new Set(buckets)).sort((a, b) => a - b)
  pushVarUint(out, sorted.length)
  for (const b of sorted) pushVarUint(out, b)
  return Uint8Array.from(out)
}

const utf8 = new TextEncoder()

export function encodeDigestRecords(
  epoch: number,
  bucketCount: number,
  fingerprint: number,
  records: ReadonlyArray<readonly [string, number]>,
): Uint8Array {
  const out = [MESSAGE_DIGEST_RECORDS]
  pushVarUint(out, epoch)
  pushVarUint(out, bucketCount)
  u32(out, fingerprint >>> 0)
  const list = records.slice(0, MAX_DIGEST_RECORDS)
  pushVarUint(out, list.length)
  for (const [id, h] of list) {
    const bytes = utf8.encode(id)
    pushVarUint(out, bytes.length)
    for (const b of bytes) out.push(b)
    u32(out, h >>> 0)
  }
  return Uint8Array.from(out)
}

export function encodeHealWant(epoch: number): Uint8Array {
  const out = [MESSAGE_HEAL]
  pushVarUint(out, epoch)
  out.push(0)
  return Uint8Array.from(out)
}

export function encodeHealState(epoch: number, state: Uint8Array): Uint8Array {
  const head = [MESSAGE_HEAL]
  pushVarUint(head, epoch)
  head.push(1)
  pushVarUint(head, state.length)
  return concatBytes([head, state])
}
