import type { JsonObject, JsonValue, Key } from '@diffstream/core'
import { LoroDoc, LoroMap, type Value } from 'loro-crdt'
import { keyId, type BenchRecord, type Contender } from '../contender.js'
import { isPlainObject, sameJson } from './json-util.js'

const PEER_ID = 0x9e3779b1
const NO_CHANGE = new Uint8Array(0)

function fill(map: LoroMap, obj: JsonObject): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    if (isPlainObject(v)) fill(map.setContainer(k, new LoroMap()), v)
    else map.set(k, v as Value)
  }
}

/** Writes only the fields that differ; nested objects are LoroMaps edited field by field, arrays plain values. */
function writeFields(map: LoroMap, obj: JsonObject): void {
  let fields = 0
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    fields++
    const cur: unknown = map.get(k)
    if (cur instanceof LoroMap) {
      if (isPlainObject(v)) writeFields(cur, v)
      else map.set(k, v as Value)
    } else if (isPlainObject(v)) fill(map.setContainer(k, new LoroMap()), v)
    else if (!sameJson(cur, v)) map.set(k, v as Value)
  }
  // Every field of obj is now in the map; listing the keys crosses into WASM, so only when some are extra.
  if (map.size > fields) for (const k of map.keys()) if (obj[k] === undefined) map.delete(k)
}

/**
 * Loro: one LoroDoc, a root map with a LoroMap per record (nested objects as LoroMaps, arrays and
 * scalars as plain values, as the raw Yjs contender does). The producer writes the changed fields
 * and commits; its bytes come from `subscribeLocalUpdates` (called synchronously by `commit`);
 * the consumer calls `import`. A newcomer imports `export({ mode: 'snapshot' })`.
 */
export class Loro implements Contender {
  readonly name = 'Loro'
  readonly description =
    'producer: changed fields into a LoroMap, commit, bytes from subscribeLocalUpdates; consumer: doc.import'
  private producer = new LoroDoc()
  private consumer = new LoroDoc()
  private last: Uint8Array | null = null

  setup(): void {
    this.dispose()
    this.producer = new LoroDoc()
    this.producer.setPeerId(PEER_ID)
    this.producer.subscribeLocalUpdates((bytes) => {
      this.last = bytes
    })
    this.consumer = new LoroDoc()
  }

  /** One commit for all records. */
  load(records: readonly BenchRecord[]): number {
    const root = this.producer.getMap('r')
    this.last = null
    for (const r of records) fill(root.setContainer(keyId(r.key), new LoroMap()), r)
    this.producer.commit()
    const bytes = this.last ?? NO_CHANGE
    this.consume(bytes)
    return bytes.length
  }

  produce(record: BenchRecord): Uint8Array {
    const root = this.producer.getMap('r')
    const id = keyId(record.key)
    this.last = null
    const cur: unknown = root.get(id)
    if (cur instanceof LoroMap) writeFields(cur, record)
    else fill(root.setContainer(id, new LoroMap()), record)
    this.producer.commit()
    return this.last ?? NO_CHANGE
  }

  consume(bytes: Uint8Array): void {
    if (bytes.length > 0) this.consumer.import(bytes)
  }

  read(key: Key): unknown {
    return readRecord(this.consumer, key)
  }

  snapshot(): Uint8Array {
    return this.producer.export({ mode: 'snapshot' })
  }

  /** Loro's own history trimming: a shallow snapshot at the current version (state without history). */
  compactSnapshot(): Uint8Array {
    return this.producer.export({ mode: 'shallow-snapshot', frontiers: this.producer.oplogFrontiers() })
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    const doc = LoroDoc.fromSnapshot(bytes)
    return (key) => readRecord(doc, key)
  }

  dispose(): void {
    this.producer.free()
    this.consumer.free()
  }
}

function readRecord(doc: LoroDoc, key: Key): unknown {
  const v: unknown = doc.getMap('r').get(keyId(key))
  return v instanceof LoroMap ? (v.toJSON() as JsonValue) : v
}
