import { ByteReader } from './byte-reader.js'

/** What a Yjs (v1) update contains, as far as deciding whether it can be applied goes. */
export interface UpdateInspection {
  /** Per writing client, the clock range `[start, end)` of the structs the update carries. */
  readonly ranges: Map<number, { start: number; end: number }>
  /** IDs the structs refer to (origins, parents), flattened as client, clock pairs. */
  readonly refs: number[]
  /** Deleted ranges, flattened as client, clock, length triples. */
  readonly deletes: number[]
}

const MAX_ANY_DEPTH = 64
/** Clocks stay far below this; the wire codec's zigzag deltas (up to twice a clock) must pass too. */
const MAX_CLOCK = 2 ** 53 - 1

/** Kinds of the ID spans reported to the wire codec. */
export const ID_CLIENT = 0
export const ID_CLOCK = 1

// Content references of Yjs' item encoding (info & 0b11111).
const GC = 0
const DELETED = 1
const JSON_CONTENT = 2
const BINARY = 3
const STRING = 4
const EMBED = 5
const FORMAT = 6
const TYPE = 7
const ANY = 8
const DOC = 9
const SKIP = 10

/**
 * Walks a Yjs v1 update and checks every length, count and tag against the bytes that are really
 * there, before Yjs sees it: lib0's decoder trusts its input and can loop or throw half-way through
 * an apply on crafted bytes (yjs #479, #498). Throws `InvalidMessageError` on anything malformed,
 * including trailing bytes.
 */
export function inspectUpdate(update: Uint8Array, idSpans?: number[]): UpdateInspection {
  const r = new ByteReader(update)
  // Where each client id and each clock of an ID sits, as start, end, value, kind (ID_CLIENT or
  // ID_CLOCK) quadruples, for the wire codec.
  const id = (kind: number): number => {
    const start = r.pos
    const value = r.varUint()
    idSpans?.push(start, r.pos, value, kind)
    return value
  }
  const client = (): number => id(ID_CLIENT)
  const clockOf = (): number => id(ID_CLOCK)
  const ranges = new Map<number, { start: number; end: number }>()
  const refs: number[] = []
  const deletes: number[] = []

  const clients = r.count(3)
  for (let c = 0; c < clients; c++) {
    const structs = r.count(1)
    const writer = client()
    const start = clockOf()
    if (ranges.has(writer)) r.fail(`client ${writer} appears twice`)
    let clock = start
    for (let s = 0; s < structs; s++) {
      const info = r.u8()
      const ref = info & 0b11111
      if (ref === GC || ref === SKIP) {
        if ((info & 0b11100000) !== 0) r.fail('flags on a GC/skip struct')
        clock += positive(r, r.varUint())
      } else {
        const hasOrigin = (info & 0x80) !== 0
        const hasRightOrigin = (info & 0x40) !== 0
        if (hasOrigin) refs.push(client(), clockOf())
        if (hasRightOrigin) refs.push(client(), clockOf())
        if (!hasOrigin && !hasRightOrigin) {
          const parentIsRoot = r.varUint()
          if (parentIsRoot === 1) r.skipVarString()
          else if (parentIsRoot === 0) refs.push(client(), clockOf())
          else r.fail('bad parent info')
          // Yjs sets the parentSub flag on every map entry but writes the name only here.
          if (info & 0x20) r.varString()
        }
        clock += contentLength(r, ref)
      }
      if (clock > MAX_CLOCK) r.fail('clock out of range')
    }
    ranges.set(writer, { start, end: clock })
  }

  const dsClients = r.count(2)
  for (let c = 0; c < dsClients; c++) {
    const deleter = client()
    const n = r.count(2)
    for (let i = 0; i < n; i++) {
      const clock = clockOf()
      const len = positive(r, r.varUint())
      if (clock + len > MAX_CLOCK) r.fail('delete range out of range')
      deletes.push(deleter, clock, len)
    }
  }
  if (r.remaining !== 0) r.fail('trailing bytes')
  return { ranges, refs, deletes }
}

function positive(r: ByteReader, n: number): number {
  if (n < 1) r.fail('zero-length struct')
  return n
}

function contentLength(r: ByteReader, ref: number): number {
  switch (ref) {
    case DELETED:
      return positive(r, r.varUint())
    case JSON_CONTENT: {
      const n = positive(r, r.count(1))
      for (let i = 0; i < n; i++) {
        const s = r.varString()
        if (s !== 'undefined') parseJson(r, s)
      }
      return n
    }
    case BINARY:
      r.varBytes()
      return 1
    case STRING:
      return positive(r, r.varString().length)
    case EMBED:
      parseJson(r, r.varString())
      return 1
    case FORMAT:
      r.varString()
      parseJson(r, r.varString())
      return 1
    case TYPE: {
      const typeRef = r.varUint()
      if (typeRef > 6) r.fail(`unknown type ${typeRef}`)
      if (typeRef === 3 || typeRef === 5) r.varString()
      return 1
    }
    case ANY: {
      const n = positive(r, r.count(1))
      for (let i = 0; i < n; i++) skipAny(r, 0)
      return n
    }
    case DOC:
      r.varString()
      skipAny(r, 0)
      return 1
    default:
      return r.fail(`unknown content ${ref}`)
  }
}

function parseJson(r: ByteReader, s: string): void {
  try {
    JSON.parse(s)
  } catch {
    r.fail('embedded JSON does not parse')
  }
}

/** Skips one value of lib0's `writeAny` encoding. */
function skipAny(r: ByteReader, depth: number): void {
  if (depth > MAX_ANY_DEPTH) r.fail('value nested too deeply')
  const tag = r.u8()
  switch (tag) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return
    case 125:
      r.varInt()
      return
    case 124:
      r.skip(4)
      return
    case 123:
    case 122:
      r.skip(8)
      return
    case 119: // strings: lib0 decodes them leniently, so their bytes need no check here
      r.skipVarString()
      return
    case 118: {
      const n = r.count(2)
      for (let i = 0; i < n; i++) {
        r.skipVarString()
        skipAny(r, depth + 1)
      }
      return
    }
    case 117: {
      const n = r.count(1)
      for (let i = 0; i < n; i++) skipAny(r, depth + 1)
      return
    }
    case 116:
      r.varBytes()
      return
    default:
      r.fail(`unknown value tag ${tag}`)
  }
}

/** The clock up to which `client`'s structs are known once `inspection` is applied on top of `local`. */
function available(inspection: UpdateInspection, local: (client: number) => number, client: number): number {
  const have = local(client)
  const range = inspection.ranges.get(client)
  return range && range.start <= have ? Math.max(have, range.end) : have
}

/**
 * Whether everything the update builds on is already known locally (`local(client)` is the local
 * clock of each client), so that applying it integrates completely instead of leaving Yjs with
 * pending structs.
 */
export function dependenciesMet(inspection: UpdateInspection, local: (client: number) => number): boolean {
  for (const [client, range] of inspection.ranges) {
    if (range.start > local(client)) return false
  }
  const { refs, deletes } = inspection
  for (let i = 0; i < refs.length; i += 2) {
    if (refs[i + 1]! >= available(inspection, local, refs[i]!)) return false
  }
  for (let i = 0; i < deletes.length; i += 3) {
    if (deletes[i + 1]! + deletes[i + 2]! > available(inspection, local, deletes[i]!)) return false
  }
  return true
}
