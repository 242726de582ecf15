import { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'
import { inspectUpdate, type UpdateInspection } from './update-inspect.js'
import { COMPACT, EXPAND, walkUpdate } from './update-walker.js'

/*
 * The wire form of a Yjs v1 update inside a DataMsg. Yjs writes every ID (struct groups, origins,
 * parents, deleted ranges) as a full 32-bit client (5 bytes as a varuint) and an absolute clock;
 * a typical update names one or two clients five times or more, at neighbouring clocks. The wire
 * form lists each client once in a table and writes its one-byte index instead, and writes each
 * clock as the zigzag difference from the clock before it. Everything else is byte for byte the
 * same, so the transform is lossless, and the update walker rewrites it in one pass either way.
 * An empty table means the update follows as it is (large updates; see docs/wire.md).
 */

/** Updates from this size on are sent as they are (wire form with an empty table). */
export const VERBATIM_BYTES = 64 * 1024

/**
 * The wire form of a valid v1 update in two parts: the client table, then the body, which is a view
 * of a buffer the next update walk overwrites (copy it at once).
 */
export function compactParts(update: Uint8Array): { table: number[]; body: Uint8Array } {
  // A large update (a catch-up) travels as it is: rewriting its IDs would cost both sides more
  // time than the bytes it saves (docs/wire.md).
  if (update.length >= VERBATIM_BYTES) return { table: [0], body: update }
  const { out, clients } = walkUpdate(update, COMPACT, [], true)
  const table: number[] = []
  pushVarUint(table, clients.length)
  for (const client of clients) pushVarUint(table, client)
  return { table, body: out! }
}

/** The wire form of a valid v1 update. */
export function compactUpdate(update: Uint8Array): Uint8Array {
  const { table, body } = compactParts(update)
  const result = new Uint8Array(table.length + body.length)
  result.set(table)
  result.set(body, table.length)
  return result
}

/**
 * The v1 update back from its wire form, checked and inspected on the way (one pass); throws
 * `InvalidMessageError` when malformed.
 */
export function expandInspected(bytes: Uint8Array): { update: Uint8Array; inspection: UpdateInspection } {
  const r = new ByteReader(bytes)
  const n = r.count(1)
  if (n === 0) {
    const update = bytes.subarray(r.pos)
    return { update, inspection: inspectUpdate(update) }
  }
  const table: number[] = []
  for (let i = 0; i < n; i++) table.push(r.varUint())
  const { out, ranges, needs, deletes } = walkUpdate(bytes.subarray(r.pos), EXPAND, table)
  return { update: out!, inspection: { ranges, needs, deletes } }
}

/** The v1 update back from its wire form; throws `InvalidMessageError` when malformed. */
export function expandUpdate(bytes: Uint8Array): Uint8Array {
  return expandInspected(bytes).update
}
