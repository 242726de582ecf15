import { DiffCache, type CacheStats, type DiffCacheOptions, type JsonObject, type Key } from '@diffstream/core'
import type { BenchRecord, Contender } from '../contender.js'

/**
 * `@diffstream/core` through its public API (`copy: true, strict: false`):
 * `producer.update(record).encode()` on one side, `consumer.update(bytes)` (which decodes and
 * fully checks the bytes, applies the update, verifies the checksum (undoing it on a mismatch) and
 * returns a copy of the record) on the other. A newcomer applies `producer.retran(key)`, which
 * carries the producer's whole state. `compaction: false` measures the same cache with the
 * history never trimmed.
 */
export class DiffStream implements Contender {
  readonly name: string
  readonly description: string
  private producer: DiffCache<JsonObject>
  private consumer: DiffCache<JsonObject>
  /** Keeps the consumer's answers reachable, so the work that produced them cannot be skipped. */
  lastResult: unknown = null
  private readonly options: DiffCacheOptions

  constructor(compaction = true) {
    this.options = compaction ? {} : ({ compaction: false } as DiffCacheOptions)
    this.name = compaction ? 'DiffStream' : 'DiffStream (compaction: false)'
    this.description = compaction
      ? 'producer.update(record).encode(); consumer.update(bytes) (decode + inspect + apply + checksum + copy out)'
      : 'the same with compaction: false on both caches (history never trimmed)'
    this.producer = DiffCache.producer<JsonObject>(this.options)
    this.consumer = DiffCache.consumer<JsonObject>(this.options)
  }

  setup(): void {
    this.dispose()
    this.producer = DiffCache.producer<JsonObject>(this.options)
    this.consumer = DiffCache.consumer<JsonObject>(this.options)
  }

  produce(record: BenchRecord): Uint8Array {
    return this.producer.update(record).encode()
  }

  /** Patches: `producer.patch(key, partial)`, the write for callers who know what changed. */
  producePatch(key: Key, patch: JsonObject): Uint8Array {
    return this.producer.patch(key, patch).encode()
  }

  /** The producer writes every record; the consumer catches up from one `retran`. */
  bulkLoad(records: readonly BenchRecord[]): void {
    for (const r of records) this.producer.update(r)
    const first = records[0]
    if (first) this.consumer.update(this.producer.retran(first.key).encode())
  }

  consume(bytes: Uint8Array): void {
    this.lastResult = this.consumer.update(bytes)
  }

  read(key: Key): unknown {
    return this.consumer.get(key)
  }

  snapshot(): Uint8Array {
    const first = this.producer.keys()[0]
    if (first === undefined) throw new Error('DiffStream: no record to retransmit')
    return this.producer.retran(first).encode()
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    const fresh = DiffCache.consumer<JsonObject>(this.options)
    fresh.update(bytes)
    return (key) => fresh.get(key)
  }

  /** The producer's own byte accounting (messages, bytes, full-JSON bytes), for cross-checking. */
  producerStats(): CacheStats {
    return this.producer.stats
  }

  dispose(): void {
    this.lastResult = null
    this.producer.destroy()
    this.consumer.destroy()
  }
}
