import * as Y from 'yjs'
import type { JsonValue } from './json.js'
import { materialize } from './materialize.js'
import { toMirror } from './reconcile.js'
import { compareStamps, kindOf, maxStamp, type Stamp, type StampBook } from './stamps.js'

/*
 * Values with their stamps, taken out of a document, joined, and written into another (or the same)
 * document under the stamps they had: how a copy carries what it holds into an epoch it adopts, and
 * how it puts back a value that Yjs let lose to one with a lower stamp (docs/compaction.md).
 *
 * The join, per key: the value with the higher stamp wins; maps that meet at a key merge their
 * fields (each field by the same rule) unless one of them lies at or below the other's kill — the
 * stamp of the deletion or overwrite it did not survive. It is commutative, associative and
 * idempotent, so copies that join the same values in any order hold the same dict.
 */

/** A value at a key with its stamp; `undefined` is a deletion. */
export type StampedNode =
  | { kind: 'map'; s: Stamp; floor: Stamp; children: Map<string, StampedNode> }
  | { kind: 'array'; s: Stamp; value: JsonValue[] }
  | { kind: 'value'; s: Stamp; value: JsonValue | undefined }

/**
 * Chooses the item whose value a key holds, for a capture: Yjs' current item unless told otherwise
 * (a remote transaction may have left a rival with a higher stamp at a key; see contests.ts).
 */
export type ItemPicker = (map: Y.Map<unknown>, key: string) => Y.Item | undefined

const current: ItemPicker = (map, key) => map._map.get(key)

/** Where an item's value comes from: a deleted item of a live map is a deletion, of a dead one a value. */
export function captureItem(book: StampBook, item: Y.Item, inDeadMap = false, pick: ItemPicker = current): StampedNode {
  const kind = item.deleted && !inDeadMap ? 'gone' : kindOf(item)
  if (kind === 'map') {
    const type = (item.content as Y.ContentType).type as Y.Map<unknown>
    return {
      kind,
      s: book.stampOf(item),
      floor: book.floorOf(item),
      children: captureMap(book, type, item.deleted, pick),
    }
  }
  if (kind === 'array') {
    const type = (item.content as Y.ContentType).type as Y.Array<unknown>
    return { kind, s: book.effectiveOf(item), value: materialize(type) as JsonValue[] }
  }
  if (kind === 'gone') return { kind: 'value', s: book.heldStampOf(item), value: undefined }
  const content = item.content.getContent()
  const v = content[content.length - 1] as unknown
  return { kind: 'value', s: book.stampOf(item), value: v === undefined ? undefined : materialize(v) }
}

/**
 * Every key of a map with its value and stamp, deletions included. In a map that lost its key
 * (`dead`), a field whose content Yjs already collected is unknown rather than deleted: it is left
 * out, and whoever still holds it joins it.
 */
export function captureMap(
  book: StampBook,
  map: Y.Map<unknown>,
  dead = false,
  pick: ItemPicker = current,
): Map<string, StampedNode> {
  const out = new Map<string, StampedNode>()
  for (const k of map._map.keys()) {
    const item = pick(map, k)
    if (!item || (dead && kindOf(item) === 'gone')) continue
    out.set(k, captureItem(book, item, dead, pick))
  }
  return out
}

function killOf(n: StampedNode): Stamp {
  return n.kind === 'map' ? n.floor : n.s
}

/** The join of two values met at one key (see above). */
export function joinNodes(a: StampedNode, b: StampedNode): StampedNode {
  const c = compareStamps(a.s, b.s)
  if (c === 0) {
    if (a.kind === 'map' && b.kind === 'map')
      return { kind: 'map', s: a.s, floor: maxStamp(a.floor, b.floor), children: joinChildren(a.children, b.children) }
    return a
  }
  const [win, lose] = c > 0 ? [a, b] : [b, a]
  if (win.kind !== 'map') return win
  const kill = maxStamp(win.floor, killOf(lose))
  const children =
    lose.kind === 'map' && compareStamps(lose.s, kill) > 0 ? joinChildren(win.children, lose.children) : win.children
  return { kind: 'map', s: win.s, floor: kill, children }
}

function joinChildren(a: Map<string, StampedNode>, b: Map<string, StampedNode>): Map<string, StampedNode> {
  const out = new Map(a)
  for (const [k, n] of b) {
    const m = out.get(k)
    out.set(k, m ? joinNodes(m, n) : n)
  }
  return out
}

/** Records a written item's stamp: in the stamps map, or (for a base) in a list kept by the caller. */
export type StampSink = (item: Y.Item, s: Stamp, floor: Stamp | null) => void

/** Writes `node` at `key` of `map` under its own stamps (the caller holds the transaction). */
export function writeNode(map: Y.Map<unknown>, key: string, node: StampedNode, sink: StampSink, sorted = false): void {
  if (node.kind === 'map') {
    const m = new Y.Map<unknown>()
    map.set(key, m)
    sink(map._map.get(key)!, node.s, node.floor)
    const keys = Array.from(node.children.keys())
    if (sorted) keys.sort()
    for (const k of keys) writeNode(m, k, node.children.get(k)!, sink, sorted)
    return
  }
  map.set(key, node.kind === 'array' ? toMirror(node.value) : node.value)
  sink(map._map.get(key)!, node.s, null)
}

/**
 * Joins `node` into what `map` holds at `key` and writes the difference, keeping everything that
 * is already right untouched: a value of the same stamp is the same write; a map that survives is
 * merged into field by field; only a key whose winner changes is written again.
 */
export function mergeInto(book: StampBook, map: Y.Map<unknown>, key: string, node: StampedNode): void {
  const sink: StampSink = (item, s, floor) => book.setExplicit(item, s, floor)
  const t = map._map.get(key)
  if (!t) {
    writeNode(map, key, node, sink)
    return
  }
  const tKind = t.deleted ? 'gone' : kindOf(t)
  const tS = book.heldStampOf(t)
  const c = compareStamps(node.s, tS)
  const tType = tKind === 'map' ? ((t.content as Y.ContentType).type as Y.Map<unknown>) : null
  if (c === 0) {
    if (node.kind === 'map' && tType) for (const [k, child] of node.children) mergeInto(book, tType, k, child)
    return
  }
  const kill = maxStamp(tKind === 'map' ? book.floorOf(t) : tS, killOf(node))
  if (c > 0) {
    const current = captureItem(book, t)
    writeNode(map, key, joinNodes(node, current), sink)
    return
  }
  if (node.kind === 'map' && tType && compareStamps(node.s, kill) > 0)
    for (const [k, child] of node.children) mergeInto(book, tType, k, child)
}
