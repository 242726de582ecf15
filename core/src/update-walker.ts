import { InvalidMessageError } from './errors.js'

/*
 * One pass over a Yjs v1 update that checks every length, count and tag against the bytes that
 * are really there (lib0's decoder trusts its input and can loop or throw half-way through an
 * apply on crafted bytes, yjs #479, #498), notes what the update needs and carries, and — for the
 * wire codec (update-codec.ts) — copies the update while rewriting its IDs, so that decoding a
 * message walks its update once.
 */

/** How the walk treats the IDs (client ids and clocks) it meets. */
export const INSPECT = 0
/** Writes each client as its index in a table built on the way, each clock as a zigzag delta. */
export const COMPACT = 1
/** The reverse of COMPACT: indexes into a given table, deltas into clocks. */
export const EXPAND = 2
/** As INSPECT, and lists every struct with its bytes and what it refers to (see `StructList`). */
export const SCAN = 3

const MAX_ANY_DEPTH = 64
/** Clocks stay far below this; the wire codec's zigzag deltas (up to twice a clock) must pass too. */
const MAX_CLOCK = 2 ** 53 - 1

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

const utf8 = new TextDecoder('utf-8', { fatal: true })
const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1)
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2)

/** What the walk found: per client the clock range carried, what the structs refer to, the deletes. */
export interface WalkResult {
  ranges: Map<number, { start: number; end: number }>
  /** Per client, one past the highest clock that an origin or parent refers to. */
  needs: Map<number, number>
  /** Deleted ranges, flattened as client, clock, length triples. */
  deletes: number[]
  /** The rewritten update (COMPACT, EXPAND), without the client table. */
  out: Uint8Array | null
  /** COMPACT: the clients in the order of their indexes. */
  clients: number[]
  /** SCAN: the structs. */
  structs: StructList | null
}

/**
 * The structs of an update (SCAN), flattened per struct as: writer client, first clock, clock
 * length, first byte, end byte, number of references `r`, then `r` pairs of (client, clock) — the
 * origins and parent it needs. `deleteSetAt` is where the delete set starts.
 */
export interface StructList {
  data: number[]
  deleteSetAt: number
}

/**
 * Walks `bytes` (a v1 update, or its wire form for EXPAND with `table`); throws `InvalidMessageError`.
 * With `borrow`, `out` may be a view of a buffer the next walk overwrites: copy it before then.
 */
export function walkUpdate(bytes: Uint8Array, mode: number, table: readonly number[] = [], borrow = false): WalkResult {
  return new Walker(bytes, mode, table, borrow).run()
}

/** Where small updates are rewritten before their bytes are copied out: allocating a buffer per message costs more than the copy. */
let scratch = new Uint8Array(64 * 1024)

