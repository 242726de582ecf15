/**
 * Where a cache or room keeps its state so that it survives a restart. A store holds opaque frames
 * (the cache decides what they mean): one snapshot plus the frames appended since. Implementations:
 * a file store for Node and Electron, an IndexedDB store for browsers.
 */
export interface DocStore {
  /** What the store holds: the last snapshot (or null) and the frames appended after it, in order. */
  load(): Promise<StoredState>
  /**
   * Appends one frame. The promise resolves once the frame is durable (on disk, fsync'd, or
   * committed by IndexedDB); frames appended together may share one flush (group commit).
   */
  append(frame: Uint8Array): Promise<void>
  /**
   * Replaces everything held by `snapshot` (frames appended before this call are dropped). Resolves
   * once the snapshot is durable; a crash before that leaves the previous snapshot and frames.
   */
  compact(snapshot: Uint8Array): Promise<void>
  /** Bytes the store holds now (snapshot plus appended frames), to decide when to compact. */
  readonly size: number
  /** Flushes what is pending and releases the store (its lock, its handles). */
  close(): Promise<void>
}

/** What {@link DocStore.load} returns. */
export interface StoredState {
  /** The last snapshot given to {@link DocStore.compact}, or null if there was none. */
  snapshot: Uint8Array | null
  /** The frames appended after that snapshot, oldest first. */
  frames: Uint8Array[]
  /** What was wrong and cut on open (a torn or corrupt tail), or null when the store was intact. */
  repaired: string | null
}

/**
 * How appends reach the disk. `'group'` (the default): appends that arrive while a flush is in flight
 * are written together and share the next flush (one fsync or one IndexedDB transaction).
 * `'each'`: one flush per frame, in order (slower; the baseline for benchmarks).
 */
export type SyncMode = 'group' | 'each'

/** Options every store takes. Sizes are bounded on append and again on load (stored bytes are input too). */
export interface StoreOptions {
  /**
   * How appends reach the disk: see {@link SyncMode}.
   * @defaultValue `'group'`
   */
  sync?: SyncMode
  /**
   * Largest frame `append` accepts and `load` reads back (a DataMsg's own limit).
   * @defaultValue 64 MiB
   */
  maxFrameBytes?: number
  /**
   * Largest snapshot `compact` accepts and `load` reads back.
   * @defaultValue 1 GiB
   */
  maxSnapshotBytes?: number
}

/** Counters of what a store did since it was opened, to see group commit at work. */
export interface StoreStats {
  /** Frames appended (durable or still pending). */
  appends: number
  /** Flushes of appended frames: fsyncs of the log (file store) or committed transactions (IndexedDB). */
  flushes: number
  /** Completed compactions. */
  compactions: number
  /** Frames in the largest flush so far. */
  largestBatch: number
  /** Bytes written (frame headers and payloads; snapshots included). */
  bytesWritten: number
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024
export const DEFAULT_MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024
/** The length field is a u32 and a Node Buffer is at most 4 GiB: no limit may exceed this. */
export const MAX_LIMIT_BYTES = 0xffff_ff00
