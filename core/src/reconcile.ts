import * as Y from 'yjs'
import { UnsupportedValueError } from './errors.js'
import { assertJson, isPlainObject, MAX_DEPTH, validFieldName, type JsonObject, type JsonValue } from './json.js'
import { holdsValue } from './tombstones.js'

/*
 * Writes a plain JSON value into the mirror, touching only what differs, so that the Yjs update a
 * change produces is as small as the change: a changed scalar is one `set`, an added or removed
 * field one `set` (a removal writes a tombstone, tombstones.ts), and an array keeps its common prefix and suffix and rewrites only the
 * middle. It works in two steps: `planMap` walks the value against the mirror, checks that whatever
 * it will write is JSON and lists the edits, writing nothing; the caller then applies them in one
 * transaction. A part equal to what the mirror holds needs no check (the mirror holds JSON), so
 * checking costs what the change writes, not the whole value.
 */

/** One change to the mirror, applied inside the writer's transaction. */
export type Edit = () => void

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
      const item = mirror._map.get(k)
      if (!item || !holdsValue(item) || !sameValue(item.content.getContent()[item.length - 1], v)) return false
    }
    let size = 0
    for (const item of mirror._map.values()) if (holdsValue(item)) size++
    return fields === size
  }
  if (mirror instanceof Y.Array) {
    if (!Array.isArray(value) || value.length !== mirror.length) return false
    let i = 0
    for (let n = mirror._start; n !== null; n = n.right) {
      if (!n.countable || n.deleted) continue
      const content = n.content.getContent()
      for (let j = 0; j < content.length; j++) if (!sameValue(content[j], value[i++])) return false
    }
    return true
  }
  return mirror === value
}

/** The value a map entry holds (what `Y.Map.get` returns), or undefined when there is none. */
function entry(map: Y.Map<unknown>, k: string): { value: unknown } | undefined {
  const item = map._map.get(k)
  if (!item || !holdsValue(item)) return undefined
  return { value: item.content.getContent()[item.length - 1] }
}

/**
 * The edits that make `map` hold `obj`, found without writing anything. Throws
 * `UnsupportedValueError` (naming the path) when a part to be written is not JSON.
 */
export function planMap(map: Y.Map<unknown>, obj: JsonObject, plainOf?: PlainOf): Edit[] {
  const planner = new Planner('$', plainOf)
  planner.map(map, obj, 0)
  return planner.edits
}

/**
 * The edits that apply `patch` to `map`, found without writing anything: a field set to
 * `undefined` is deleted, a plain object merges into an object field the same way, an array is
 * diffed against the array field, and anything else replaces the field. Throws
 * `UnsupportedValueError` (naming the path) when a part to be written is not JSON.
 */
export function planPatch(map: Y.Map<unknown>, patch: JsonObject, plainOf?: PlainOf): Edit[] {
  const planner = new Planner('$', plainOf)
  planner.patch(map, patch, 0)
  return planner.edits
}

/** Makes `map` hold `obj` now (inside the caller's transaction). Returns the number of edits. */
export function reconcileMap(map: Y.Map<unknown>, obj: JsonObject): number {
  const edits = planMap(map, obj)
  for (const edit of edits) edit()
  return edits.length
}

/** Makes `arr` hold `value` now, keeping the common prefix and suffix. Returns the number of edits. */
export function reconcileArray(arr: Y.Array<unknown>, value: JsonValue[]): number {
  const planner = new Planner('$')
  planner.array(arr, value, 0)
  for (const edit of planner.edits) edit()
  return planner.edits.length
}

/** The plain value of a mirror map or array (cached by the mirror: see record-views.ts). */
export type PlainOf = (node: Y.Map<unknown> | Y.Array<unknown>) => JsonValue

class Planner {
  readonly edits: Edit[] = []
  /** Where the walk is, as segments, turned into text only for an error. */
  private readonly segments: Array<string | number> = []

  constructor(
    private readonly base: string,
    /**
     * With the mirror's plain views, parts are compared as plain values first, which is several
     * times faster than walking Yjs items; only a part that differs is walked.
     */
    private readonly plainOf?: PlainOf,
  ) {}

  private path = (): string => {
    let at = this.base
    for (const s of this.segments) at += typeof s === 'number' ? `[${s}]` : `.${s}`
    return at
  }

  /** Checks a value about to be written, where the walk is. */
  private check(v: unknown, depth: number): asserts v is JsonValue {
    assertJson(v, this.path, depth)
  }

