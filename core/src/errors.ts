/**
 * Every error DiffStream throws on purpose extends {@link DiffStreamError}, so callers can tell
 * DiffStream's refusals from bugs with one `instanceof`. After any of them the cache is exactly as
 * it was before the call.
 * @packageDocumentation
 */

/** Base class of all DiffStream errors. */
export class DiffStreamError extends Error {
  /** Always `'DiffStreamError'`, so that logs name the error. */
  override name = 'DiffStreamError'
  /** @param options - `cause`: the error this one wraps, if any. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The data given to `update` has no key field (see the `keyName` option). */
export class MissingKeyError extends DiffStreamError {
  /** Always `'MissingKeyError'`, so that logs name the error. */
  override name = 'MissingKeyError'
}

/** A producer was asked to delete or retransmit a key it does not hold. */
export class KeyNotFoundError extends DiffStreamError {
  /** Always `'KeyNotFoundError'`, so that logs name the error. */
  override name = 'KeyNotFoundError'
}

/**
 * A consumer got an `upd` for a key it never had. The message is held and applied once the record
 * arrives; one `retran(key, consumer.stateVector())` from the producer makes the consumer whole.
 */
export class CacheKeyError extends DiffStreamError {
  /** Always `'CacheKeyError'`, so that logs name the error. */
  override name = 'CacheKeyError'
}

/**
 * A consumer got an update that builds on changes it never received (it missed an earlier
 * message). The message is held until the gap is filled; one `retran` fills it at once.
 */
export class PatchMismatchError extends DiffStreamError {
  /** Always `'PatchMismatchError'`, so that logs name the error. */
  override name = 'PatchMismatchError'
}

/** The record after applying a message would not hash to the message's checksum; nothing was applied. */
export class ChecksumMismatchError extends DiffStreamError {
  /** Always `'ChecksumMismatchError'`, so that logs name the error. */
  override name = 'ChecksumMismatchError'
}

/** A `del` arrived for a key the consumer does not hold (already deleted, or never seen). */
export class CacheKeyWarning extends DiffStreamError {
  /** Always `'CacheKeyWarning'`, so that logs name the error. */
  override name = 'CacheKeyWarning'
}

/** Bytes or a message that are not a valid DiffStream message: unknown command, malformed or truncated. */
export class InvalidMessageError extends DiffStreamError {
  /** Always `'InvalidMessageError'`, so that logs name the error. */
  override name = 'InvalidMessageError'
}

/** `strict: true` and the update changes nothing. */
export class NoChangeError extends DiffStreamError {
  /** Always `'NoChangeError'`, so that logs name the error. */
  override name = 'NoChangeError'
}

/**
 * A message of an older epoch than the cache's: it builds on a document that compaction replaced,
 * so it is not applied. The sender moves to the new epoch when it receives a message of it.
 */
export class StaleEpochError extends DiffStreamError {
  /** Always `'StaleEpochError'`, so that logs name the error. */
  override name = 'StaleEpochError'
}

/** A value that is not JSON: undefined in an array, a function, symbol, bigint, NaN, a cycle, a class instance… */
export class UnsupportedValueError extends DiffStreamError {
  /** Always `'UnsupportedValueError'`, so that logs name the error. */
  override name = 'UnsupportedValueError'
}

/** A write where the role forbids it, such as `update(data)` on a consumer. */
export class ReadOnlyError extends DiffStreamError {
  /** Always `'ReadOnlyError'`, so that logs name the error. */
  override name = 'ReadOnlyError'
}

/**
 * A signed room refused what a peer sent: an unsigned or badly signed update, structs from a client
 * id no listed writer bound, or a binding for a key that is not listed (see docs/writers.md).
 */
export class UnauthorizedWriteError extends DiffStreamError {
  /** Always `'UnauthorizedWriteError'`, so that logs name the error. */
  override name = 'UnauthorizedWriteError'
}

/** A message was given to a cache that only produces (a `producer`); use a `peer` to both write and receive. */
export class WriteOnlyError extends DiffStreamError {
  /** Always `'WriteOnlyError'`, so that logs name the error. */
  override name = 'WriteOnlyError'
}

/**
 * Base class of the errors a {@link DocStore} (file or IndexedDB) throws on purpose. A store that
 * throws one of these on open has changed nothing on disk.
 */
export class StoreError extends DiffStreamError {
  /** Always `'StoreError'`, so that logs name the error. */
  override name = 'StoreError'
}

/**
 * What a store holds cannot be read as a DiffStream store: a truncated or foreign header, a damaged
 * snapshot, a missing file, a record of the wrong shape. A damaged *tail* of frames is not an error:
 * it is cut and reported in `StoredState.repaired`.
 */
export class StoreCorruptError extends StoreError {
  /** Always `'StoreCorruptError'`, so that logs name the error. */
  override name = 'StoreCorruptError'
}

/** The store was written by a newer DiffStream (a format version this one does not know). */
export class StoreVersionError extends StoreError {
  /** Always `'StoreVersionError'`, so that logs name the error. */
  override name = 'StoreVersionError'
  /** Thrown by the stores when `found` is newer than `supported`. */
  constructor(
    message: string,
    /** The version found in the store. */
    readonly found: number,
    /** The newest version this DiffStream reads. */
    readonly supported: number,
  ) {
    super(message)
  }
}

/** Another process (or browser tab, or an open store in this process) holds the store's lock. */
export class StoreLockedError extends StoreError {
  /** Always `'StoreLockedError'`, so that logs name the error. */
  override name = 'StoreLockedError'
}

/** A frame or snapshot above the store's size limit (refused on append and on load). */
export class StoreLimitError extends StoreError {
  /** Always `'StoreLimitError'`, so that logs name the error. */
  override name = 'StoreLimitError'
}

/** An operation on a store that was closed, or that failed (a write or flush error) and must be reopened. */
export class StoreClosedError extends StoreError {
  /** Always `'StoreClosedError'`, so that logs name the error. */
  override name = 'StoreClosedError'
}

/**
 * After a `ret` message, this copy still does not hold what the message's sender holds: it holds
 * changes the sender never made (under the sender's client ids, or clients the sender never saw),
 * or records that differ from the sender's although both have seen the same changes. A forged or
 * corrupted update it accepted earlier is the usual cause; more diffs cannot repair it. The `ret`
 * was not applied (the cache is as before); `cache.resync(source.retran(key))` takes the sender's
 * whole state instead (docs/integrity.md). It is a {@link ChecksumMismatchError}: what the copy
 * would hold does not match the checksums the `ret` carries (a `ret` corrupted on the way in fails
 * the same way, and a resync from it is refused).
 */
export class DivergedError extends ChecksumMismatchError {
  /** Always `'DivergedError'`, so that logs name the error. */
  override name = 'DivergedError'
  /** Thrown by `DiffCache.update` on a `ret` that leaves the copy different from its sender. */
  constructor(
    message: string,
    /** Keys of this copy's records that differ from the sender's, or that the sender does not hold (empty when the sender listed no per-record checksums). */
    readonly keys: readonly (string | number)[],
    /** How many of the sender's records this copy lacks or holds differently, as far as the message tells (0 when unknown). */
    readonly differing: number,
    /** Yjs client ids of which this copy holds changes the sender vouches were never made. */
    readonly clients: readonly number[],
  ) {
    super(message)
  }
}