class Walker {
  private pos = 0
  private readonly out: { buf: Uint8Array; pos: number } | null
  /** Input up to here is in `out` already. */
  private copied = 0
  /** The clock before, for delta coding. */
  private clock = 0
  private readonly index = new Map<number, number>()
  private readonly clients: number[] = []
  private readonly ranges = new Map<number, { start: number; end: number }>()
  private readonly needs = new Map<number, number>()
  private readonly deletes: number[] = []
  // The client last referred to and its highest clock so far, flushed into `needs` on a change:
  // most references name the same client as the one before.
  private needClient = -1
  private needClock = 0
  private readonly scan: number[] | null
  private deleteSetAt = 0
  /** SCAN: where the header of the struct being read is. */
  private structAt = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly mode: number,
    private readonly table: readonly number[],
    private readonly borrow: boolean,
  ) {
    // Expanding turns one-byte indexes and deltas into full ids: room for a few bytes more per ID.
    const room = bytes.length * (mode === EXPAND ? 2 : 1) + 64
    this.scan = mode === SCAN ? [] : null
    this.out =
      mode === INSPECT || mode === SCAN
        ? null
        : { buf: room <= scratch.length ? scratch : new Uint8Array(room), pos: 0 }
  }

  run(): WalkResult {
    const clients = this.count(3)
    for (let c = 0; c < clients; c++) this.structGroup()
    this.deleteSetAt = this.pos
    const dsClients = this.count(2)
    for (let c = 0; c < dsClients; c++) {
      const deleter = this.idClient()
      const n = this.count(2)
      for (let i = 0; i < n; i++) {
        const clock = this.idClock()
        const len = this.positive(this.varUint())
        if (clock + len > MAX_CLOCK) this.fail('delete range out of range')
        this.deletes.push(deleter, clock, len)
      }
    }
    if (this.pos !== this.bytes.length) this.fail('trailing bytes')
    this.flushNeed()
    let out: Uint8Array | null = null
    if (this.out) {
      this.copyTo(this.bytes.length)
      const { buf, pos } = this.out
      // The scratch buffer is shared, and a buffer much larger than its content would stay alive
      // with it (a recovery point keeps updates): both are copied out.
      if ((buf === scratch && !this.borrow) || buf.length > pos + (pos >> 2) + 1024) out = buf.slice(0, pos)
      else out = buf.subarray(0, pos)
    }
    const structs = this.scan ? { data: this.scan, deleteSetAt: this.deleteSetAt } : null
    return { ranges: this.ranges, needs: this.needs, deletes: this.deletes, out, clients: this.clients, structs }
  }

  private structGroup(): void {
    const structs = this.count(1)
    const writer = this.idClient()
    const start = this.idClock()
    if (this.ranges.has(writer)) this.fail(`client ${writer} appears twice`)
    let clock = start
    const scan = this.scan
    for (let s = 0; s < structs; s++) {
      const at = scan ? scan.length : 0
      if (scan) {
        this.structAt = at
        scan.push(writer, clock, 0, this.pos, 0, 0)
      }
      const info = this.u8()
      const ref = info & 0b11111
      if (ref === GC || ref === SKIP) {
        if ((info & 0b11100000) !== 0) this.fail('flags on a GC/skip struct')
        clock += this.positive(this.varUint())
      } else {
        const hasOrigin = (info & 0x80) !== 0
        const hasRightOrigin = (info & 0x40) !== 0
        if (hasOrigin) this.need(this.idClient(), this.idClock())
        if (hasRightOrigin) this.need(this.idClient(), this.idClock())
        if (!hasOrigin && !hasRightOrigin) {
          const parentIsRoot = this.varUint()
          if (parentIsRoot === 1) this.skip(this.varUint())
          else if (parentIsRoot === 0) this.need(this.idClient(), this.idClock())
          else this.fail('bad parent info')
          // Yjs sets the parentSub flag on every map entry but writes the name only here.
          if (info & 0x20) this.utf16Length()
        }
        clock += this.content(ref)
      }
      if (clock > MAX_CLOCK) this.fail('clock out of range')
      if (scan) {
        scan[at + 2] = clock - scan[at + 1]!
        scan[at + 4] = this.pos
      }
    }
    this.ranges.set(writer, { start, end: clock })
  }

  private need(client: number, clock: number): void {
    if (this.scan) {
      // the struct being read is the last one listed: its references follow its header
      this.scan.push(client, clock)
      this.scan[this.structAt + 5]!++
    }
    if (client !== this.needClient) {
      this.flushNeed()
      this.needClient = client
      this.needClock = this.needs.get(client) ?? 0
    }
    if (clock + 1 > this.needClock) this.needClock = clock + 1
  }

  private flushNeed(): void {
    if (this.needClient >= 0) this.needs.set(this.needClient, this.needClock)
  }

  // --- IDs ----------------------------------------------------------------------------------

  private idClient(): number {
    const start = this.pos
    const v = this.varUint()
    if (this.mode === INSPECT || this.mode === SCAN) return v
    if (this.mode === COMPACT) {
      let i = this.index.get(v)
      if (i === undefined) {
        i = this.clients.length
        this.index.set(v, i)
        this.clients.push(v)
      }
      this.emit(start, i)
      return v
    }
    if (v >= this.table.length) this.fail(`client index ${v} outside a table of ${this.table.length}`)
    const client = this.table[v]!
    this.emit(start, client)
    return client
  }

  private idClock(): number {
    const start = this.pos
    const v = this.varUint()
    if (this.mode === INSPECT || this.mode === SCAN) return v
    if (this.mode === COMPACT) {
      this.emit(start, zigzag(v - this.clock))
      this.clock = v
      return v
    }
    const clock = this.clock + unzigzag(v)
    if (clock < 0 || clock > MAX_CLOCK) this.fail('clock out of range')
    this.clock = clock
    this.emit(start, clock)
    return clock
  }

  /** Copies the input before the ID that starts at `start`, then writes `value` in its place. */
  private emit(start: number, value: number): void {
    this.copyTo(start)
    this.ensure(10)
    const o = this.out!
    let n = value
    while (n > 0x7f) {
      o.buf[o.pos++] = 0x80 | (n % 128)
      n = Math.floor(n / 128)
    }
    o.buf[o.pos++] = n
    this.copied = this.pos
  }

  private copyTo(end: number): void {
    const len = end - this.copied
    if (len <= 0) return
    this.ensure(len)
    const o = this.out!
    if (len < 32) {
      // short runs are most of them: a loop beats creating a subarray
      for (let i = this.copied; i < end; i++) o.buf[o.pos++] = this.bytes[i]!
    } else {
      o.buf.set(this.bytes.subarray(this.copied, end), o.pos)
      o.pos += len
    }
    this.copied = end
  }

  private ensure(extra: number): void {
    const o = this.out!
    if (o.pos + extra <= o.buf.length) return
    const grown = new Uint8Array(Math.max(o.buf.length * 2, o.pos + extra + 64))
    grown.set(o.buf.subarray(0, o.pos))
    // the scratch buffer was too small: keep the larger one for the next walks, up to 1 MiB
    if (o.buf === scratch && grown.length <= 1024 * 1024) scratch = grown
    o.buf = grown
  }

  // --- contents -----------------------------------------------------------------------------

  private content(ref: number): number {
    switch (ref) {
      case DELETED:
        return this.positive(this.varUint())
      case JSON_CONTENT: {
        const n = this.positive(this.count(1))
        for (let i = 0; i < n; i++) {
          const s = this.string()
          if (s !== 'undefined') this.parseJson(s)
        }
        return n
      }
      case BINARY:
        this.skip(this.varUint())
        return 1
      case STRING:
        return this.positive(this.utf16Length())
      case EMBED:
        this.parseJson(this.string())
        return 1
      case FORMAT:
        this.utf16Length()
        this.parseJson(this.string())
        return 1
      case TYPE: {
        const typeRef = this.varUint()
        if (typeRef > 6) this.fail(`unknown type ${typeRef}`)
        if (typeRef === 3 || typeRef === 5) this.utf16Length()
        return 1
      }
      case ANY: {
        const n = this.positive(this.count(1))
        for (let i = 0; i < n; i++) this.skipAny(0)
        return n
      }
      case DOC:
        this.utf16Length()
        this.skipAny(0)
        return 1
      default:
        return this.fail(`unknown content ${ref}`)
    }
  }

  private parseJson(s: string): void {
    try {
      JSON.parse(s)
    } catch {
      this.fail('embedded JSON does not parse')
    }
  }

  /** Skips one value of lib0's `writeAny` encoding. */
  private skipAny(depth: number): void {
    if (depth > MAX_ANY_DEPTH) this.fail('value nested too deeply')
    const tag = this.u8()
    switch (tag) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        return
      case 125:
        this.varInt()
        return
      case 124:
        this.skip(4)
        return
      case 123:
      case 122:
        this.skip(8)
        return
      case 119: // strings: lib0 decodes them leniently, so their bytes need no check here
        this.skip(this.varUint())
        return
      case 118: {
        const n = this.count(2)
        for (let i = 0; i < n; i++) {
          this.skip(this.varUint())
          this.skipAny(depth + 1)
        }
        return
      }
      case 117: {
        const n = this.count(1)
        for (let i = 0; i < n; i++) this.skipAny(depth + 1)
        return
      }
      case 116:
        this.skip(this.varUint())
        return
      default:
        this.fail(`unknown value tag ${tag}`)
    }
  }

  // --- bytes --------------------------------------------------------------------------------

  private fail(what: string): never {
    throw new InvalidMessageError(`${what} at byte ${this.pos} of ${this.bytes.length}`)
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) this.fail('truncated')
    return this.bytes[this.pos++]!
  }

  private varUint(): number {
    const b = this.u8()
    if (b < 0x80) return b
    let num = b & 0x7f
    let mult = 128
    for (let i = 1; i < 8; i++) {
      const c = this.u8()
      num += (c & 0x7f) * mult
      if (c < 0x80) {
        if (num > Number.MAX_SAFE_INTEGER) this.fail('integer out of range')
        return num
      }
      mult *= 128
    }
    return this.fail('integer too long')
  }

  /** lib0's signed varint: sign in bit 6 of the first byte. */
  private varInt(): void {
    let b = this.u8()
    let num = b & 0x3f
    let mult = 64
    let i = 0
    while (b & 0x80) {
      if (++i > 7) this.fail('integer too long')
      b = this.u8()
      num += (b & 0x7f) * mult
      mult *= 128
    }
    if (num > Number.MAX_SAFE_INTEGER) this.fail('integer out of range')
  }

  /** A count of things that each take at least `minBytes`: bounded by what is left. */
  private count(minBytes: number): number {
    const n = this.varUint()
    if (n * minBytes > this.bytes.length - this.pos) this.fail(`count ${n} exceeds the bytes left`)
    return n
  }

  private skip(n: number): void {
    if (n > this.bytes.length - this.pos) this.fail('truncated')
    this.pos += n
  }

  private positive(n: number): number {
    if (n < 1) this.fail('zero-length struct')
    return n
  }

  /** A varstring that must be UTF-8; returns its length in UTF-16 code units, as Yjs counts. */
  private utf16Length(): number {
    const len = this.varUint()
    if (len > this.bytes.length - this.pos) this.fail('truncated')
    const start = this.pos
    const end = start + len
    const b = this.bytes
    let i = start
    while (i < end && b[i]! < 0x80) i++
    this.pos = end
    if (i === end) return len
    try {
      return utf8.decode(b.subarray(start, end)).length
    } catch {
      return this.fail('string is not UTF-8')
    }
  }

  private string(): string {
    const len = this.varUint()
    if (len > this.bytes.length - this.pos) this.fail('truncated')
    const start = this.pos
    this.pos += len
    try {
      return utf8.decode(this.bytes.subarray(start, start + len))
    } catch {
      return this.fail('string is not UTF-8')
    }
  }
}
