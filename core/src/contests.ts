import * as Y from 'yjs'
import { captureItem, type ItemPicker, type StampedNode } from './stamped-merge.js'
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
  /** The value before this transaction: the rightmost item not new, unless it was history already. */
  const previousOf = (current: Y.Item): Y.Item | null => {
    let previous: Y.Item | null = current
    while (previous && isNew(previous)) previous = previous.left
    return previous && previous.deleted && !Y.isDeleted(tr.deleteSet, previous.id) ? null : previous
  }
  // Inside a rival, each key holds its stamped winner among what this transaction brought there.
  const pick: ItemPicker = (map, key) => {
    const current = map._map.get(key)
    const list = added.get(map)?.get(key)
    if (!current || !list) return current
    let best: Y.Item | undefined
    for (const item of [current, previousOf(current), ...list]) {
      if (!item || kindOf(item) === 'gone') continue
      if (!best || compareStamps(book.effectiveOf(item), book.effectiveOf(best)) > 0) best = item
    }
    return best ?? current
  }
  const out: Contest[] = []
  const revived = new Set<Y.Item>()
  for (const [map, keys] of added) {
    if (!inDict(map, root)) {
      // Written into a map that lost its key to a map created at once elsewhere: Yjs drops it, but
      // that map's fields live on in the winner (see keepsIncarnation), so this one must join them.
      const incarnation = deadIncarnation(map, root)
      if (incarnation && !revived.has(incarnation) && kindOf(incarnation) === 'map') {
        revived.add(incarnation)
        const parent = incarnation.parent as Y.Map<unknown>
        out.push({ map: parent, key: incarnation.parentSub!, rivals: [captureItem(book, incarnation, true, pick)] })
      }
      continue
    }
    for (const [key, items] of keys) {
      const current = map._map.get(key)
      if (!current) continue
      const previous = previousOf(current)
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
        // An item that arrived with its content already collected is not a rival (its sender settled it).
        if (kindOf(item) === 'gone') continue
        rivals.push(captureItem(book, item, true, pick))
      }
      if (rivals.some((r) => rivalMatters(r, book, current))) out.push({ map, key, rivals })
    }
  }
  return out
}

/** The deleted map item nearest above `map` whose own parent is in the dict: the incarnation that lost its key. */
function deadIncarnation(map: Y.Map<unknown>, root: Y.Map<unknown>): Y.Item | null {
  let t = map as unknown as Y.AbstractType<unknown>
  for (;;) {
    const item = t._item
    if (!item || item.parentSub === null || !(item.parent instanceof Y.Map)) return null
    const parent = item.parent as Y.Map<unknown>
    if (item.deleted && inDict(parent, root)) return item
    t = parent as unknown as Y.AbstractType<unknown>
  }
}

/**
 * Whether Yjs may collect a deleted item: not a map that lost its key to a map created at once
 * elsewhere and is still alive by stamps (above the key's kill), since fields written into it later
 * must still be read and joined into the winner (docs/compaction.md).
 */
export function keepsIncarnation(item: Y.Item, book: StampBook, root: Y.Map<unknown>): boolean {
  if (kindOf(item) !== 'map' || item.parentSub === null || !(item.parent instanceof Y.Map)) return false
  const parent = item.parent as Y.Map<unknown>
  if (!inDict(parent, root)) return false
  const current = parent._map.get(item.parentSub)
  if (!current || current === item || current.deleted) return false
  return compareStamps(book.stampOf(item), book.killOf(current)) > 0
}

function lastId(item: Y.Item): Y.ID {
  return Y.createID(item.id.client, item.id.clock + item.length - 1)
}

function sameId(a: Y.ID | null, b: Y.ID | null): boolean {
  return a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock)
}

/** A rival matters when it outranks the value Yjs kept, or is a map that may merge into it. */
function rivalMatters(rival: StampedNode, book: StampBook, current: Y.Item): boolean {
  return rival.kind === 'map' || compareStamps(rival.s, book.heldStampOf(current)) > 0
}
