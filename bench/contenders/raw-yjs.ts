import type { JsonObject, JsonValue, Key } from '@diffstream/core'
import * as Y from 'yjs'
import { keyId, type BenchRecord, type Contender } from '../contender.js'
import { isPlainObject, sameJson } from './json-util.js'

/** A fixed client id with the varuint size (5 bytes) of 15 in 16 random Yjs ids, for reproducible bytes. */
const CLIENT_ID = 0x9e3779b1
const EMPTY_UPDATE = Uint8Array.of(0, 0)

/** Objects become Y.Maps (so a changed field is one map set); arrays and scalars are stored as plain values. */
function toY(value: JsonValue): unknown {
  if (!isPlainObject(value)) return value
  const map = new Y.Map<unknown>()
  for (const k of Object.keys(value)) {
    const v = value[k]
    if (v !== undefined) map.set(k, toY(v))
  }
  return map
}

/** Writes only the fields that differ; nested objects are edited field by field. */
function writeFields(map: Y.Map<unknown>, obj: JsonObject): void {
  for (const k of Array.from(map.keys())) if (obj[k] === undefined) map.delete(k)
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    const current = map.get(k)
    if (current instanceof Y.Map && isPlainObject(v)) writeFields(current as Y.Map<unknown>, v)
    else if (current instanceof Y.Map || !sameJson(current, v)) map.set(k, toY(v))
  }
}

/** Writes the fields of `patch`: nested objects merge into the map's maps, anything else replaces. */
function mergeFields(map: Y.Map<unknown>, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const v = patch[k]
    if (v === undefined) {
      map.delete(k)
      continue
    }
    const current = map.get(k)
    if (current instanceof Y.Map && isPlainObject(v)) mergeFields(current as Y.Map<unknown>, v)
    else map.set(k, toY(v))
  }
}

/**
 * Hand-written Yjs, no DiffStream: the producer writes the changed fields of the record into a
 * Y.Map (one per key, under a root map) inside one `doc.transact`, and sends the bytes of the
 * doc's `update` event; the consumer calls `Y.applyUpdate`. No envelope, no checksum, no
 * validation of untrusted bytes; the consumer's data stays in its Y.Doc (reading it as JSON is not
 * part of the timed work).
 */
export class RawYjs implements Contender {
  readonly name = 'raw Yjs'
  readonly description =
    'producer: changed fields into a Y.Map in one transact, bytes from doc.on("update"); consumer: Y.applyUpdate'
  private producerDoc = new Y.Doc()
  private consumerDoc = new Y.Doc()
  private last: Uint8Array | null = null

  setup(): void {
    this.dispose()
    this.producerDoc = new Y.Doc()
    this.producerDoc.clientID = CLIENT_ID
    this.producerDoc.on('update', (update: Uint8Array) => {
      this.last = update
    })
    this.consumerDoc = new Y.Doc()
  }

  produce(record: BenchRecord): Uint8Array {
    const root = this.producerDoc.getMap<unknown>('r')
    const id = keyId(record.key)
    this.last = null
    this.producerDoc.transact(() => {
      const current = root.get(id)
      if (current instanceof Y.Map) writeFields(current as Y.Map<unknown>, record)
      else root.set(id, toY(record))
    })
    return this.last ?? EMPTY_UPDATE
  }

  /** A path write: the fields of `patch` set directly into the record's map, in one transact. */
  producePatch(key: Key, patch: JsonObject): Uint8Array {
    const map = this.producerDoc.getMap<unknown>('r').get(keyId(key))
    if (!(map instanceof Y.Map)) throw new Error(`raw Yjs: no record ${String(key)}`)
    this.last = null
    this.producerDoc.transact(() => mergeFields(map as Y.Map<unknown>, patch))
    return this.last ?? EMPTY_UPDATE
  }

  /** All records in one transact; the consumer applies the producer's state. */
  bulkLoad(records: readonly BenchRecord[]): void {
    const root = this.producerDoc.getMap<unknown>('r')
    this.producerDoc.transact(() => {
      for (const r of records) root.set(keyId(r.key), toY(r))
    })
    Y.applyUpdate(this.consumerDoc, Y.encodeStateAsUpdate(this.producerDoc))
  }

  consume(bytes: Uint8Array): void {
    Y.applyUpdate(this.consumerDoc, bytes)
  }

  read(key: Key): unknown {
    return readRecord(this.consumerDoc, key)
  }

  snapshot(): Uint8Array {
    return Y.encodeStateAsUpdate(this.producerDoc)
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, bytes)
    return (key) => readRecord(doc, key)
  }

  dispose(): void {
    this.producerDoc.destroy()
    this.consumerDoc.destroy()
  }
}

function readRecord(doc: Y.Doc, key: Key): unknown {
  const v = doc.getMap<unknown>('r').get(keyId(key))
  return v instanceof Y.Map ? v.toJSON() : v
}
