/**
 * The half of a {@link DocStore} that does not depend on where bytes go, shared by the file and the
 * IndexedDB store: it checks what callers hand in, orders every operation through a
 * {@link CommitQueue}, counts pending bytes and flushes, hands out the state read on open once, and
 * refuses work once closed or failed. A subclass writes, reads back and releases its medium.
 * Nothing here may import Node modules: this file is part of the browser bundle.
 */
import { StoreClosedError, StoreLimitError } from '../errors.js'
import { CommitQueue } from './commit-queue.js'
import type { ResolvedStoreOptions } from './options.js'
import type { DocStore, StoredState, StoreStats } from './types.js'

/** A group-commit batch stops growing at this many frames, in every store. */
const MAX_BATCH_FRAMES = 4096

export abstract class QueuedStore<Stats extends StoreStats = StoreStats> implements DocStore {
  private readonly queue: CommitQueue
  /** Bytes of frames accepted but not yet written (as the subclass stores them). */
  protected pendingBytes = 0
  /** The state read on open, until the first write makes it stale. */
  private opened: StoredState | null
  private closing: Promise<void> | null = null
  /** Why the store refuses work: the first failed write, or what the subclass sets. */
  protected failure: unknown = null

  constructor(
    protected readonly options: ResolvedStoreOptions,
    protected readonly counters: Stats,
    opened: StoredState,
    maxBatchBytes: number,
  ) {
    this.opened = opened
    this.queue = new CommitQueue(
      { writeFrames: (frames) => this.writeFrames(frames), compact: (snapshot) => this.writeSnapshot(snapshot) },
      {
        batch: options.sync === 'group',
        maxBatchBytes,
        maxBatchFrames: MAX_BATCH_FRAMES,
        onFailure: (error) => (this.failure = error),
        failedError: (cause) => this.failedError(cause),
      },
    )
  }

  /** Who the store is in error messages, e.g. `the store in /some/dir`. */
  protected abstract get label(): string

  /** Bytes the store holds now, pending frames included. */
  abstract get size(): number

  /** Reads back and checks what the medium holds (only after a write since open). */
  protected abstract reload(): Promise<StoredState>

  /** The bytes to queue for `frame`, a fresh copy: `frame` may be reused by the caller. */
  protected abstract prepareFrame(frame: Uint8Array): Uint8Array

  /** Writes queued frames (as {@link prepareFrame} made them) durably, then calls {@link flushed}. */
  protected abstract writeFrames(frames: readonly Uint8Array[]): Promise<void>

  /** Replaces everything by `snapshot`, durably. */
  protected abstract writeSnapshot(snapshot: Uint8Array): Promise<void>

  /** Closes the medium and releases the lock; called once, after the queue is idle. */
  protected abstract release(): Promise<void> | void

  /** What the store holds, after every append and compaction called before has completed. */
  async load(): Promise<StoredState> {
    this.assertOpen()
    await this.queue.idle()
    this.assertOpen()
    if (this.opened) {
      // Nothing was written since open: hand out what open already read and checked.
      const state = this.opened
      this.opened = null
      return state
    }
    return this.reload()
  }

  /**
   * Appends `frame` (copied at once; the caller may reuse its buffer). Resolves once the frame is
   * durable. Rejects with {@link StoreLimitError} above `maxFrameBytes`.
   */
  async append(frame: Uint8Array): Promise<void> {
    this.assertOpen()
    checkInput(frame, 'frame', 'maxFrameBytes', this.options.maxFrameBytes)
    const prepared = this.prepareFrame(frame)
    this.counters.appends++
    this.pendingBytes += prepared.length
    this.opened = null
    return this.queue.append(prepared)
  }

  /**
   * Replaces everything by `snapshot` (frames appended before this call are dropped; appends made
   * after it follow it). Resolves once the snapshot is durable.
   */
  async compact(snapshot: Uint8Array): Promise<void> {
    this.assertOpen()
    checkInput(snapshot, 'snapshot', 'maxSnapshotBytes', this.options.maxSnapshotBytes)
    this.opened = null
    return this.queue.compact(snapshot.slice())
  }

  /** Counters since open. */
  get stats(): Stats {
    return { ...this.counters }
  }

  /** Waits for pending appends, then closes the medium and releases the lock. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.queue.idle()
      await this.release()
    })())
  }

  /** What operations reject with once `cause` broke the store. */
  protected failedError(cause: unknown): StoreClosedError {
    return new StoreClosedError(`${this.label} failed (${String(cause)}); close and reopen it`, { cause })
  }

  protected assertOpen(): void {
    if (this.closing) throw new StoreClosedError(`${this.label} is closed`)
    if (this.failure !== null) throw this.failedError(this.failure)
  }

  /** Books a durable write of `frames` frames holding `bytes` pending bytes. */
  protected flushed(frames: number, bytes: number): void {
    this.pendingBytes -= bytes
    const c = this.counters
    c.flushes++
    c.bytesWritten += bytes
    if (frames > c.largestBatch) c.largestBatch = frames
  }
}

/** Throws unless `value` is a Uint8Array of at most `max` bytes (`limitName` says which option). */
function checkInput(value: unknown, what: 'frame' | 'snapshot', limitName: string, max: number): void {
  if (!(value instanceof Uint8Array)) throw new TypeError(`a ${what} is a Uint8Array`)
  if (value.length > max) {
    throw new StoreLimitError(`a ${what} of ${value.length} bytes is above ${limitName} (${max})`)
  }
}
