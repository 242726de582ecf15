import type { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'
import { InvalidMessageError } from './errors.js'
import { objectHash } from './hash.js'
import type { SourceDigest } from './source-digest.js'

/*
 * The bytes of a SourceDigest inside a DataMsg (docs/wire.md, "Source digest"): flags, the state
 * vector, the vouched writers, the record count, the digest and optionally every record's share.
 */

const ALL_WRITERS = 1
const SHARES = 2
const MAX_ID = Number.MAX_SAFE_INTEGER

/** The digest of a dict from its records' shares: shares sum, so order does not matter. */
export function digestOfShares(shares: Iterable<number>, count: number): number {
  let sum = 0
  for (const s of shares) sum = (sum + s) >>> 0
  return objectHash(sum, count)
}

export function writeSourceDigest(out: number[], d: SourceDigest): void {
  pushVarUint(out, (d.writers === 'all' ? ALL_WRITERS : 0) | (d.shares ? SHARES : 0))
  pushVarUint(out, d.stateVector.size)
  for (const [client, clock] of d.stateVector) {
    pushVarUint(out, client)
    pushVarUint(out, clock)
  }
  if (d.writers !== 'all') {
    pushVarUint(out, d.writers.length)
    for (const w of d.writers) pushVarUint(out, w)
  }
  pushVarUint(out, d.records)
  pushUint32(out, d.digest)
  if (d.shares) for (const s of d.shares) pushUint32(out, s)
}

/** Reads a digest from untrusted bytes; anything malformed or inconsistent is an `InvalidMessageError`. */
export function readSourceDigest(r: ByteReader): SourceDigest {
  const flags = r.varUint()
  if (flags & ~(ALL_WRITERS | SHARES)) r.fail('unknown source digest flags')
  const n = r.count(2)
  const stateVector = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const client = r.varUint()
    if (stateVector.has(client)) r.fail('a client twice in the source state vector')
    stateVector.set(client, r.varUint())
  }
  let writers: 'all' | number[] = 'all'
  if (!(flags & ALL_WRITERS)) {
    const m = r.count(1)
    writers = []
    for (let i = 0; i < m; i++) writers.push(r.varUint())
  }
  const records = r.varUint()
  const digest = r.uint32()
  let shares: number[] | null = null
  if (flags & SHARES) {
    if (records * 4 > r.remaining) r.fail(`${records} record shares exceed the bytes left`)
    shares = []
    for (let i = 0; i < records; i++) shares.push(r.uint32())
    if (digestOfShares(shares, records) !== digest) r.fail('the source digest does not match its shares')
  }
  return { stateVector, writers, records, digest, shares }
}

/** Checks a digest object whose fields anyone may have changed (before it is encoded or used). */
export function checkSourceDigest(d: unknown): void {
  const fail = (what: string): never => {
    throw new InvalidMessageError(`source: ${what}`)
  }
  if (typeof d !== 'object' || d === null) return fail('must be an object or null')
  const { stateVector, writers, records, digest, shares } = d as Partial<SourceDigest>
  if (!(stateVector instanceof Map)) return fail('stateVector must be a Map')
  for (const [client, clock] of stateVector as Map<unknown, unknown>) {
    if (!isId(client) || !isId(clock)) fail('stateVector holds client ids and clocks (safe non-negative integers)')
  }
  if (writers !== 'all' && !(Array.isArray(writers) && writers.every(isId)))
    fail("writers must be 'all' or a list of client ids")
  if (!isId(records)) fail('records must be a count')
  if (!isUint32(digest)) fail('digest must be a uint32')
  if (shares !== null) {
    if (!Array.isArray(shares) || !shares.every(isUint32)) return fail('shares must be uint32s or null')
    if (shares.length !== records) fail('one share per record')
    if (digestOfShares(shares as number[], records!) !== digest) fail('digest does not match the shares')
  }
}

function isId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_ID
}

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff
}

function pushUint32(out: number[], n: number): void {
  out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24)
}
