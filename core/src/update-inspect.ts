import { INSPECT, walkUpdate } from './update-walker.js'

/** What a Yjs (v1) update contains, as far as deciding whether it can be applied goes. */
export interface UpdateInspection {
  /** Per writing client, the clock range `[start, end)` of the structs the update carries. */
  readonly ranges: Map<number, { start: number; end: number }>
  /** Per client, one past the highest clock the structs refer to (origins, parents). */
  readonly needs: Map<number, number>
  /** Deleted ranges, flattened as client, clock, length triples. */
  readonly deletes: number[]
}

/**
 * Walks a Yjs v1 update and checks every length, count and tag against the bytes that are really
 * there, before Yjs sees it: lib0's decoder trusts its input and can loop or throw half-way through
 * an apply on crafted bytes (yjs #479, #498). Throws `InvalidMessageError` on anything malformed,
 * including trailing bytes.
 */
export function inspectUpdate(update: Uint8Array): UpdateInspection {
  const { ranges, needs, deletes } = walkUpdate(update, INSPECT)
  return { ranges, needs, deletes }
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
 * pending structs. (Every client's structs must continue where the local ones end, so what is
 * known of a client is a prefix of its clocks: its highest reference decides.)
 */
export function dependenciesMet(inspection: UpdateInspection, local: (client: number) => number): boolean {
  for (const [client, range] of inspection.ranges) {
    if (range.start > local(client)) return false
  }
  for (const [client, need] of inspection.needs) {
    if (need > available(inspection, local, client)) return false
  }
  const { deletes } = inspection
  for (let i = 0; i < deletes.length; i += 3) {
    if (deletes[i + 1]! + deletes[i + 2]! > available(inspection, local, deletes[i]!)) return false
  }
  return true
}
