import { DiffCache, type CacheStats, type JsonObject, type Key } from '@diffstream/core'
import type { BenchRecord, Contender } from '../contender.js'

/**
 * `@diffstream/core` through its public API with default options (`copy: true, strict: false`):
 * `producer.update(record).encode()` on one side, `consumer.update(bytes)` (which decodes and
 * fully checks the bytes, applies the update, verifies the checksum (undoing it on a mismatch) and
 * returns a copy of the record) on the other.
 */
export class DiffStream implements Contender {
  readonly name = 'DiffStream'
  readonly description =
    'producer.update(record).encode(); consumer.update(bytes) (decode + inspect + apply + checksum + copy out)'
  private producer = DiffCache.producer<JsonObject>()
  private consumer = DiffCache.consumer<JsonObject>()
  /** Keeps the consumer's answers reachable, so the work that produced them cannot be skipped. */
  lastResult: unknown = null

  setup(): void {
    this.dispose()
    this.producer = DiffCache.producer<JsonObject>()
    this.consumer = DiffCache.consumer<JsonObject>()
  }

  produce(record: BenchRecord): Uint8Array {
    return this.producer.update(record).encode()
  }

  consume(bytes: Uint8Array): void {
    this.lastResult = this.consumer.update(bytes)
  }

  read(key: Key): unknown {
    return this.consumer.get(key)
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
