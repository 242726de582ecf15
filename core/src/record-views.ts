import * as Y from 'yjs'
import {
  arrayStart,
  arrayStep,
  digestJson,
  FALSE_HASH,
  fieldHash,
  NULL_HASH,
  numberHash,
  objectHash,
  sized,
  stringHash,
  TRUE_HASH,
  type Digest,
} from './hash.js'
import { setField, type JsonObject, type JsonValue } from './json.js'
import { materialize } from './materialize.js'

/** What is known of one Y.Map or Y.Array of the mirror: its plain value and its digest. */
interface NodeView {
  plain: JsonValue
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
 * change, not the record. A part's plain value and digest are built in one walk (a receiver needs
 * both: the checksum, then the record it returns). Plain values are shared between versions of a
 * record and must never be mutated. Views are keyed by the Y types themselves, so a document that
 * is replaced (a restore, a new epoch) takes its views with it.
 */
export class RecordViews {
  private readonly nodes = new WeakMap<Container, NodeView>()
  /**
   * Digests of long strings: a record's unchanged text fields are hashed again whenever one of its
   * other fields changes, and a Map finds the same string object without reading it again.
   */
  private longStrings = new Map<string, Digest>()
  /** What `child` found: the plain value, hash and JSON bytes of the value it looked at. */
  private childPlain: JsonValue = null
  private childHash = 0
  private childBytes = 0

  /** The plain value of a mirror value (a Y.Map, a Y.Array, or what Yjs holds as is). Do not mutate it. */
  plain(value: unknown): JsonValue {
    if (value instanceof Y.Map || value instanceof Y.Array) return this.view(value).plain
    return materialize(value)
  }

  /** The checksum and JSON size of a mirror value. */
  digest(value: unknown): Digest {
    this.child(value)
    return { hash: this.childHash, bytes: this.childBytes }
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

  private view(node: Container): NodeView {
    let view = this.nodes.get(node)
    if (view === undefined) {
      view = node instanceof Y.Map ? this.viewMap(node) : this.viewArray(node)
      this.nodes.set(node, view)
    }
    return view
  }

  /** Looks at one value and leaves its plain value, hash and bytes in the `child…` fields. */
  private child(value: unknown): void {
    switch (typeof value) {
      case 'string': {
        this.childPlain = value
        if (value.length < LONG_STRING) {
          this.childHash = stringHash(value)
          this.childBytes = sized.bytes
          return
        }
        let d = this.longStrings.get(value)
        if (d === undefined) {
          d = { hash: stringHash(value), bytes: sized.bytes }
          if (this.longStrings.size >= LONG_STRINGS_KEPT) this.longStrings = new Map()
          this.longStrings.set(value, d)
        }
        this.childHash = d.hash
        this.childBytes = d.bytes
        return
      }
      case 'number':
        this.childPlain = value
        this.childHash = numberHash(value)
        this.childBytes = sized.bytes
        return
      case 'boolean':
        this.childPlain = value
        this.childHash = value ? TRUE_HASH : FALSE_HASH
        this.childBytes = value ? 4 : 5
        return
    }
    if (value === null || value === undefined) {
      this.childPlain = null
      this.childHash = NULL_HASH
      this.childBytes = 4
      return
    }
    if (value instanceof Y.Map || value instanceof Y.Array) {
      const view = this.view(value)
      this.childPlain = view.plain
      this.childHash = view.hash
      this.childBytes = view.bytes
      return
    }
    // Anything else a foreign writer may have put in (binary, rich text, an embedded object):
    // its plain form, as a reader sees it.
    const plain = materialize(value)
    const d = digestJson(plain)
    this.childPlain = plain
    this.childHash = d.hash
    this.childBytes = d.bytes
  }

  private viewMap(map: Y.Map<unknown>): NodeView {
    const plain: JsonObject = {}
    let sum = 0
    let count = 0
    let bytes = 2
    for (const [k, item] of map._map) {
      if (item.deleted) continue
      this.child(item.content.getContent()[item.length - 1])
      setField(plain, k, this.childPlain)
      sum = (sum + fieldHash(k, this.childHash)) >>> 0
      bytes += sized.bytes + this.childBytes
      count++
    }
    return { plain, hash: objectHash(sum, count), bytes: bytes + Math.max(0, count - 1) }
  }

  private viewArray(arr: Y.Array<unknown>): NodeView {
    const plain: JsonValue[] = []
    let h = arrayStart(arr.length)
    let bytes = 2 + Math.max(0, arr.length - 1)
    for (let n = arr._start; n !== null; n = n.right) {
      if (!n.countable || n.deleted) continue
      const content = n.content.getContent()
      for (let i = 0; i < content.length; i++) {
        this.child(content[i])
        plain.push(this.childPlain)
        h = arrayStep(h, this.childHash)
        bytes += this.childBytes
      }
    }
    return { plain, hash: h, bytes }
  }
}
