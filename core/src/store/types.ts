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
  snapshot: Uint8Array | null
  frames: Uint8Array[]
  /** What was wrong and cut on open (a torn or corrupt tail), or null when the store was intact. */
  repaired: string | null
}
