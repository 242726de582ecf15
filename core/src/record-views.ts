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
import { holdsValue } from './tombstones.js'

/** What is known of one Y.Map or Y.Array of the mirror: its plain value and its digest, each once asked for. */
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
 * change, not the record. A writer asks only for digests (the checksum, the sizes), a receiver for
 * both (the checksum, then the record it returns). Plain values are shared between versions of a
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
  /** What `child` found: the hash and JSON bytes of the value it looked at. */
  private childHash = 0
  private childBytes = 0

  /** The plain value of a mirror value (a Y.Map, a Y.Array, or what Yjs holds as is). Do not mutate it. */
  plain(value: unknown): JsonValue {
    if (value instanceof Y.Map || value instanceof Y.Array) {
      const view = this.view(value)
      view.plain ??= value instanceof Y.Map ? this.plainMap(value) : this.plainArray(value)
      return view.plain
    }
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
      view = { plain: undefined, digested: false, hash: 0, bytes: 0 }
      this.nodes.set(node, view)
    }
    return view
  }

  private plainMap(map: Y.Map<unknown>): JsonObject {
    const out: JsonObject = {}
    for (const [k, item] of map._map) {
      if (!holdsValue(item)) continue
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

  /** Looks at one value and leaves its hash and bytes in the `child…` fields. */
  private child(value: unknown): void {
    switch (typeof value) {
      case 'string': {
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
        this.childHash = numberHash(value)
        this.childBytes = sized.bytes
        return
      case 'boolean':
        this.childHash = value ? TRUE_HASH : FALSE_HASH
        this.childBytes = value ? 4 : 5
        return
    }
    if (value === null || value === undefined) {
      this.childHash = NULL_HASH
      this.childBytes = 4
      return
    }
    if (value instanceof Y.Map || value instanceof Y.Array) {
      const view = this.view(value)
      if (!view.digested) {
        if (value instanceof Y.Map) this.digestMap(value, view)
        else this.digestArray(value, view)
        view.digested = true
      }
      this.childHash = view.hash
      this.childBytes = view.bytes
      return
    }
    // Anything else a foreign writer may have put in (binary, rich text, an embedded object):
    // its plain form, as a reader sees it.
    const d = digestJson(materialize(value))
    this.childHash = d.hash
    this.childBytes = d.bytes
  }

  private digestMap(map: Y.Map<unknown>, view: NodeView): void {
    let sum = 0
    let count = 0
    let bytes = 2
    for (const [k, item] of map._map) {
      if (!holdsValue(item)) continue
      this.child(item.content.getContent()[item.length - 1])
      sum = (sum + fieldHash(k, this.childHash)) >>> 0
      bytes += sized.bytes + this.childBytes
      count++
    }
    view.hash = objectHash(sum, count)
    view.bytes = bytes + Math.max(0, count - 1)
  }

  private digestArray(arr: Y.Array<unknown>, view: NodeView): void {
    let h = arrayStart(arr.length)
    let bytes = 2 + Math.max(0, arr.length - 1)
    for (let n = arr._start; n !== null; n = n.right) {
      if (!n.countable || n.deleted) continue
      const content = n.content.getContent()
      for (let i = 0; i < content.length; i++) {
        this.child(content[i])
        h = arrayStep(h, this.childHash)
        bytes += this.childBytes
      }
    }
    view.hash = h
    view.bytes = bytes
  }
}
