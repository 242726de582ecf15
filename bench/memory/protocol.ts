/* Messages between the memory suite and its child processes (one per contender, `child.ts`). */

/** What the child is asked to do: stream `updates` auction ticks through one contender's producer. */
export interface MemoryJob {
  contender: string
  auctions: number
  updates: number
  seed: number
  /** Update counts at which memory and state size are sampled (ascending). */
  checkpoints: number[]
  /** Checkpoints at which a newcomer also restores the state (timed, then checked). */
  catchUpAt: number[]
  /** Wall time after which the child stops streaming and takes a last sample where it is. */
  budgetMs: number
  /** A catch-up predicted (from the previous one, per state byte) to take longer than this is not timed. */
  restoreCapMs: number
}

/** One sample, after a full GC. */
export interface MemoryPoint {
  updates: number
  /** `process.memoryUsage()` fields, bytes. */
  rss: number
  heapUsed: number
  /** C++ objects bound to JS, Buffers and WebAssembly memory (Loro and Automerge keep their documents there). */
  external: number
  arrayBuffers: number
  /** Bytes a newcomer needs (`snapshot()`), and the producer's time to make them, ms. */
  stateBytes: number
  encodeMs: number
  /** Loro only: a shallow snapshot at the current version (Loro's own history trimming). */
  compactStateBytes: number | null
  /** Newcomer restoring the state, ms (null when not done at this checkpoint). */
  restoreMs: number | null
  /** Producer wall time per update since the previous checkpoint, µs. */
  usPerUpdate: number
  /** Seconds since the stream started (checkpoint work included). */
  elapsedS: number
}

export type ChildReport =
  | { type: 'ready'; name: string; baseline: MemoryPoint }
  | { type: 'point'; point: MemoryPoint }
  | { type: 'done'; reason: 'complete' | 'budget'; updates: number }
  | { type: 'error'; message: string }
  | { type: 'exit' }
