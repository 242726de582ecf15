import { ByteReader } from './byte-reader.js'
import { pushVarUint, writeVarUintAt } from './byte-writer.js'
import { ID_CLIENT, inspectUpdate } from './update-inspect.js'

/*
 * The wire form of a Yjs v1 update inside a DataMsg. Yjs writes every ID (struct groups, origins,
 * parents, deleted ranges) as a full 32-bit client (5 bytes as a varuint) and an absolute clock;
 * a typical update names one or two clients five times or more, at neighbouring clocks. The wire
 * form lists each client once in a table and writes its one-byte index instead, and writes each
 * clock as the zigzag difference from the clock before it. Everything else is byte for byte the
 * same, so the transform is lossless, and the update walker finds the places in both directions.
 */

const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1)
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2)

/** Replaces the values at `spans` (start, end, value, kind quadruples) by `map(value, kind)`. */
function rewrite(
  bytes: Uint8Array,
  spans: number[],
  head: number[],
  map: (value: number, kind: number) => number,
): Uint8Array {
  // A varuint of a safe integer takes at most 8 bytes.
  const out = new Uint8Array(head.length + bytes.length + (spans.length / 4) * 8)
  out.set(head)
  let pos = head.length
  let at = 0
  for (let i = 0; i < spans.length; i += 4) {
    const start = spans[i]!
    out.set(bytes.subarray(at, start), pos)
    pos += start - at
    pos = writeVarUintAt(out, pos, map(spans[i + 2]!, spans[i + 3]!))
    at = spans[i + 1]!
  }
  out.set(bytes.subarray(at), pos)
  pos += bytes.length - at
  return out.subarray(0, pos)
}

/** The wire form of a valid v1 update. */
export function compactUpdate(update: Uint8Array): Uint8Array {
  const spans: number[] = []
  inspectUpdate(update, spans)
  const index = new Map<number, number>()
  for (let i = 0; i < spans.length; i += 4) {
    if (spans[i + 3] === ID_CLIENT && !index.has(spans[i + 2]!)) index.set(spans[i + 2]!, index.size)
  }
  const head: number[] = []
  pushVarUint(head, index.size)
  for (const client of index.keys()) pushVarUint(head, client)
  let clock = 0
  return rewrite(update, spans, head, (value, kind) => {
    if (kind === ID_CLIENT) return index.get(value)!
    const delta = zigzag(value - clock)
    clock = value
    return delta
  })
}

/** The v1 update back from its wire form; throws `InvalidMessageError` when malformed. */
export function expandUpdate(bytes: Uint8Array): Uint8Array {
  const r = new ByteReader(bytes)
  const n = r.count(1)
  const table: number[] = []
  for (let i = 0; i < n; i++) table.push(r.varUint())
  const body = bytes.subarray(r.pos)
  const spans: number[] = []
  inspectUpdate(body, spans)
  let clock = 0
  return rewrite(body, spans, [], (value, kind) => {
    if (kind === ID_CLIENT) {
      if (value >= table.length) r.fail(`client index ${value} outside a table of ${table.length}`)
      return table[value]!
    }
    clock += unzigzag(value)
    if (clock < 0 || clock > Number.MAX_SAFE_INTEGER) r.fail('clock out of range')
    return clock
  })
}
