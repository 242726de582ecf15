/*
 * The messages between the rooms suite (parent) and its peer processes (`peer.ts`), over the
 * child_process IPC channel with `serialization: 'advanced'` (structured clone, so Float64Arrays
 * travel as they are). Every request carries an id and gets exactly one reply with that id; the
 * unsolicited child → parent messages are raw simple-peer signals for the parent to relay, and warnings.
 * All times are µs on the shared monotonic clock (clock.ts).
 */

/** What a process saw of its own resources during a measured window. */
export interface ResourceWindow {
  /** Wall time of the window, ms. */
  wallMs: number
  /** Process CPU (user + system, all threads: JS, GC helpers, WebRTC threads), ms. */
  cpuMs: number
  /** Time the process's threads were runnable but waiting for a core (all threads, /proc schedstat), ms; NaN if unknown. */
  runQueueWaitMs: number
  /** The same for the main (JS) thread alone. */
  mainRunQueueWaitMs: number
  /** On-CPU time by thread name ('main (JS)', 'node' = V8 and libuv helpers, WebRTC's named threads), ms. */
  threadCpuMs: Record<string, number>
  /** Garbage collections that ended during the window (any kind). */
  gcCount: number
  /** Their summed duration (main-thread pause, as `perf_hooks` reports it), ms. */
  gcMs: number
  /** The longest one, ms. */
  gcMaxMs: number
  /** Each one's main-thread pause, µs on the shared clock. */
  gcStartUs: Float64Array
  gcEndUs: Float64Array
  /** Event-loop delay (`monitorEventLoopDelay`, 5 ms sampling timer): p99 and max, ms. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
}

/** One round of the clock check: the child stamps when it handles the parent's message. */
export interface ClockStamp {
  /** `nowUs()` (CLOCK_MONOTONIC, system-wide). */
  monoUs: number
  /** `performance.timeOrigin + performance.now()`, µs. */
  wallUs: number
}

/**
 * How the sender waits for the next item. `sleep`: `Atomics.wait` until it is due, then one
 * `setImmediate` turn (I/O and microtasks run between items); precise to ~0.1 ms without burning
 * CPU, so at 1 000/s every update leaves on its own. `timer`: `setTimeout` (libuv's 1 ms timers),
 * so items fall due in bursts that leave together.
 */
export type Pacing = 'sleep' | 'timer'

/** A schedule of sends: `count` items, one every `periodUs`, sending everything due at each wake-up. */
export interface Schedule {
  count: number
  periodUs: number
  /** Sequence number of the first item; items are numbered consecutively. */
  firstSeq: number
  pacing: Pacing
}

/** What the sender logged; per-item arrays are indexed by seq − firstSeq. */
export interface SendLog {
  /** When each item was due. */
  intendedUs: Float64Array
  /** When the send call (`room.cache.update` / `peer.send`) started. */
  actualUs: Float64Array
  /**
   * Every data-channel send during the window (`RTCDataChannel.send` through simple-peer), start and
   * end: start − actual is the sender's own work, end − start the blocking call into WebRTC's thread.
   */
  channelSendStartUs: Float64Array
  channelSendEndUs: Float64Array
  /** Wake-ups of the send loop (items sent per wake-up = count / wakeups). */
  wakeups: number
  resources: ResourceWindow
}

/** What the receiver logged, indexed by seq − firstSeq; NaN where nothing arrived. */
export interface ReceiveLog {
  /** When the application saw the item (room: `change` event; raw: `data` event). */
  receivedUs: Float64Array
  /** When the data-channel message carrying it reached JavaScript (simple-peer `data` event). */
  arrivalUs: Float64Array
  /** Items that arrived twice. */
  duplicates: number
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
  /** Time to write them into the room, ms (not part of the sync). */
  writeMs: number
}

export interface SyncResult {
  /** From `joinRoom` to the first connected peer, ms. */
  connectMs: number
  /** From `joinRoom` to the first data-channel message carrying sync data (first chunk), ms. */
  firstChunkMs: number
  /** From `joinRoom` to the last chunk of the sync message (the whole state has arrived), ms. */
  lastChunkMs: number
  /** From `joinRoom` to `whenSynced()` resolving, ms. */
  syncedMs: number
  /** From `joinRoom` until `whenSynced()` has resolved and every record is present, ms. */
  totalMs: number
  records: number
  digest: string
  traffic: RoomTraffic
  resources: ResourceWindow
  /** Afterwards, untimed: the same state through Yjs alone, for comparison (when asked for). */
  yjs: YjsReference | null
}

/** Plain Yjs on the synced state, in the consumer process: what one encode and one apply cost. */
export interface YjsReference {
  updateBytes: number
  /** `Y.encodeStateAsUpdate` of the synced doc (what the producer does before sending), ms. */
  encodeMs: number
  /** `Y.applyUpdate` of that update into a fresh doc, ms, and the GC pauses during it. */
  applyMs: number
  applyGcMs: number
  /** `JSON.parse` of the records' JSON (all records as one array), ms: a floor for any decoder. */
  jsonParseMs: number
}

/** A bulk transfer over the raw data channel. */
export interface BulkStamp {
  /** Sender: before the first write; receiver: the first chunk's arrival. */
  firstUs: number
  /** Sender: after the last write call returned; receiver: the last chunk's arrival. */
  lastUs: number
  bytes: number
}

export type RecordSet = 'many' | 'one'

export type Request =
  | { op: 'clock' }
  | { op: 'gc' }
  /** Opens a raw simple-peer channel; `link` names it when a process has several (fan-out). */
  | { op: 'raw-open'; initiator: boolean; link?: string }
  | { op: 'raw-signal'; data: unknown; link?: string }
  /**
   * Sender: one message of `payloadBytes` per schedule item on every open raw link (one way, nothing answered), by
   * simple-peer's `send` (straight to `RTCDataChannel.send`) or its stream `write` (what a room's
   * PeerLink uses: `send`, then a `bufferedAmount` read for backpressure).
   */
  | { op: 'raw-send'; schedule: Schedule; payloadBytes: number; via: 'send' | 'write' }
  /** Receiver: start logging arrivals for a schedule. */
  | { op: 'raw-listen'; schedule: Schedule }
  | { op: 'raw-collect'; waitMs: number }
  /** `count` sequential round trips: ping, wait for the pong, next ping. */
  | { op: 'raw-rtt'; count: number; payloadBytes: number }
  /** Receiver: resolve once `bytes` have arrived (starts counting now). */
  | { op: 'raw-bulk-receive'; bytes: number; timeoutMs: number }
  /** Sender: write `bytes` in `chunkBytes` messages through simple-peer's stream, as a room does. */
  | { op: 'raw-bulk-send'; bytes: number; chunkBytes: number }
  | { op: 'raw-close' }
  | { op: 'join'; room: string; role: 'producer' | 'consumer' }
  | { op: 'wait-synced'; room: string; timeoutMs: number }
  /** Waits until the room has at least `peers` connected peers, then until it is synced with them. */
  | { op: 'wait-peers'; room: string; peers: number; timeoutMs: number }
  /** Producer: writes one auction-like update per schedule item. */
  | { op: 'produce'; room: string; schedule: Schedule }
  /** Consumer: start logging change events of a schedule. */
  | { op: 'listen'; room: string; schedule: Schedule }
  | { op: 'collect'; room: string; waitMs: number }
  | { op: 'traffic'; room: string }
  | { op: 'load'; room: string; set: RecordSet; seed: number }
  /** A fresh consumer joins and syncs; with `reference`, plain Yjs is timed on the state afterwards. */
  | { op: 'sync'; room: string; expectRecords: number; timeoutMs: number; reference: boolean }
  | { op: 'leave'; room: string }
  | { op: 'exit' }

export type Reply =
  | { op: 'clock'; stamp: ClockStamp }
  | { op: 'ok' }
  | { op: 'raw-send'; log: SendLog }
  | { op: 'raw-collect'; log: ReceiveLog }
  | { op: 'raw-rtt'; rttUs: Float64Array }
  | { op: 'raw-bulk'; stamp: BulkStamp }
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
  { id: number; reply: Reply } | { id: number; error: string } | { signal: unknown; link: string } | { warning: string }
