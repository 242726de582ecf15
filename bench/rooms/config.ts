import type { RecordSet, SyncResult } from './protocol.js'

/* The rooms suite's settings, goals and the shapes of its bulk and sync results. */

export interface RoomsConfig {
  clockRounds: number
  /** The measured 1 000/s raw and room series alternate in this many blocks each. */
  blocks: number
  /** Raw one-way messages at 1 000/s: warm-up and measured. */
  rawWarmup: number
  rawMessages: number
  /** The same through simple-peer's stream `write()`, as a room sends. */
  rawWriteMessages: number
  /** Sequential raw round trips (after `rttWarmup`). */
  rttWarmup: number
  rtts: number
  /** Bytes of a raw message: about a room update frame. */
  rawPayloadBytes: number
  /** Raw bulk transfers of {@link BULK_BYTES} (the first one is a warm-up). */
  bulkRuns: number
  /**
   * Room updates at 1 000/s: warm-up and measured. The peers' JIT keeps compiling (V8 helper
   * threads busy, latency up) for the first 2–3 s of room traffic, so the warm-up is 3 s.
   */
  warmup: number
  updates: number
  /** The same rate paced by setTimeout instead (0 = skip). */
  timerUpdates: number
  /** Higher rates (updates/s), each for `rampMs`, stopped at the first that is not sustained. */
  rampRates: number[]
  rampMs: number
  syncReps: number
  /** Record sets of the initial sync runs. */
  syncSets: RecordSet[]
  /** Time plain Yjs and JSON.parse on the synced state once per set (untimed for the sync). */
  syncReference: boolean
  /** Wall time the suite may spend measuring runs again because other processes were busy. */
  retryBudgetMs: number
}

export const DEFAULT: RoomsConfig = {
  clockRounds: 200,
  blocks: 5,
  rawWarmup: 1000,
  rawMessages: 3000,
  rawWriteMessages: 2000,
  rttWarmup: 200,
  rtts: 2000,
  rawPayloadBytes: 64,
  bulkRuns: 2,
  warmup: 3000,
  updates: 5000,
  timerUpdates: 1000,
  rampRates: [2000, 5000, 10_000, 20_000, 50_000],
  rampMs: 500,
  syncReps: 2,
  syncSets: ['many', 'one'],
  syncReference: true,
  retryBudgetMs: 10_000,
}
export const QUICK: RoomsConfig = {
  clockRounds: 50,
  blocks: 2,
  rawWarmup: 300,
  rawMessages: 1000,
  rawWriteMessages: 500,
  rttWarmup: 50,
  rtts: 300,
  rawPayloadBytes: 64,
  bulkRuns: 1,
  warmup: 1000,
  updates: 1000,
  timerUpdates: 0,
  rampRates: [],
  rampMs: 300,
  syncReps: 1,
  syncSets: ['many'],
  syncReference: false,
  retryBudgetMs: 2000,
}

export const RATE = 1000
export const GOAL_P50_MS = 1
export const GOAL_P99_MS = 5
/** Initial sync: at least this share of what the raw data channel carries in the same run (issue 15: 15 of 22.6 MB/s). */
export const GOAL_SYNC_SHARE = 2 / 3
/** MB = 10^6 bytes throughout. */
export const MB = 1e6
export const BULK_BYTES = 10 * MB
/** simple-peer messages as a room sends big ones (core/src/net/chunking.ts MAX_FRAME). */
export const BULK_CHUNK = 16 * 1024
/** A ramp step is sustained when the sender keeps ≥ 95% of the rate, nothing is lost and p99 stays below this. */
export const RAMP_P99_LIMIT_MS = 50

export interface BulkRun {
  bytes: number
  chunkBytes: number
  ms: number
  mbPerSec: number
  otherLoad: number | null
}

export interface SyncRun extends SyncResult {
  set: RecordSet
  jsonBytes: number
  /** JSON MB per second from join to all records present. */
  mbPerSec: number
  /** JSON MB per second from the WebRTC connection to all records present (signaling and ICE excluded). */
  mbPerSecAfterConnect: number
  digestOk: boolean
  otherLoad: number | null
}

export interface SyncSet {
  set: RecordSet
  records: number
  jsonBytes: number
  writeMs: number
  runs: SyncRun[]
  /** Medians over the runs. */
  totalMs: number
  mbPerSec: number
  mbPerSecAfterConnect: number
}
