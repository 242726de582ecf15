import type { Command } from './data-msg.js'
import type { Key } from './keys.js'
import type { DocStore } from './store/types.js'

/** What a cache may do: write (`producer`), receive (`consumer`), or both (`peer`). */
export type Role = 'producer' | 'consumer' | 'peer'

/** Options of {@link DiffCache}. All are optional. */
export interface DiffCacheOptions {
  /** The field that holds each record's key (default `'key'`). */
  keyName?: string
  /**
   * `true` (default): the cache keeps and returns copies, so callers can mutate what they pass and
   * get. `false`: it keeps and returns the caller's own objects (faster; do not mutate them behind
   * the cache's back, and do not mutate what a consumer returns).
   */
  copy?: boolean
  /** `true`: an update that changes nothing throws `NoChangeError` (default `false`). */
  strict?: boolean
  /** Largest message accepted from outside, in bytes (default 64 MiB). */
  maxMessageBytes?: number
  /** Bytes of early messages kept until what they build on arrives (default 16 MiB). */
  maxHeldBytes?: number
  /**
   * When the mirror's history outweighs its live data, start a fresh document (a new epoch) that
   * holds only the live state, so memory and a newcomer's catch-up follow the data, not the
   * history. Default on; `false` turns it off. See docs/compaction.md.
   */
  compaction?: false | CompactionOptions
  /**
   * Keeps the cache in a store (`openFileStore` from `@diffstream/core/node`, or
   * `openIndexedDbStore`): `whenLoaded()` resolves once its data is back, `whenStored()` once every
   * write so far is durable. See docs/store.md.
   */
  store?: DocStore
}

/** When a cache compacts (see {@link DiffCacheOptions.compaction}). */
export interface CompactionOptions {
  /** Compact when the encoded state exceeds this many times the live data's JSON size (default 4). */
  ratio?: number
  /** Never compact a state smaller than this many bytes (default 64 KiB). */
  minBytes?: number
}

/**
 * What `patch(key, partial)` takes: any of a record's fields. A plain object merges into the
 * record's object field the same way, an array or any other value replaces the field, and
 * `undefined` deletes it.
 */
export type RecordPatch<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? RecordPatch<T[K]> | T[K] : T[K]
}

/** What `consumer.update(msg)` returns: the command, the record's key and the record (null after `del`). */
export type ApplyResult<T> = [cmd: Command, key: Key, data: T | null]

/** A record changed, by this cache (`local`) or by a message from elsewhere (`remote`). */
export interface ChangeEvent<T> {
  cmd: Exclude<Command, 'ret'>
  key: Key
  /** The record now (a copy unless `copy: false`), or null when it was deleted. */
  data: T | null
  origin: 'local' | 'remote'
}

/** Events of a {@link DiffCache}. */
export type DiffCacheEvents<T> = {
  change: (event: ChangeEvent<T>) => void
  /** The store failed: writes since are no longer durable. */
  error: (error: Error) => void
}
