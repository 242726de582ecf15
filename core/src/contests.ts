import * as Y from 'yjs'
import { captureItem, type StampedNode } from './stamped-merge.js'
import { compareStamps, kindOf, type StampBook } from './stamps.js'

/*
 * Yjs resolves two writes to one key that did not see each other by client id, and drops the
 * fields of a map that loses its key to another map. Stamps resolve them by clock, and maps that
 * meet merge (docs/compaction.md). Where the two disagree, a copy writes the stamped winner back:
 * this module finds, in a remote transaction, the keys where they may disagree and takes out the
 * rival values before Yjs collects their content.
 */

/** A key a remote transaction wrote, and the values there that Yjs did not keep but stamps might. */
export interface Contest {
  map: Y.Map<unknown>
  key: string
  rivals: StampedNode[]
}

/** Whether a map is part of the dict as stamps see it: under `root` through maps only, and live. */
export function inDict(map: Y.Map<unknown>, root: Y.Map<unknown>): boolean {
  let t = map as unknown as Y.AbstractType<unknown>
  for (;;) {
    if ((t as unknown) === root) return true
    const item = t._item
    if (!item || item.deleted || item.parentSub === null) return false
    const parent = item.parent
    if (!(parent instanceof Y.Map)) return false
    t = parent as Y.AbstractType<unknown>
  }
}

/** The keys of `root`'s dict where the transaction added items, with the rivals of each key's value. */
export function findContests(tr: Y.Transaction, book: StampBook, root: Y.Map<unknown>): Contest[] {
  const added = new Map<Y.Map<unknown>, Map<string, Y.Item[]>>()
  const store = tr.doc.store
  for (const [client, after] of tr.afterState) {
    const before = tr.beforeState.get(client) ?? 0
    if (after <= before) continue
    const structs = store.clients.get(client)
    if (!structs) continue
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const s = structs[i]!
      if (s.id.clock >= after) break
      if (!(s instanceof Y.Item) || s.parentSub === null || !(s.parent instanceof Y.Map)) continue
      const map = s.parent as Y.Map<unknown>
      let keys = added.get(map)
      if (!keys) added.set(map, (keys = new Map()))
      const list = keys.get(s.parentSub)
      if (list) list.push(s)
      else keys.set(s.parentSub, [s])
    }
  }
  const isNew = (item: Y.Item): boolean => item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)
  const out: Contest[] = []
  for (const [map, keys] of added) {
    if (!inDict(map, root)) continue
    for (const [key, items] of keys) {
      const current = map._map.get(key)
      if (!current) continue
      let previous: Y.Item | null = current
      while (previous && isNew(previous)) previous = previous.left
      // The usual case: one write that saw the value it replaced outranks it by construction (unless
      // it was written under an older stamp, carried or put back).
      if (
        items.length === 1 &&
        items[0] === current &&
        sameId(current.origin, previous ? lastId(previous) : null) &&
        !book.isExplicit(current)
      )
        continue
      const rivals: StampedNode[] = []
      const seen = new Set<Y.Item>([current])
      for (const item of previous ? [previous, ...items] : items) {
        if (seen.has(item)) continue
        seen.add(item)
        // A previous value deleted before this transaction is history, not a rival; nor is an item
        // that arrived with its content already collected (its sender had settled it).
        if (item === previous && item.deleted && !Y.isDeleted(tr.deleteSet, item.id)) continue
        if (kindOf(item) === 'gone') continue
        rivals.push(captureItem(book, item, true))
      }
      if (rivals.some((r) => rivalMatters(r, book, current))) out.push({ map, key, rivals })
    }
  }
  return out
}

function lastId(item: Y.Item): Y.ID {
  return Y.createID(item.id.client, item.id.clock + item.length - 1)
}

function sameId(a: Y.ID | null, b: Y.ID | null): boolean {
  return a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock)
}

/** A rival matters when it outranks the value Yjs kept, or is a map that may merge into it. */
function rivalMatters(rival: StampedNode, book: StampBook, current: Y.Item): boolean {
  return rival.kind === 'map' || compareStamps(rival.s, book.effectiveOf(current)) > 0
}
