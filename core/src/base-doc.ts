import * as Y from 'yjs'
import { baseClientOf } from './epoch.js'
import { writeNode, type StampedNode, type StampSink } from './stamped-merge.js'
import { BASE_KEY, compareStamps, encodeBaseStamps, STAMPS_NAME, type ExplicitStamp } from './stamps.js'
import { ROOT_NAME } from './root.js'
import { dependenciesMet, type UpdateInspection } from './update-inspect.js'

/*
 * An epoch's base: the live records (and the newest deletions) written into an empty document in
 * one transaction by the epoch's own client id, records and fields in sorted order, with their
 * stamps. Every copy that holds the same state builds byte-identical bases, so copies that are in
 * sync move to a new epoch without sending it; only a copy that is behind needs the base.
 */

/** A root map beside the dict that records which epoch a document's base belongs to. */
export const EPOCH_MARKER = 'diffstream-epoch'

/** How many deleted records an epoch's base remembers (the newest, by stamp); see docs/compaction.md. */
export const BASE_TOMBSTONES = 10_000

/**
 * A new document holding `records` (the dict's keys with their values and stamps, deletions
 * included) as epoch `epoch`'s base. Values keep their stamps, in the base's one `base` entry.
 */
export function buildBaseDoc(records: ReadonlyMap<string, StampedNode>, epoch: number): Y.Doc {
  const doc = new Y.Doc()
  const client = baseClientOf(epoch)
  doc.clientID = client
  const root = doc.getMap(ROOT_NAME)
  const kept = keptRecords(records)
  const stamps: Array<[number, ExplicitStamp]> = []
  const sink: StampSink = (item, s, floor) => stamps.push([item.id.clock, { s, floor }])
  doc.transact(() => {
    // A marker outside the dict, so that even an empty base has a struct of the base client (which
    // is how a receiver recognises a whole base).
    doc.getMap(EPOCH_MARKER).set('epoch', epoch)
    for (const id of kept) writeNode(root, id, records.get(id)!, sink, true)
    doc.getMap(STAMPS_NAME).set(BASE_KEY, encodeBaseStamps(stamps))
  })
  return doc
}

/** The ids a base writes, sorted: every live record and the newest deletions. */
function keptRecords(records: ReadonlyMap<string, StampedNode>): string[] {
  const live: string[] = []
  const deleted: Array<[string, StampedNode]> = []
  for (const [id, node] of records) {
    if (node.kind === 'value' && node.value === undefined) deleted.push([id, node])
    else live.push(id)
  }
  if (deleted.length > BASE_TOMBSTONES) {
    deleted.sort(([, a], [, b]) => compareStamps(b.s, a.s))
    deleted.length = BASE_TOMBSTONES
  }
  for (const [id] of deleted) live.push(id)
  return live.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * Whether an update holds an epoch's whole base: it starts at clock 0 of the base client and
 * depends on nothing outside itself, so it can start a document from nothing.
 */
export function holdsBase(inspection: UpdateInspection, epoch: number): boolean {
  return inspection.ranges.get(baseClientOf(epoch))?.start === 0 && dependenciesMet(inspection, () => 0)
}
