import type { Command, DataMsg } from './data-msg.js'
import type { DivergedError } from './errors.js'
import type { Key } from './keys.js'
import type { DocStore } from './store/types.js'

/** What a cache may do: write (`producer`), receive (`consumer`), or both (`peer`). */
export type Role = 'producer' | 'consumer' | 'peer'

/** Options of {@link DiffCache}. All are optional. */
export interface DiffCacheOptions {
  /**
   * The field that holds each record's key.
   * @defaultValue `'key'`
   */
  keyName?: string
  /**
   * `true`: the cache keeps and returns copies, so callers can mutate what they pass and get.
   * `false`: it keeps and returns the caller's own objects (faster; do not mutate them behind the
   * cache's back, and do not mutate what a consumer returns).
   * @defaultValue `true`
   */
  copy?: boolean
  /**
   * `true`: an update that changes nothing throws {@link NoChangeError}.
   * @defaultValue `false`
   */
  strict?: boolean
  /**
   * Largest message accepted from outside, in bytes; a larger one is an {@link InvalidMessageError}.
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number
  /**
   * Bytes of early messages (those that arrived before what they build on) kept until what they
   * build on arrives. Past it the oldest are dropped (counted in `stats.dropped`); a `retran`
   * recovers them.
   * @defaultValue 16 MiB
   */
  maxHeldBytes?: number
  /**
   * When the mirror's history outweighs its live data, start a fresh document (a new epoch) that
   * holds only the live state, so memory and a newcomer's catch-up follow the data, not the
   * history. `false` turns it off. See docs/compaction.md.
   * @defaultValue `{ ratio: 2, minBytes: 4096 }`
   */
  compaction?: false | CompactionOptions
  /**
   * Keeps the cache in a store (`openFileStore` from `@diffstream/core/node`, or
   * {@link openIndexedDbStore}): {@link DiffCache.whenLoaded} resolves once its data is back,
   * {@link DiffCache.whenStored} once every write so far is durable. See docs/store.md.
   * @defaultValue none: the cache lives in memory only
   */
  store?: DocStore
}

/**
 * When a cache or room compacts: when its encoded state exceeds `ratio` times the live data's JSON
 * and `minBytes`. The defaults differ: see {@link DiffCacheOptions.compaction} and
 * {@link RoomOptions.compaction}.
 */
export interface CompactionOptions {
  /** Compact when the encoded state exceeds this many times the live data's JSON size (at least 1). */
  ratio?: number
  /** Never compact a state smaller than this many bytes. */
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
  /** `new`, `upd` or `del` (a `ret` reports the changes it brought as `new`/`upd`/`del`). */
  cmd: Exclude<Command, 'ret'>
  /** The record's key. */
  key: Key
  /** The record now (a copy unless `copy: false`), or null when it was deleted. */
  data: T | null
  /** `local`: this cache's own write; `remote`: a message from elsewhere. */
  origin: 'local' | 'remote'
}

/** Events of a {@link DiffCache}: listen with `cache.on(name, handler)`. */
export type DiffCacheEvents<T> = {
  /** A record changed (see {@link ChangeEvent}). */
  change: (event: ChangeEvent<T>) => void
  /** The store failed: writes since are no longer durable. */
  error: (error: Error) => void
  /**
   * A peer cache wrote something that the other copies must receive, without being asked to: it put
   * back a value that a concurrent write with a lower stamp displaced, merged the fields of a record
   * created at once elsewhere, or carried what it held into an epoch it adopted (docs/compaction.md).
   * Send `msg` (a `ret`) like any other message. Without a listener it travels with the next message.
   */
  repair: (msg: DataMsg) => void
  /**
   * A `ret` held back until what it builds on arrived found, once applied, that this cache differs
   * from its sender: it was not applied (as {@link DivergedError} from `update`, which a `ret`
   * applied at once throws instead). Recover with `cache.resync(...)` (docs/integrity.md).
   */
  diverged: (error: DivergedError) => void
}