  map(map: Y.Map<unknown>, obj: JsonObject, depth: number): void {
    if (depth > MAX_DEPTH) throw new UnsupportedValueError(`${this.path()}: nested deeper than ${MAX_DEPTH}`)
    const edits = this.edits
    const entries = map._map
    // Y.Map's own key iterator allocates a filtered iterator per call; its entry map does not.
    for (const [k, item] of entries) {
      if (!holdsValue(item)) continue
      // a removed field becomes a tombstone (tombstones.ts)
      if (obj[k] === undefined || (k === '__proto__' && !Object.hasOwn(obj, k))) edits.push(() => map.set(k, undefined))
    }
    const segments = this.segments
    for (const k of Object.keys(obj)) {
      const v = obj[k]
      if (v === undefined) continue
      const item = entries.get(k)
      if (item === undefined || !holdsValue(item)) {
        segments.push(k)
        if (!validFieldName(k)) throw new UnsupportedValueError(`${this.path()}: field name holds a lone surrogate`)
        this.check(v, depth + 1)
        segments.pop()
        edits.push(() => map.set(k, toMirror(v)))
        continue
      }
      const current: unknown = item.content.getContent()[item.length - 1]
      // the common case first: an unchanged scalar
      if (current === v) continue
      segments.push(k)
      if (!this.nested(current, v, depth + 1)) {
        this.check(v, depth + 1)
        edits.push(() => map.set(k, toMirror(v)))
      }
      segments.pop()
    }
  }


  patch(map: Y.Map<unknown>, patch: JsonObject, depth: number): void {
    if (depth > MAX_DEPTH) throw new UnsupportedValueError(`${this.path()}: nested deeper than ${MAX_DEPTH}`)
    const segments = this.segments
    for (const k of Object.keys(patch)) {
      const v = patch[k]
      segments.push(k)
      const current = entry(map, k)
      if (v === undefined) {
        if (current !== undefined) this.edits.push(() => map.set(k, undefined))
      } else if (current === undefined) {
        if (!validFieldName(k)) throw new UnsupportedValueError(`${this.path()}: field name holds a lone surrogate`)
        this.check(v, depth + 1)
        this.edits.push(() => map.set(k, toMirror(v)))
      } else if (current.value instanceof Y.Map && isPlainObject(v)) {
        this.patch(current.value, v, depth + 1)
      } else if (!this.nested(current.value, v, depth + 1) && current.value !== v) {
        this.check(v, depth + 1)
        this.edits.push(() => map.set(k, toMirror(v)))
      }
      segments.pop()
    }
  }

  /** Plans the edits inside `current` when it and `v` are the same kind of container; false otherwise. */
  private nested(current: unknown, v: unknown, depth: number): boolean {
    if (current instanceof Y.Map && isPlainObject(v)) {
      if (!this.plainOf || !jsonEqual(this.plainOf(current), v)) this.map(current, v, depth)
      return true
    }
    if (current instanceof Y.Array && Array.isArray(v)) {
      if (!this.plainOf || !jsonEqual(this.plainOf(current), v)) this.array(current, v as JsonValue[], depth)
      return true
    }
    return false
  }

  array(arr: Y.Array<unknown>, value: JsonValue[], depth: number): void {
    if (depth > MAX_DEPTH) throw new UnsupportedValueError(`${this.path()}: nested deeper than ${MAX_DEPTH}`)
    const plain = this.plainOf?.(arr) as JsonValue[] | undefined
    const same = plain
      ? (i: number, v: JsonValue | undefined) => jsonEqual(plain[i], v)
      : (i: number, v: JsonValue | undefined) => sameValue(old[i], v)
    const old = arr.toArray()
    const max = Math.min(old.length, value.length)
    let head = 0
    while (head < max && same(head, value[head])) head++
    let tail = 0
    while (tail < max - head && same(old.length - 1 - tail, value[value.length - 1 - tail])) tail++
    const oldMid = old.length - head - tail
    const newMid = value.length - head - tail
    if (oldMid === 0 && newMid === 0) return
    const segments = this.segments
    if (oldMid === newMid) {
      // Same shape: edit element by element so that a changed field deep inside stays one set.
      for (let i = head; i < head + oldMid; i++) {
        const v: unknown = value[i]
        segments.push(i)
        if (!this.nested(old[i], v, depth + 1)) {
          this.check(v, depth + 1)
          const at = i
          this.edits.push(() => {
            arr.delete(at, 1)
            arr.insert(at, [toMirror(v)])
          })
        }
        segments.pop()
      }
      return
    }
    const inserted = value.slice(head, head + newMid)
    for (let i = 0; i < inserted.length; i++) {
      segments.push(head + i)
      this.check(inserted[i], depth + 1)
      segments.pop()
    }
    this.edits.push(() => {
      if (oldMid > 0) arr.delete(head, oldMid)
      if (newMid > 0) arr.insert(head, inserted.map(toMirror))
    })
  }
}

/**
 * Whether a plain view of the mirror (`a`: JSON, no undefined fields) equals a caller's value `b`
 * (fields whose value is `undefined` absent, as in JSON). A `b` that is not JSON is never equal.
 */
function jsonEqual(a: JsonValue | undefined, b: unknown): boolean {
  if (a === b) return a !== undefined
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b) || !isPlainObject(b)) return false
  // for-in over plain objects walks V8's enum cache: no key array allocated per object
  let fields = 0
  for (const k in a) {
    fields++
    if (!jsonEqual(a[k], b[k])) return false
  }
  for (const k in b) if (b[k] !== undefined) fields--
  return fields === 0
}
