import * as Y from 'yjs'
import {
  arrayStart,
  arrayStep,
  digestJson,
  FALSE_HASH,
  fieldHash,
  fieldNameBytes,
  NULL_HASH,
  numberDigest,
  objectHash,
  stringDigest,
  TRUE_HASH,
  type Digest,
} from './hash.js'
import { setField, type JsonObject, type JsonValue } from './json.js'
import { materialize } from './materialize.js'

/** What is known of one Y.Map or Y.Array of the mirror: its plain value and its digest. */
interface NodeView {
  plain: JsonValue | undefined
  digested: boolean
  hash: number
  bytes: number
}

type Container = Y.Map<unknown> | Y.Array<unknown>

/** Strings at least this long have their digests remembered, up to this many. */
const LONG_STRING = 48
const LONG_STRINGS_KEPT = 4096

/**
 * The plain values and digests (checksum and JSON size, see hash.ts) of the mirror's records,
 * remembered per Y.Map and Y.Array until a transaction changes them. A transaction that changes
 * one field deep inside a large record forgets only the views of the types on that field's path,
 * so the next read or checksum rebuilds those and reuses every other part: the cost follows the
 * change, not the record. Plain values are shared between versions of a record and must never be
 * mutated. Views are keyed by the Y types themselves, so a document that is replaced (a restore, a
 * new epoch) takes its views with it.
 */
export class RecordViews {
  private readonly nodes = new WeakMap<Container, NodeView>()
  /** The JSON bytes of the value the last `hashOf` call digested. */
  private lastBytes = 0
  /**
   * Digests of long strings: a record's unchanged text fields are hashed again whenever one of its
   * other fields changes, and a Map finds the same string object without reading it again.
   */
  private longStrings = new Map<string, Digest>()

  /** The plain value of a mirror value (a Y.Map, a Y.Array, or what Yjs holds as is). Do not mutate it. */
  plain(value: unknown): JsonValue {
    if (value instanceof Y.Map || value instanceof Y.Array) {
      const view = this.nodes.get(value)
      if (view?.plain !== undefined) return view.plain
      const plain = value instanceof Y.Map ? this.plainMap(value) : this.plainArray(value)
      if (view) view.plain = plain
      else this.nodes.set(value, { plain, digested: false, hash: 0, bytes: 0 })
      return plain
    }
    return materialize(value)
  }

  /** The checksum and JSON size of a mirror value. */
  digest(value: unknown): Digest {
    const hash = this.hashOf(value)
    return { hash, bytes: this.lastBytes }
  }

  /**
   * Forgets the views of every type a transaction changed and of the types above them, and returns
   * the ids of the records (keys of `root`) it touched.
   */
  touched(changed: Y.Transaction['changed'], root: Y.Map<unknown>): Set<string> {
    const ids = new Set<string>()
    for (const [type, fields] of changed) {
      if ((type as unknown) === root) {
        for (const f of fields) if (f !== null) ids.add(f)
        continue
      }
      let t = type as Y.AbstractType<unknown>
      for (;;) {
        this.nodes.delete(t as Container)
        const item = t._item
        if (item === null) break
        const parent = item.parent
        if (parent === root) {
          if (item.parentSub !== null) ids.add(item.parentSub)
          break
        }
        if (!(parent instanceof Y.AbstractType)) break
        t = parent as Y.AbstractType<unknown>
      }
    }
    return ids
  }

  private plainMap(map: Y.Map<unknown>): JsonObject {
    const out: JsonObject = {}
    for (const [k, item] of map._map) {
      if (item.deleted) continue
      setField(out, k, this.plain(item.content.getContent()[item.length - 1]))
    }
    return out
  }

  private plainArray(arr: Y.Array<unknown>): JsonValue[] {
    const out: JsonValue[] = []
    for (let n = arr._start; n !== null; n = n.right) {
      if (!n.countable || n.deleted) continue
      const content = n.content.getContent()
      for (let i = 0; i < content.length; i++) out.push(this.plain(content[i]))
    }
    return out
  }

  /** The hash of a mirror value; its JSON bytes are left in `lastBytes` (no object per scalar). */
  private hashOf(value: unknown): number {
    switch (typeof value) {
      case 'string': {
        let d: Digest | undefined
        if (value.length < LONG_STRING) d = stringDigest(value)
        else {
          d = this.longStrings.get(value)
          if (d === undefined) {
            d = stringDigest(value)
            if (this.longStrings.size >= LONG_STRINGS_KEPT) this.longStrings = new Map()
            this.longStrings.set(value, d)
          }
        }
        this.lastBytes = d.bytes
        return d.hash
      }
      case 'number': {
        const d = numberDigest(value)
        this.lastBytes = d.bytes
        return d.hash
      }
      case 'boolean':
        this.lastBytes = value ? 4 : 5
        return value ? TRUE_HASH : FALSE_HASH
      case 'undefined':
        this.lastBytes = 4
        return NULL_HASH
    }
    if (value === null) {
      this.lastBytes = 4
      return NULL_HASH
    }
    if (value instanceof Y.Map || value instanceof Y.Array) {
      let view = this.nodes.get(value)
      if (view?.digested) {
        this.lastBytes = view.bytes
        return view.hash
      }
      if (!view) {
        view = { plain: undefined, digested: false, hash: 0, bytes: 0 }
        this.nodes.set(value, view)
      }
      if (value instanceof Y.Map) this.hashMap(value, view)
      else this.hashArray(value, view)
      view.digested = true
      this.lastBytes = view.bytes
      return view.hash
    }
    // Anything else a foreign writer may have put in (binary, rich text, an embedded object):
    // its plain form, as a reader sees it.
    const d = digestJson(materialize(value))
    this.lastBytes = d.bytes
    return d.hash
  }

  private hashMap(map: Y.Map<unknown>, view: NodeView): void {
    let sum = 0
    let count = 0
    let bytes = 2
    for (const [k, item] of map._map) {
      if (item.deleted) continue
      const h = this.hashOf(item.content.getContent()[item.length - 1])
      sum = (sum + fieldHash(k, h)) >>> 0
      bytes += fieldNameBytes(k) + this.lastBytes
      count++
    }
    view.hash = objectHash(sum, count)
    view.bytes = bytes + Math.max(0, count - 1)
  }

  private hashArray(arr: Y.Array<unknown>, view: NodeView): void {
    let h = arrayStart(arr.length)
    let bytes = 2 + Math.max(0, arr.length - 1)
    for (let n = arr._start; n !== null; n = n.right) {
      if (!n.countable || n.deleted) continue
      const content = n.content.getContent()
      for (let i = 0; i < content.length; i++) {
        h = arrayStep(h, this.hashOf(content[i]))
        bytes += this.lastBytes
      }
    }
    view.hash = h
    view.bytes = bytes
  }
}
