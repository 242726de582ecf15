import * as Y from 'yjs'
import { baseClientOf } from './epoch.js'
import type { JsonValue } from './json.js'
import { ROOT_NAME } from './root.js'
import { dependenciesMet, type UpdateInspection } from './update-inspect.js'

/*
 * An epoch's base: the live records written into an empty document in one transaction by the
 * epoch's own client id, records and fields in sorted order. Every copy that holds the same live
 * state builds byte-identical bases, so copies that are in sync move to a new epoch without sending
 * it; only a copy that is behind needs the base over the wire.
 */

/** A root map beside the dict that records which epoch a document's base belongs to. */
export const EPOCH_MARKER = 'diffstream-epoch'

/** Mirror value for a plain one, with object fields in sorted order (insertion order is history). */
function sortedMirror(value: JsonValue): unknown {
  if (Array.isArray(value)) {
    const arr = new Y.Array<unknown>()
    arr.insert(0, value.map(sortedMirror))
    return arr
  }
  if (value !== null && typeof value === 'object') {
    const map = new Y.Map<unknown>()
    for (const k of Object.keys(value).sort()) {
      const v = value[k]
      if (v !== undefined) map.set(k, sortedMirror(v))
    }
    return map
  }
  return value
}

/** A new document holding `records` as epoch `epoch`'s base. */
export function buildBaseDoc(records: Iterable<[string, JsonValue]>, epoch: number): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = baseClientOf(epoch)
  const root = doc.getMap(ROOT_NAME)
  const sorted = Array.from(records).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  doc.transact(() => {
    // A marker outside the dict, so that even an empty base has a struct of the base client (which
    // is how a receiver recognises a whole base).
    doc.getMap(EPOCH_MARKER).set('epoch', epoch)
    for (const [id, value] of sorted) root.set(id, sortedMirror(value))
  })
  return doc
}

/**
 * Whether an update holds an epoch's whole base: it starts at clock 0 of the base client and
 * depends on nothing outside itself, so it can start a document from nothing.
 */
export function holdsBase(inspection: UpdateInspection, epoch: number): boolean {
  return inspection.ranges.get(baseClientOf(epoch))?.start === 0 && dependenciesMet(inspection, () => 0)
}
