import type { JsonObject, Key } from '@diffstream/core'
import { keyId, utf8Decoder, utf8Encoder, type BenchRecord, type Contender } from '../contender.js'
import { restoreJson, snapshotJson } from './json-util.js'

/** Baseline: every update sends the whole record as JSON; the consumer parses it and stores it. */
export class FullJson implements Contender {
  readonly name = 'full JSON'
  readonly description = 'producer: JSON.stringify(record) → UTF-8; consumer: UTF-8 → JSON.parse, store by key'
  private store = new Map<string, JsonObject>()
  /** The producer application's dict (references, no copies): what a newcomer is sent. */
  private latest = new Map<string, BenchRecord>()

  setup(): void {
    this.store = new Map()
    this.latest = new Map()
  }

  produce(record: BenchRecord): Uint8Array {
    this.latest.set(keyId(record.key), record)
    return utf8Encoder.encode(JSON.stringify(record))
  }

  consume(bytes: Uint8Array): void {
    const parsed: unknown = JSON.parse(utf8Decoder.decode(bytes))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('full JSON: not an object')
    const record = parsed as JsonObject
    const key = record['key']
    if (typeof key !== 'string' && typeof key !== 'number') throw new Error('full JSON: record without key')
    this.store.set(keyId(key), record)
  }

  read(key: Key): unknown {
    return this.store.get(keyId(key))
  }

  /** The producer keeps no state of its own: a newcomer gets the application's dict as JSON. */
  snapshot(): Uint8Array {
    return snapshotJson(this.latest.values())
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    return restoreJson(bytes)
  }
}
