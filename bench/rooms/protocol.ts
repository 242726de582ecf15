/*
 * The messages between the rooms suite (parent) and its peer processes (`peer.ts`), over the
 * child_process IPC channel with `serialization: 'advanced'` (structured clone, so Float64Arrays
 * travel as they are). Every request carries an id and gets exactly one reply with that id; the
 * only unsolicited child → parent message is a raw simple-peer signal for the parent to relay.
 */

/** What a process saw of its own resources during a measured window. */
export interface ResourceWindow {
  /** Wall time of the window, ms. */
  wallMs: number
  /** Process CPU (user + system, all threads: JS, GC helpers, WebRTC threads), ms. */
  cpuMs: number
  /** Garbage collections that ended during the window (any kind). */
  gcCount: number
  /** Their summed duration (main-thread pause, as `perf_hooks` reports it), ms. */
  gcMs: number
  /** The longest one, ms. */
  gcMaxMs: number
  /** Event-loop delay (`monitorEventLoopDelay`, 1 ms sampling timer): p99 and max, ms. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
}

/** One round of the clock check: the child stamps when it handles the parent's message. */
export interface ClockStamp {
  /** `clock.now()` (CLOCK_MONOTONIC, system-wide), µs. */
  monoUs: number
  /** `performance.timeOrigin + performance.now()`, µs. */
  wallUs: number
}

/** A schedule of sends: `count` items, one every `periodUs`, sending everything due at each wake-up. */
export interface Schedule {
  count: number
  periodUs: number
  /** Sequence number of the first item; items are numbered consecutively. */
  firstSeq: number
}

/** What the sender logged, index = seq − firstSeq. */
export interface SendLog {
  /** When each item was due, µs on the shared clock. */
  intendedUs: Float64Array
  /** When the send call (`room.cache.update` / `peer.send`) started, µs on the shared clock. */
  actualUs: Float64Array
  /** Wake-ups of the send loop (items sent per wake-up = count / wakeups). */
  wakeups: number
  resources: ResourceWindow
}

/** What the receiver logged, index = seq − firstSeq; NaN where nothing arrived. */
export interface ReceiveLog {
  receivedUs: Float64Array
  /** Items that arrived out of the window or twice. */
  unexpected: number
  resources: ResourceWindow
}

export interface RoomTraffic {
  messagesSent: number
  bytesSent: number
  messagesReceived: number
  bytesReceived: number
}

export interface LoadResult {
  records: number
  /** UTF-8 bytes of `JSON.stringify` of every record (what the room counts as `jsonBytes`). */
  jsonBytes: number
  /** SHA-256 of the records as canonical JSON (sorted keys), in key order. */
  digest: string
  /** Time to write them into the room, ms (untimed for the sync itself). */
  writeMs: number
}

export interface SyncResult {
  /** From `joinRoom` to the first connected peer, ms. */
  connectMs: number
  /** From `joinRoom` to `whenSynced()` resolving, ms. */
  syncedMs: number
  /** From `joinRoom` until `whenSynced()` has resolved and every record is present, ms. */
  totalMs: number
  records: number
  digest: string
  traffic: RoomTraffic
  resources: ResourceWindow
}

export type RecordSet = 'many' | 'one'

export type Request =
  | { op: 'clock' }
  | { op: 'gc' }
  | { op: 'raw-open'; initiator: boolean }
  | { op: 'raw-signal'; data: unknown }
  /** Pinger: sends pings on a schedule; the other side answers each at once. */
  | { op: 'raw-ping'; schedule: Schedule; payloadBytes: number }
  /** Ponger: start (or restart) logging ping arrivals for a schedule. */
  | { op: 'raw-listen'; schedule: Schedule }
  | { op: 'raw-collect'; schedule: Schedule; waitMs: number }
  | { op: 'raw-close' }
  | { op: 'join'; room: string; role: 'producer' | 'consumer' }
  | { op: 'wait-synced'; room: string; timeoutMs: number }
  /** Producer: writes one auction-like update per schedule item. */
  | { op: 'produce'; room: string; schedule: Schedule; lots: number }
  /** Consumer: start logging change events of a schedule. */
  | { op: 'listen'; room: string; schedule: Schedule }
  | { op: 'collect'; room: string; schedule: Schedule; waitMs: number }
  | { op: 'traffic'; room: string }
  | { op: 'load'; room: string; set: RecordSet; seed: number }
  | { op: 'sync'; room: string; expectRecords: number; timeoutMs: number }
  | { op: 'leave'; room: string }
  | { op: 'exit' }

export type Reply =
  | { op: 'clock'; stamp: ClockStamp }
  | { op: 'ok' }
  | { op: 'raw-ping'; log: SendLog; rttUs: Float64Array }
  | { op: 'raw-collect'; log: ReceiveLog }
  | { op: 'produce'; log: SendLog; traffic: RoomTraffic }
  | { op: 'collect'; log: ReceiveLog; traffic: RoomTraffic }
  | { op: 'traffic'; traffic: RoomTraffic }
  | { op: 'load'; result: LoadResult }
  | { op: 'sync'; result: SyncResult }

/** Parent → child. */
export interface RequestEnvelope {
  id: number
  req: Request
}

/** Child → parent. */
export type ChildMessage =
  | { id: number; reply: Reply }
  | { id: number; error: string }
  | { signal: unknown }
  | { warning: string }
