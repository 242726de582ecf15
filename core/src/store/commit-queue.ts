/**
 * The ordering and batching half of a store, independent of where bytes go. Operations run one at a
 * time in call order; appends that queue up while a flush is in flight become one batch (group
 * commit), so N concurrent appends cost one flush instead of N. Pure: shared by the file and the
 * IndexedDB store.
 */

/** Where a {@link CommitQueue} sends its work; each call must be durable when its promise resolves. */
export interface CommitSink {
  /** Writes `frames` after what is already stored and makes them durable with one flush. */
  writeFrames(frames: readonly Uint8Array[]): Promise<void>
  /** Replaces everything stored by `snapshot`, durably. */
  compact(snapshot: Uint8Array): Promise<void>
}

export interface CommitQueueOptions {
  /** Batch appends that wait together (group commit); false: one flush per frame. */
  batch: boolean
  /** A batch stops growing at this many bytes (it always takes at least one frame). */
  maxBatchBytes: number
  /** A batch stops growing at this many frames. */
  maxBatchFrames: number
  /** Called once, with the first error a sink call threw; the queue then refuses everything. */
  onFailure(error: unknown): void
  /** What queued and later operations reject with after a failure. */
  failedError(cause: unknown): Error
}

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

type Op =
  | { kind: 'append'; frame: Uint8Array; waiter: Waiter }
  | { kind: 'compact'; snapshot: Uint8Array; waiter: Waiter }
  | { kind: 'barrier'; waiter: Waiter }

export class CommitQueue {
  private readonly ops: Op[] = []
  private scheduled = false
  private failure: { cause: unknown } | null = null

  constructor(
    private readonly sink: CommitSink,
    private readonly options: CommitQueueOptions,
  ) {}

  /** Resolves once `frame` (already validated and copied by the caller) is durable. */
  append(frame: Uint8Array): Promise<void> {
    return this.push((waiter) => ({ kind: 'append', frame, waiter }))
  }

  /** Resolves once `snapshot` replaced everything queued before it, durably. */
  compact(snapshot: Uint8Array): Promise<void> {
    return this.push((waiter) => ({ kind: 'compact', snapshot, waiter }))
  }

  /** Resolves once every operation queued before this call has settled (never rejects). */
  idle(): Promise<void> {
    if (this.ops.length === 0 && !this.scheduled) return Promise.resolve()
    return this.push((waiter) => ({ kind: 'barrier', waiter })).catch(() => undefined)
  }

  get failed(): boolean {
    return this.failure !== null
  }

  private push(make: (waiter: Waiter) => Op): Promise<void> {
    if (this.failure) return Promise.reject(this.options.failedError(this.failure.cause))
    return new Promise<void>((resolve, reject) => {
      this.ops.push(make({ resolve, reject }))
      if (!this.scheduled) {
        this.scheduled = true
        // A microtask, not a direct call: appends made in the same synchronous stretch join the first batch.
        queueMicrotask(() => void this.run())
      }
    })
  }

  private async run(): Promise<void> {
    while (this.ops.length > 0) {
      const head = this.ops[0]!
      if (head.kind === 'barrier') {
        this.ops.shift()
        head.waiter.resolve()
        continue
      }
      const batch = head.kind === 'append' ? this.takeBatch() : [this.ops.shift()!]
      try {
        if (head.kind === 'compact') await this.sink.compact(head.snapshot)
        else await this.sink.writeFrames(batch.map((op) => (op as { frame: Uint8Array }).frame))
      } catch (error) {
        for (const op of batch) op.waiter.reject(error)
        this.fail(error)
        break
      }
      for (const op of batch) op.waiter.resolve()
    }
    this.scheduled = false
  }

  private takeBatch(): Op[] {
    const { batch: grow, maxBatchBytes, maxBatchFrames } = this.options
    let n = 1
    let bytes = (this.ops[0] as { frame: Uint8Array }).frame.length
    if (grow) {
      while (n < this.ops.length && n < maxBatchFrames) {
        const op = this.ops[n]!
        if (op.kind !== 'append' || bytes + op.frame.length > maxBatchBytes) break
        bytes += op.frame.length
        n++
      }
    }
    return this.ops.splice(0, n)
  }

  private fail(cause: unknown): void {
    this.failure = { cause }
    this.options.onFailure(cause)
    const error = this.options.failedError(cause)
    for (const op of this.ops.splice(0)) {
      if (op.kind === 'barrier') op.waiter.resolve()
      else op.waiter.reject(error)
    }
  }
}
