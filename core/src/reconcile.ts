import * as Y from 'yjs'
import { isPlainObject, type JsonObject, type JsonValue } from './json.js'

/*
 * Writes a plain JSON value into the mirror, touching only what differs, so that the Yjs update a
 * change produces is as small as the change: a changed scalar is one `set`, an added or removed
 * field one `set`/`delete`, and an array keeps its common prefix and suffix and rewrites only the
 * middle. A removed field becomes `undefined` at its key (a tombstone with a stamp, see mirror.ts).
 * The caller validates the value first and wraps the call in one transaction.
 */

/** A new mirror value for a plain one: objects become Y.Map, arrays Y.Array. */
export function toMirror(value: JsonValue): unknown {
  if (Array.isArray(value)) {
    const arr = new Y.Array<unknown>()
    arr.insert(0, value.map(toMirror))
    return arr
  }
  if (value !== null && typeof value === 'object') {
    const map = new Y.Map<unknown>()
    for (const k of Object.keys(value)) {
      const v = value[k]
      if (v !== undefined) map.set(k, toMirror(v))
    }
    return map
  }
  return value
}

/** Whether a mirror value holds exactly the plain value. */
export function sameValue(mirror: unknown, value: JsonValue | undefined): boolean {
  if (mirror instanceof Y.Map) {
    if (!isPlainObject(value)) return false
    let fields = 0
    for (const k of Object.keys(value)) {
      const v = value[k]
      if (v === undefined) continue
      fields++
      if (!mirror.has(k) || !sameValue(mirror.get(k), v)) return false
    }
    let size = 0
    for (const item of mirror._map.values()) if (holdsValue(item)) size++
    return fields === size
  }
  if (mirror instanceof Y.Array) {
    if (!Array.isArray(value) || value.length !== mirror.length) return false
    const items = mirror.toArray()
    for (let i = 0; i < items.length; i++) if (!sameValue(items[i], value[i])) return false
    return true
  }
  return mirror === value
}

/** Makes `map` hold `obj`. Returns the number of operations written. */
export function reconcileMap(map: Y.Map<unknown>, obj: JsonObject): number {
  let ops = 0
  // Y.Map's own key iterator allocates a filtered iterator per call; its entry map does not.
  const gone: string[] = []
  for (const [k, item] of map._map) if (holdsValue(item) && obj[k] === undefined) gone.push(k)
  for (const k of gone) {
    map.set(k, undefined)
    ops++
  }
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    ops += reconcileField(map, k, v)
  }
  return ops
}

/** Whether a map item holds a field (not a deletion). */
function holdsValue(item: Y.Item): boolean {
  if (item.deleted) return false
  const c = item.content
  return !(c instanceof Y.ContentAny) || c.arr[c.arr.length - 1] !== undefined
}

function reconcileField(map: Y.Map<unknown>, k: string, v: JsonValue): number {
  const current = map.get(k)
  if (current === undefined) {
    map.set(k, toMirror(v))
    return 1
  }
  const nested = reconcileNested(current, v)
  if (nested >= 0) return nested
  if (current === v) return 0
  map.set(k, toMirror(v))
  return 1
}

/** Recurses when both sides are the same kind of container; -1 when they are not. */
function reconcileNested(current: unknown, v: JsonValue): number {
  if (current instanceof Y.Map && isPlainObject(v)) return reconcileMap(current, v)
  if (current instanceof Y.Array && Array.isArray(v)) return reconcileArray(current, v)
  return -1
}

/** Makes `arr` hold `value`, keeping the common prefix and suffix. */
export function reconcileArray(arr: Y.Array<unknown>, value: JsonValue[]): number {
  const old = arr.toArray()
  const max = Math.min(old.length, value.length)
  let head = 0
  while (head < max && sameValue(old[head], value[head])) head++
  let tail = 0
  while (tail < max - head && sameValue(old[old.length - 1 - tail], value[value.length - 1 - tail])) tail++
  const oldMid = old.length - head - tail
  const newMid = value.length - head - tail
  if (oldMid === 0 && newMid === 0) return 0
  if (oldMid === newMid) {
    // Same shape: edit element by element so that a changed field deep inside stays one set.
    let ops = 0
    for (let i = head; i < head + oldMid; i++) {
      const nested = reconcileNested(old[i], value[i]!)
      if (nested >= 0) {
        ops += nested
      } else {
        arr.delete(i, 1)
        arr.insert(i, [toMirror(value[i]!)])
        ops++
      }
    }
    return ops
  }
  if (oldMid > 0) arr.delete(head, oldMid)
  if (newMid > 0) arr.insert(head, value.slice(head, head + newMid).map(toMirror))
  return 1
}
