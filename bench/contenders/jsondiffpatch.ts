import type { JsonObject, Key } from '@diffstream/core'
import { create, type Delta } from 'jsondiffpatch'
import { keyId, utf8Decoder, utf8Encoder, type BenchRecord, type Contender } from '../contender.js'
import { jsonCopy, restoreJson, snapshotJson } from './json-util.js'

type DeltaMsg = { key: Key; data: JsonObject } | { key: Key; delta: Delta }

/**
 * jsondiffpatch with its defaults: the producer keeps a deep copy of each record's previous
 * version and sends `{key, delta: diff(prev, next)}` as JSON; the consumer patches its copy in
 * place. No checksum: a lost or reordered delta silently corrupts the copy.
 */
export class JsonDiffPatch implements Contender {
  readonly name = 'jsondiffpatch'
  readonly description =
    'producer: diff(prev copy, next) as JSON {key, delta}; consumer: JSON.parse + patch in place (no checksum)'
  private readonly differ = create()
  private prev = new Map<string, JsonObject>()
  private store = new Map<string, JsonObject>()

  setup(): void {
    this.prev = new Map()
    this.store = new Map()
  }

  produce(record: BenchRecord): Uint8Array {
    const id = keyId(record.key)
    const old = this.prev.get(id)
    this.prev.set(id, jsonCopy(record))
    const msg: DeltaMsg =
      old === undefined ? { key: record.key, data: record } : { key: record.key, delta: this.differ.diff(old, record) }
    return utf8Encoder.encode(JSON.stringify(msg))
  }

  consume(bytes: Uint8Array): void {
    const msg = JSON.parse(utf8Decoder.decode(bytes)) as DeltaMsg
    const id = keyId(msg.key)
    if ('data' in msg) {
      this.store.set(id, msg.data)
      return
    }
    const current = this.store.get(id)
    if (current === undefined) throw new Error(`jsondiffpatch: delta for unknown key ${id}`)
    if (msg.delta !== undefined) this.store.set(id, this.differ.patch(current, msg.delta) as JsonObject)
  }

  read(key: Key): unknown {
    return this.store.get(keyId(key))
  }

  snapshot(): Uint8Array {
    return snapshotJson(this.prev.values())
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    return restoreJson(bytes)
  }
}
