import type { JsonObject, Key } from '@diffstream/core'

/** A record as the workloads produce it: a plain JSON object with a `key` field. */
export type BenchRecord = JsonObject & { key: Key }

/**
 * One way of keeping a consumer's copy of a keyed dict equal to a producer's, measured by the
 * core suite. The suite calls `setup()` before each repetition, then alternates `produce` (on the
 * producer side: record → bytes on the wire) and `consume` (on the consumer side: bytes → its copy
 * updated). The whole cost of a method is `produce + consume`, encoding and decoding included.
 */
export interface Contender {
  /** Short name used in tables and JSON. */
  readonly name: string
  /** One line on how the method works and what the measurement includes. */
  readonly description: string
  /** Throws away all state and starts a fresh producer and consumer. */
  setup(): void
  /**
   * Optional: brings producer and consumer to hold `records` in bulk (the untimed initial state),
   * for methods whose per-record messages would take minutes on a 10 000-record cache; returns the
   * bytes sent. Without it, each record is produced and consumed on its own.
   */
  load?(records: readonly BenchRecord[]): number
  /**
   * Optional: producer and consumer hold `records` at once, as fast as the method allows (the
   * scaling rows start from 50 000 records, too many to send one by one); not timed.
   */
  bulkLoad?(records: readonly BenchRecord[]): void
  /**
   * Optional: a path write, for a caller who knows what changed: the producer writes only
   * `patch` (nested objects merge into the record's objects, anything else replaces the field)
   * into the record `key`, and returns the message bytes. `consume` applies them as usual.
   */
  producePatch?(key: Key, patch: JsonObject): Uint8Array
  /** Producer: takes the next version of a record, returns the message bytes to send. */
  produce(record: BenchRecord): Uint8Array
  /** Consumer: applies one message, leaving its copy of the record up to date. */
  consume(bytes: Uint8Array): void
  /** The consumer's current copy of a record as plain JSON (for the correctness check, not timed). */
  read(key: Key): unknown
  /**
   * Producer side: everything a newcomer needs to hold the whole dict, as bytes (its full state,
   * with whatever history the method keeps).
   */
  snapshot(): Uint8Array
  /** A fresh consumer built from `snapshot()` bytes; returns a reader of its copy (for the check). */
  restore(bytes: Uint8Array): (key: Key) => unknown
  /** Releases resources (optional). */
  dispose?(): void
}

/** The id a key is stored under (`314159` and `'314159'` are the same record), as DiffStream does. */
export function keyId(key: Key): string {
  return typeof key === 'string' ? key : String(key)
}

export const utf8Encoder = new TextEncoder()
export const utf8Decoder = new TextDecoder()
