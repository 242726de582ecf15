import * as Y from 'yjs'
import { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'

/**
 * What a document held when it was compacted: its state vector (what was inserted) and its delete
 * set (what was deleted). A write is in the new epoch exactly when the cut covers it, which is how
 * a peer that comes back from the old epoch knows which of its writes to replay.
 */
export interface Cut {
  sv: Map<number, number>
  ds: Map<number, Array<[clock: number, len: number]>>
}

/** The cut of `doc` now. */
export function cutOf(doc: Y.Doc): Cut {
  const snap = Y.snapshot(doc)
  const ds = new Map<number, Array<[number, number]>>()
  for (const [client, items] of snap.ds.clients) {
    ds.set(
      client,
      items.map((i) => [i.clock, i.len]),
    )
  }
  return { sv: new Map(snap.sv), ds }
}

/** Whether the cut holds every insert in `[from, to)` of `client`. */
export function coversInserts(cut: Cut, client: number, from: number, to: number): boolean {
  return to <= from || (cut.sv.get(client) ?? 0) >= to
}

/** Whether the cut holds the deletion of every unit in `ranges` (per client). */
export function coversDeletes(cut: Cut, deletes: ReadonlyArray<readonly [number, number, number]>): boolean {
  for (const [client, clock, len] of deletes) {
    const ranges = cut.ds.get(client)
    if (!ranges || !rangeCovered(ranges, clock, len)) return false
  }
  return true
}

function rangeCovered(ranges: ReadonlyArray<readonly [number, number]>, clock: number, len: number): boolean {
  // Yjs keeps delete ranges sorted and merged; a binary search finds the one that could hold `clock`.
  let lo = 0
  let hi = ranges.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const [c, l] = ranges[mid]!
    if (clock < c) hi = mid - 1
    else if (clock >= c + l) lo = mid + 1
    else return clock + len <= c + l
  }
  return false
}

/** Bytes of a cut: client count, then per client its clock and its delete ranges. */
export function encodeCut(cut: Cut): Uint8Array {
  const out: number[] = []
  const clients = new Set([...cut.sv.keys(), ...cut.ds.keys()])
  pushVarUint(out, clients.size)
  for (const client of clients) {
    pushVarUint(out, client)
    pushVarUint(out, cut.sv.get(client) ?? 0)
    const ranges = cut.ds.get(client) ?? []
    pushVarUint(out, ranges.length)
    let at = 0
    // Ranges are sorted: each start is sent as the gap from the previous end.
    for (const [clock, len] of ranges) {
      pushVarUint(out, clock - at)
      pushVarUint(out, len)
      at = clock + len
    }
  }
  return Uint8Array.from(out)
}

/** Decodes untrusted cut bytes with bounds checks; throws `InvalidMessageError`. */
export function decodeCut(bytes: Uint8Array): Cut {
  const r = new ByteReader(bytes)
  const sv = new Map<number, number>()
  const ds = new Map<number, Array<[number, number]>>()
  const n = r.count(3)
  for (let i = 0; i < n; i++) {
    const client = r.varUint()
    if (sv.has(client)) r.fail('a client listed twice in a cut')
    sv.set(client, r.varUint())
    const m = r.count(2)
    const ranges: Array<[number, number]> = []
    let at = 0
    for (let j = 0; j < m; j++) {
      const clock = at + r.varUint()
      const len = r.varUint()
      if (len === 0 || !Number.isSafeInteger(clock + len)) r.fail('a bad delete range in a cut')
      ranges.push([clock, len])
      at = clock + len
    }
    if (ranges.length > 0) ds.set(client, ranges)
  }
  if (r.remaining !== 0) r.fail('trailing bytes after a cut')
  return { sv, ds }
}
