import { loadavg } from 'node:os'
import { startSignalingServer } from '@diffstream/signaling'
import { barChartSvg, chartLinks, type Chart } from './charts.js'
import { checkLine, fmt, machineInfo, markdownTable, median } from './report.js'
import { PeerProcess } from './rooms/child.js'
import { nowUs, wallUs } from './rooms/clock.js'
import { OtherLoad } from './rooms/load.js'
import type {
  BulkStamp,
  Pacing,
  ReceiveLog,
  RecordSet,
  ResourceWindow,
  Schedule,
  SendLog,
  SyncResult,
  YjsReference,
} from './rooms/protocol.js'
import { ITEM_JSON_BYTES, ITEMS, LOTS } from './rooms/records.js'
import { lowerBound, summarize, type Summary } from './rooms/stats.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `rooms`: DiffStream rooms over real WebRTC (simple-peer + @roamhq/wrtc, loopback ICE candidates
 * only) between two processes on this machine: latency from the producer's `cache.update` to the
 * consumer's `change` event at 1 000 updates/s next to the raw data channel between the same two
 * processes in the same run, a rate ramp, and the throughput of a 10 MB initial sync.
 */

interface RoomsConfig {
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

const DEFAULT: RoomsConfig = {
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
const QUICK: RoomsConfig = {
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

const RATE = 1000
const GOAL_P50_MS = 1
const GOAL_P99_MS = 5
/** Initial sync: at least this share of what the raw data channel carries in the same run (issue 15: 15 of 22.6 MB/s). */
const GOAL_SYNC_SHARE = 2 / 3
/** MB = 10^6 bytes throughout. */
const MB = 1e6
const BULK_BYTES = 10 * MB
/** simple-peer messages as a room sends big ones (core/src/net/chunking.ts MAX_FRAME). */
const BULK_CHUNK = 16 * 1024
/** A ramp step is sustained when the sender keeps ≥ 95% of the rate, nothing is lost and p99 stays below this. */
const RAMP_P99_LIMIT_MS = 50
/** A run during which other processes used more than this share of the machine is measured again (within the budget). */
const CONTENDED = 0.15

// --- clock check -----------------------------------------------------------------------------------

interface ClockCheck {
  process: string
  rounds: number
  /** IPC round trip (parent → child → parent), µs: median and minimum. */
  ipcRttUsMedian: number
  ipcRttUsMin: number
  /** Child stamps outside [parent before, parent after]: must be 0 for a shared clock. */
  monoViolations: number
  /** Child − parent offset at the fastest round, µs (a round trip bounds it by ±RTT/2). */
  monoOffsetUs: number
  /** The same for `performance.timeOrigin + performance.now()`. */
  wallViolations: number
  wallOffsetUs: number
}

async function clockCheck(p: PeerProcess, rounds: number): Promise<ClockCheck> {
  const rows: Array<{ rtt: number; mono: number; wall: number; monoOut: boolean; wallOut: boolean }> = []
  for (let i = 0; i < rounds; i++) {
    const m0 = nowUs()
    const w0 = wallUs()
    const { stamp } = await p.ask({ op: 'clock' }, 'clock')
    const w2 = wallUs()
    const m2 = nowUs()
    rows.push({
      rtt: m2 - m0,
      mono: stamp.monoUs - (m0 + m2) / 2,
      wall: stamp.wallUs - (w0 + w2) / 2,
      monoOut: stamp.monoUs < m0 || stamp.monoUs > m2,
      wallOut: stamp.wallUs < w0 || stamp.wallUs > w2,
    })
  }
  const best = rows.reduce((a, b) => (b.rtt < a.rtt ? b : a))
  return {
    process: p.label,
    rounds,
    ipcRttUsMedian: median(rows.map((r) => r.rtt)),
    ipcRttUsMin: best.rtt,
    monoViolations: rows.filter((r) => r.monoOut).length,
    monoOffsetUs: best.mono,
    wallViolations: rows.filter((r) => r.wallOut).length,
    wallOffsetUs: best.wall,
  }
}

// --- streams of small messages -------------------------------------------------------------------

/** Where the time of one item went, ms (percentiles of parts do not add up to those of the total). */
interface Breakdown {
  /** Send call (update() / send()) → its data-channel `send` started: the sender's own work. */
  senderMs: Summary
  /** Inside the data-channel `send` (a blocking call into WebRTC's thread). */
  sendCallMs: Summary
  /** `send` returned → the receiver's `data` event: WebRTC threads, SCTP/DTLS, loopback UDP. */
  transportMs: Summary
  /** `data` event → the application's event (room: decode, checks, apply, `change`). */
  receiverMs: Summary
}

interface StreamResult {
  label: string
  pacing: Pacing
  targetRate: number
  count: number
  /** Runs it was measured in (interleaved with the other series). */
  blocks: number
  /** Sender's rate from the first to the last send call, per second. */
  achievedRate: number
  /** Items per wake-up of the send loop. */
  itemsPerWakeup: number
  /** Items whose change event never came and no later update of the same record did either. */
  lost: number
  /** Items superseded by a later update of the same record before the consumer saw them (latest wins). */
  coalesced: number
  /** Latency from the send call (update() / send()) to the receiver's event, ms. */
  latencyMs: Summary
  /** Latency from when the item was due, ms (adds the sender's lateness against its schedule). */
  fromIntendedMs: Summary
  /** How late the send calls were against the schedule, ms. */
  sendLagMs: Summary
  breakdown: Breakdown
  /** p99 of each block, ms: how much the tail varies from run to run. */
  blockP99Ms: number[]
  /** Items slower than the p99 goal, and how many of them had a GC pause (producer or consumer) during their flight. */
  gc: { slowerThanGoal: number; slowDuringGc: number; allDuringGc: number; pauses: number; pauseMs: number }
  /** Data-channel sends per item (rooms: updates made in one tick leave as one message). */
  messagesPerItem: number
  wireBytesPerItem: number
  sender: ResourceWindow
  receiver: ResourceWindow
  /** Share of the machine used by other processes during the runs (mean over blocks; null: unknown). */
  otherLoad: number | null
}

/** Whether [from, to] overlaps any of the intervals [starts[k], ends[k]]. */
function overlaps(from: number, to: number, starts: Float64Array, ends: Float64Array): boolean {
  for (let k = 0; k < starts.length; k++) if (starts[k]! <= to && ends[k]! >= from) return true
  return false
}

/** One run (block) of a stream, item by item, before it is combined with the other blocks of its series. */
export interface Block {
  n: number
  latMs: Float64Array
  fromIntendedMs: Float64Array
  lagMs: Float64Array
  parts: { sender: Float64Array; call: Float64Array; transport: Float64Array; receiver: Float64Array }
  lost: number
  coalesced: number
  slow: number
  slowInGc: number
  allInGc: number
  spanS: number
  wakeups: number
  channelSends: number
  wireBytes: number
  sender: ResourceWindow
  receiver: ResourceWindow
  otherLoad: number | null
}

/**
 * @param lots - Items i and i + lots update the same record (rooms), so an item whose change event
 *   never came was superseded when a later one of its record arrived: its value was merged into that
 *   one (latest wins), and it counts as seen when that one was. 0 for raw messages.
 */
export function itemize(
  send: SendLog,
  recv: ReceiveLog,
  otherLoad: number | null,
  wireBytes: number,
  lots: number,
): Block {
  const n = send.actualUs.length
  const b: Block = {
    n,
    latMs: new Float64Array(n),
    fromIntendedMs: new Float64Array(n),
    lagMs: new Float64Array(n),
    parts: {
      sender: new Float64Array(n),
      call: new Float64Array(n),
      transport: new Float64Array(n),
      receiver: new Float64Array(n),
    },
    lost: 0,
    coalesced: 0,
    slow: 0,
    slowInGc: 0,
    allInGc: 0,
    spanS: (send.actualUs[n - 1]! - send.actualUs[0]!) / 1e6,
    wakeups: send.wakeups,
    channelSends: send.channelSendStartUs.length,
    wireBytes,
    sender: send.resources,
    receiver: recv.resources,
    otherLoad,
  }
  const gcStarts = Float64Array.from([...send.resources.gcStartUs, ...recv.resources.gcStartUs])
  const gcEnds = Float64Array.from([...send.resources.gcEndUs, ...recv.resources.gcEndUs])
  for (let i = 0; i < n; i++) {
    const actual = send.actualUs[i]!
    let j = i
    while (lots > 0 && Number.isNaN(recv.receivedUs[j]!) && j + lots < n) j += lots
    const got = recv.receivedUs[j]!
    if (Number.isNaN(got)) b.lost++
    else if (j !== i) b.coalesced++
    b.latMs[i] = (got - actual) / 1000
    b.fromIntendedMs[i] = (got - send.intendedUs[i]!) / 1000
    b.lagMs[i] = (actual - send.intendedUs[i]!) / 1000
    if (!Number.isNaN(got)) {
      const inGc = overlaps(actual, got, gcStarts, gcEnds)
      if (inGc) b.allInGc++
      if (b.latMs[i]! > GOAL_P99_MS) {
        b.slow++
        if (inGc) b.slowInGc++
      }
    }
    // The data-channel send that carried item i: the first one that started after its send call
    // (true unless writes queue up behind backpressure).
    const k = lowerBound(send.channelSendStartUs, actual)
    const start = send.channelSendStartUs[k] ?? NaN
    const end = send.channelSendEndUs[k] ?? NaN
    const arrival = recv.arrivalUs[j]!
    b.parts.sender[i] = (start - actual) / 1000
    b.parts.call[i] = (end - start) / 1000
    b.parts.transport[i] = (arrival - end) / 1000
    b.parts.receiver[i] = (got - arrival) / 1000
  }
  return b
}

/** Resource windows of several blocks as one: sums, and maxima where a sum means nothing. */
function mergeResources(ws: readonly ResourceWindow[]): ResourceWindow {
  const sum = (f: (w: ResourceWindow) => number): number => ws.reduce((a, w) => a + f(w), 0)
  const max = (f: (w: ResourceWindow) => number): number => ws.reduce((a, w) => Math.max(a, f(w)), 0)
  const threadCpuMs: Record<string, number> = {}
  for (const w of ws) for (const [k, v] of Object.entries(w.threadCpuMs)) threadCpuMs[k] = (threadCpuMs[k] ?? 0) + v
  return {
    wallMs: sum((w) => w.wallMs),
    cpuMs: sum((w) => w.cpuMs),
    runQueueWaitMs: sum((w) => w.runQueueWaitMs),
    mainRunQueueWaitMs: sum((w) => w.mainRunQueueWaitMs),
    threadCpuMs,
    gcCount: sum((w) => w.gcCount),
    gcMs: sum((w) => w.gcMs),
    gcMaxMs: max((w) => w.gcMaxMs),
    gcStartUs: Float64Array.from(ws.flatMap((w) => Array.from(w.gcStartUs))),
    gcEndUs: Float64Array.from(ws.flatMap((w) => Array.from(w.gcEndUs))),
    loopDelayP99Ms: max((w) => w.loopDelayP99Ms),
    loopDelayMaxMs: max((w) => w.loopDelayMaxMs),
  }
}

const concat = (arrays: readonly Float64Array[]): Float64Array =>
  Float64Array.from(arrays.flatMap((a) => Array.from(a)))

/** A series of blocks (interleaved with another series, or just one) as one result. */
function combine(label: string, pacing: Pacing, targetRate: number, blocks: readonly Block[]): StreamResult {
  const n = blocks.reduce((a, b) => a + b.n, 0)
  const sum = (f: (b: Block) => number): number => blocks.reduce((a, b) => a + f(b), 0)
  const loads = blocks.map((b) => b.otherLoad).filter((v): v is number => v !== null)
  return {
    label,
    pacing,
    targetRate,
    count: n,
    blocks: blocks.length,
    achievedRate: sum((b) => b.n - 1) / sum((b) => b.spanS),
    itemsPerWakeup: n / sum((b) => b.wakeups),
    lost: sum((b) => b.lost),
    coalesced: sum((b) => b.coalesced),
    latencyMs: summarize(concat(blocks.map((b) => b.latMs))),
    fromIntendedMs: summarize(concat(blocks.map((b) => b.fromIntendedMs))),
    sendLagMs: summarize(concat(blocks.map((b) => b.lagMs))),
    breakdown: {
      senderMs: summarize(concat(blocks.map((b) => b.parts.sender))),
      sendCallMs: summarize(concat(blocks.map((b) => b.parts.call))),
      transportMs: summarize(concat(blocks.map((b) => b.parts.transport))),
      receiverMs: summarize(concat(blocks.map((b) => b.parts.receiver))),
    },
    blockP99Ms: blocks.map((b) => summarize(b.latMs).p99),
    gc: {
      slowerThanGoal: sum((b) => b.slow),
      slowDuringGc: sum((b) => b.slowInGc),
      allDuringGc: sum((b) => b.allInGc),
      pauses: sum((b) => b.sender.gcCount + b.receiver.gcCount),
      pauseMs: sum((b) => b.sender.gcMs + b.receiver.gcMs),
    },
    messagesPerItem: sum((b) => b.channelSends) / n,
    wireBytesPerItem: sum((b) => b.wireBytes) / n,
    sender: mergeResources(blocks.map((b) => b.sender)),
    receiver: mergeResources(blocks.map((b) => b.receiver)),
    otherLoad: loads.length > 0 ? loads.reduce((a, v) => a + v, 0) / loads.length : null,
  }
}

let seqCounter = 0
function schedule(count: number, rate: number, pacing: Pacing): Schedule {
  const s: Schedule = { count, periodUs: 1e6 / rate, firstSeq: seqCounter, pacing }
  seqCounter += count
  return s
}

/**
 * Other processes share the 2 cores (this machine also runs other jobs): before a run, wait (up to
 * 3 s) for a 250 ms window in which they used less than {@link CONTENDED} of the machine; after it,
 * measure again if they were busy during the run. Both within one time budget for the suite.
 */
export class Retrier {
  private spentMs = 0
  retries = 0
  waitedMs = 0
  readonly discarded: Array<{ what: string; otherLoad: number }> = []

  constructor(
    private readonly budgetMs: number,
    readonly load: OtherLoad,
  ) {}

  private get left(): boolean {
    return this.spentMs < this.budgetMs
  }

  /** When the last measured run ended with other processes quiet (no need to look again right away). */
  private quietAt = -Infinity

  private async quiet(): Promise<void> {
    if (performance.now() - this.quietAt < 1000) return
    const t0 = performance.now()
    while (this.left && performance.now() - t0 < 3000) {
      const a = this.load.sample()
      await new Promise((r) => setTimeout(r, 250))
      const other = this.load.between(a, this.load.sample())
      if (other === null || other <= CONTENDED) break
    }
    const waited = performance.now() - t0 - 250
    if (waited > 0) {
      this.spentMs += waited
      this.waitedMs += waited
    }
  }

  async run<T extends { otherLoad: number | null }>(what: string, measure: () => Promise<T>): Promise<T> {
    await this.quiet()
    let result = await measure()
    while (result.otherLoad !== null && result.otherLoad > CONTENDED && this.left) {
      const t0 = performance.now()
      this.discarded.push({ what, otherLoad: result.otherLoad })
      console.error(
        `  ${what}: other processes used ${fmt(100 * result.otherLoad, 0)}% of the machine; measuring again`,
      )
      this.quietAt = -Infinity
      await this.quiet()
      result = await measure()
      this.retries++
      this.spentMs += performance.now() - t0
    }
    if (result.otherLoad === null || result.otherLoad <= CONTENDED) this.quietAt = performance.now()
    return result
  }
}

interface Ctx {
  producer: PeerProcess
  consumer: PeerProcess
  load: OtherLoad
  retrier: Retrier
}

async function gcBoth({ producer, consumer }: Ctx): Promise<void> {
  await Promise.all([producer.ask({ op: 'gc' }, 'ok'), consumer.ask({ op: 'gc' }, 'ok')])
}

async function rawBlock(ctx: Ctx, count: number, payloadBytes: number, via: 'send' | 'write'): Promise<Block> {
  const { producer, consumer, load } = ctx
  const s = schedule(count, RATE, 'sleep')
  await consumer.ask({ op: 'raw-listen', schedule: s }, 'ok')
  const l0 = load.sample()
  const sent = await producer.ask({ op: 'raw-send', schedule: s, payloadBytes, via }, 'raw-send', 30_000 + count)
  const { log } = await consumer.ask({ op: 'raw-collect', waitMs: 2000 }, 'raw-collect')
  return itemize(sent.log, log, load.between(l0, load.sample()), count * payloadBytes, 0)
}

/** MB/s of the raw bulk runs: the median after the first (a warm-up) when there are several. */
function bulkRate(runs: readonly BulkRun[]): number {
  return median((runs.length > 1 ? runs.slice(1) : runs).map((b) => b.mbPerSec))
}

interface BulkRun {
  bytes: number
  chunkBytes: number
  ms: number
  mbPerSec: number
  otherLoad: number | null
}

async function rawBulk(ctx: Ctx): Promise<BulkRun> {
  const { producer, consumer, load } = ctx
  const l0 = load.sample()
  const received = consumer.ask({ op: 'raw-bulk-receive', bytes: BULK_BYTES, timeoutMs: 60_000 }, 'raw-bulk', 70_000)
  await consumer.ask({ op: 'clock' }, 'clock') // the receiver is counting before anything is sent
  const sent: BulkStamp = (
    await producer.ask({ op: 'raw-bulk-send', bytes: BULK_BYTES, chunkBytes: BULK_CHUNK }, 'raw-bulk')
  ).stamp
  const got = (await received).stamp
  const ms = (got.lastUs - sent.firstUs) / 1000
  return {
    bytes: got.bytes,
    chunkBytes: BULK_CHUNK,
    ms,
    mbPerSec: got.bytes / MB / (ms / 1000),
    otherLoad: load.between(l0, load.sample()),
  }
}

const LATENCY_ROOM = 'bench-latency'

async function roomBlock(ctx: Ctx, count: number, rate: number, pacing: Pacing): Promise<Block> {
  const { producer, consumer, load } = ctx
  const s = schedule(count, rate, pacing)
  await consumer.ask({ op: 'listen', room: LATENCY_ROOM, schedule: s }, 'ok')
  const before = (await producer.ask({ op: 'traffic', room: LATENCY_ROOM }, 'traffic')).traffic
  const l0 = load.sample()
  const sent = await producer.ask(
    { op: 'produce', room: LATENCY_ROOM, schedule: s },
    'produce',
    30_000 + (count / rate) * 2000,
  )
  const got = await consumer.ask({ op: 'collect', room: LATENCY_ROOM, waitMs: 5000 }, 'collect', 20_000)
  return itemize(sent.log, got.log, load.between(l0, load.sample()), sent.traffic.bytesSent - before.bytesSent, LOTS)
}

// --- initial sync ----------------------------------------------------------------------------------

interface SyncRun extends SyncResult {
  set: RecordSet
  jsonBytes: number
  /** JSON MB per second from join to all records present. */
  mbPerSec: number
  /** JSON MB per second from the WebRTC connection to all records present (signaling and ICE excluded). */
  mbPerSecAfterConnect: number
  digestOk: boolean
  otherLoad: number | null
}

interface SyncSet {
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

async function syncSet(ctx: Ctx, set: RecordSet, reps: number, reference: boolean, seed: number): Promise<SyncSet> {
  const { producer, consumer, load, retrier } = ctx
  const room = `bench-sync-${set}`
  const { result: loaded } = await producer.ask({ op: 'load', room, set, seed }, 'load', 60_000)
  const runs: SyncRun[] = []
  for (let rep = 0; rep < reps; rep++) {
    const run = await retrier.run(`sync ${set}`, async (): Promise<SyncRun> => {
      await gcBoth(ctx)
      const l0 = load.sample()
      const { result } = await consumer.ask(
        { op: 'sync', room, expectRecords: loaded.records, timeoutMs: 60_000, reference: reference && rep === 0 },
        'sync',
        90_000,
      )
      const otherLoad = load.between(l0, load.sample())
      await consumer.ask({ op: 'leave', room }, 'ok')
      // Let the producer see the consumer go before the next one joins.
      await new Promise((r) => setTimeout(r, 200))
      return {
        ...result,
        set,
        jsonBytes: loaded.jsonBytes,
        mbPerSec: loaded.jsonBytes / MB / (result.totalMs / 1000),
        mbPerSecAfterConnect: loaded.jsonBytes / MB / ((result.totalMs - result.connectMs) / 1000),
        digestOk: result.digest === loaded.digest && result.records === loaded.records,
        otherLoad,
      }
    })
    runs.push(run)
  }
  await producer.ask({ op: 'leave', room }, 'ok')
  return {
    set,
    records: loaded.records,
    jsonBytes: loaded.jsonBytes,
    writeMs: loaded.writeMs,
    runs,
    totalMs: median(runs.map((r) => r.totalMs)),
    mbPerSec: median(runs.map((r) => r.mbPerSec)),
    mbPerSecAfterConnect: median(runs.map((r) => r.mbPerSecAfterConnect)),
  }
}

// --- report ----------------------------------------------------------------------------------------

const ms = (v: number): string => fmt(v, v < 10 ? 3 : 1)
const pct = (v: number | null): string => (v === null ? '?' : `${fmt(100 * v, 0)}%`)

const lostCell = (s: StreamResult): string => `${s.lost} / ${s.coalesced}`

function latencyRow(name: string, s: Summary, extra: readonly string[]): string[] {
  return [name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), String(s.n), ...extra]
}

function resourceCells(r: ResourceWindow): string[] {
  return [
    `${fmt((100 * r.cpuMs) / r.wallMs, 0)}%`,
    `${fmt((100 * r.runQueueWaitMs) / r.wallMs, 0)}% / ${fmt((100 * r.mainRunQueueWaitMs) / r.wallMs, 0)}%`,
    `${r.gcCount} / ${fmt(r.gcMs, 1)} ms / ${fmt(r.gcMaxMs, 2)} ms`,
    `${fmt(r.loopDelayP99Ms, 2)} / ${fmt(r.loopDelayMaxMs, 2)}`,
  ]
}

function sustained(s: StreamResult): boolean {
  return s.achievedRate >= 0.95 * s.targetRate && s.lost === 0 && s.latencyMs.p99 <= RAMP_P99_LIMIT_MS
}

interface Report {
  config: RoomsConfig
  machine: Record<string, unknown>
  clocks: ClockCheck[]
  raw: StreamResult
  rawWrite: StreamResult
  rttMs: Summary
  bulk: BulkRun[]
  room: StreamResult
  timer: StreamResult | null
  warmup: StreamResult
  ramp: StreamResult[]
  syncs: SyncSet[]
  checks: Check[]
  warnings: string[]
  discarded: Array<{ what: string; otherLoad: number }>
  quick: boolean
}

function goalChecks(room: StreamResult, raw: StreamResult, syncs: readonly SyncSet[], bulkMbPerSec: number): Check[] {
  const busy = (s: { otherLoad: number | null }): string =>
    s.otherLoad !== null && s.otherLoad > CONTENDED
      ? `; other processes used ${pct(s.otherLoad)} of the machine meanwhile`
      : ''
  const checks: Check[] = [
    {
      goal: `room latency p50 ≤ ${GOAL_P50_MS} ms at ${RATE} updates/s (producer update() → consumer change event, separate processes)`,
      pass: room.latencyMs.p50 <= GOAL_P50_MS && room.lost === 0,
      detail:
        `p50 ${ms(room.latencyMs.p50)} ms over ${room.latencyMs.n} updates at ${fmt(room.achievedRate, 0)}/s` +
        `${room.lost > 0 ? `, ${room.lost} lost` : ''}; raw data channel one way in the same run: p50 ${ms(raw.latencyMs.p50)} ms${busy(room)}`,
    },
    {
      goal: `room latency p99 ≤ ${GOAL_P99_MS} ms at ${RATE} updates/s`,
      pass: room.latencyMs.p99 <= GOAL_P99_MS && room.lost === 0,
      detail:
        `p99 ${ms(room.latencyMs.p99)} ms, max ${ms(room.latencyMs.max)} ms; raw data channel one way p99 ${ms(raw.latencyMs.p99)} ms` +
        `; from the scheduled send time p99 ${ms(room.fromIntendedMs.p99)} ms${busy(room)}`,
    },
  ]
  for (const s of syncs) {
    const ok = s.runs.every((r) => r.digestOk)
    checks.push({
      goal:
        `initial sync ≥ 2/3 of the raw data channel (${fmt(GOAL_SYNC_SHARE * bulkMbPerSec, 1)} MB/s in this run; ` +
        `${s.set === 'many' ? `${s.records} records of ~10 KB` : 'one ~10 MB record'}, join → synced + all records present)`,
      pass: s.mbPerSec >= GOAL_SYNC_SHARE * bulkMbPerSec && ok,
      detail:
        `${fmt(s.mbPerSec, 2)} MB/s = ${fmt(s.mbPerSec / bulkMbPerSec, 2)} of the raw channel: ${fmt(s.jsonBytes / MB, 2)} MB of JSON in ${ms(s.totalMs)} ms (median of ${s.runs.length}); ` +
        `${fmt(s.mbPerSecAfterConnect, 2)} MB/s from the WebRTC connection; the raw data channel alone carries ${fmt(bulkMbPerSec, 1)} MB/s` +
        `${ok ? '' : '; COPY DIFFERS from the producer'}`,
    })
  }
  return checks
}

function render(r: Report): string {
  const { raw, room } = r
  const m = r.machine
  const halfRtt = { ...r.rttMs, p50: r.rttMs.p50 / 2, p90: r.rttMs.p90 / 2, p99: r.rttMs.p99 / 2, max: r.rttMs.max / 2 }
  const latency = markdownTable(
    [
      'Path, producer process → consumer process',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'samples',
      'achieved /s',
      'lost / coalesced',
      'other load',
    ],
    [
      latencyRow('raw data channel one way, 1 000/s: send() → data event', raw.latencyMs, [
        fmt(raw.achievedRate, 0),
        lostCell(raw),
        pct(raw.otherLoad),
      ]),
      latencyRow('raw data channel one way, 1 000/s, via simple-peer write() as rooms send', r.rawWrite.latencyMs, [
        fmt(r.rawWrite.achievedRate, 0),
        lostCell(r.rawWrite),
        pct(r.rawWrite.otherLoad),
      ]),
      latencyRow('raw data channel RTT / 2 (sequential ping-pong)', halfRtt, ['', '', '']),
      latencyRow('raw data channel RTT (sequential ping-pong)', r.rttMs, ['', '', '']),
      latencyRow('**room, 1 000/s: update() → change event**', room.latencyMs, [
        fmt(room.achievedRate, 0),
        lostCell(room),
        pct(room.otherLoad),
      ]),
      latencyRow('room, 1 000/s: scheduled time → change event', room.fromIntendedMs, ['', '', '']),
      ...(r.timer
        ? [
            latencyRow('room, 1 000/s paced by setTimeout: update() → change', r.timer.latencyMs, [
              fmt(r.timer.achievedRate, 0),
              lostCell(r.timer),
              pct(r.timer.otherLoad),
            ]),
            latencyRow('room, 1 000/s paced by setTimeout: scheduled → change', r.timer.fromIntendedMs, ['', '', '']),
          ]
        : []),
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const parts = (s: StreamResult): Array<[string, Summary]> => [
    ['sender: send call → data-channel send()', s.breakdown.senderMs],
    ['inside data-channel send() (blocking call into the WebRTC thread)', s.breakdown.sendCallMs],
    ['send() returned → data event in the other process (WebRTC threads, SCTP, DTLS, UDP)', s.breakdown.transportMs],
    ['receiver: data event → application event', s.breakdown.receiverMs],
    ['total', s.latencyMs],
  ]
  const rawParts = parts(raw)
  const writeParts = parts(r.rawWrite)
  const breakdown = markdownTable(
    [
      'part of the latency',
      'raw send() p50',
      'raw send() p99',
      'raw write() p50',
      'raw write() p99',
      'room p50',
      'room p99',
    ],
    parts(room).map(([name, s], i) => {
      const rs = rawParts[i]![1]
      const ws = writeParts[i]![1]
      return [name, ms(rs.p50), ms(rs.p99), ms(ws.p50), ms(ws.p99), ms(s.p50), ms(s.p99)]
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const gcLine = (name: string, x: StreamResult): string =>
    `${name}: ${x.gc.slowerThanGoal} of ${x.count} slower than ${GOAL_P99_MS} ms, ${x.gc.slowDuringGc} of them ` +
    `(${fmt((100 * x.gc.slowDuringGc) / Math.max(1, x.gc.slowerThanGoal), 0)}%) with a GC pause in the sender or receiver process during their flight, ` +
    `against ${fmt((100 * x.gc.allDuringGc) / x.count, 1)}% of all (${x.gc.pauses} pauses, ${fmt(x.gc.pauseMs, 1)} ms in all).`
  const steps = [room, ...(r.timer ? [r.timer] : []), ...r.ramp]
  const ramp = markdownTable(
    [
      'target /s',
      'pacing',
      'achieved /s',
      'updates per tick',
      'messages per update',
      'wire B per update',
      'p50 ms',
      'p99 ms',
      'max ms',
      'lost / coalesced',
      'CPU producer / consumer',
      'other load',
      'sustained',
    ],
    steps.map((s) => [
      fmt(s.targetRate, 0),
      s.pacing,
      fmt(s.achievedRate, 0),
      fmt(s.itemsPerWakeup, 2),
      fmt(s.messagesPerItem, 3),
      fmt(s.wireBytesPerItem, 1),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p99),
      ms(s.latencyMs.max),
      lostCell(s),
      `${fmt((100 * s.sender.cpuMs) / s.sender.wallMs, 0)}% / ${fmt((100 * s.receiver.cpuMs) / s.receiver.wallMs, 0)}%`,
      pct(s.otherLoad),
      sustained(s) ? 'yes' : 'no',
    ]),
    ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  )
  const sleepSteps = [room, ...r.ramp]
  const maxSustained = sleepSteps.filter(sustained).reduce((a, s) => Math.max(a, s.achievedRate), 0)
  const meetsGoal = sleepSteps.filter((s) => sustained(s) && s.latencyMs.p99 <= GOAL_P99_MS)
  const syncRows = r.syncs.flatMap((s) =>
    s.runs.map((run, i) => [
      `${s.set === 'many' ? `${s.records} × ${ITEM_JSON_BYTES / 1000} KB` : '1 × 10 MB'} #${i + 1}`,
      fmt(run.traffic.bytesReceived / MB, 2),
      ms(run.connectMs),
      ms(run.firstChunkMs - run.connectMs),
      ms(run.lastChunkMs - run.firstChunkMs),
      ms(run.syncedMs - run.lastChunkMs),
      ms(run.totalMs),
      fmt(run.mbPerSec, 2),
      fmt(run.mbPerSecAfterConnect, 2),
      `${fmt((100 * run.resources.cpuMs) / run.resources.wallMs, 0)}%`,
      `${run.resources.gcCount} / ${fmt(run.resources.gcMs, 0)} ms`,
      pct(run.otherLoad),
      run.digestOk ? 'yes' : '**no**',
    ]),
  )
  const sync = markdownTable(
    [
      'records (JSON MB)',
      'wire MB',
      'join → connected ms',
      '→ first chunk ms',
      '→ last chunk ms',
      '→ synced ms',
      'total ms',
      'MB/s (join →)',
      'MB/s (connected →)',
      'consumer CPU',
      'consumer GCs / pause',
      'other load',
      'copy equal',
    ],
    syncRows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  )
  const hasReference = r.syncs.some((s) => s.runs.some((x) => x.yjs !== null))
  const yjsRows = r.syncs.map((s) => {
    const withRef = s.runs.filter((x) => x.yjs !== null)
    const med = (f: (run: SyncRun) => number): number => median(s.runs.map(f))
    const ref = (f: (y: YjsReference) => number): number => median(withRef.map((x) => f(x.yjs!)))
    return [
      s.set === 'many' ? `${s.records} × ${ITEM_JSON_BYTES / 1000} KB` : '1 × 10 MB',
      fmt(ref((y) => y.updateBytes) / MB, 2),
      ms(med((x) => x.firstChunkMs - x.connectMs)),
      ms(ref((y) => y.encodeMs)),
      ms(med((x) => x.syncedMs - x.lastChunkMs)),
      `${ms(ref((y) => y.applyMs))} (${ms(ref((y) => y.applyGcMs))})`,
      ms(ref((y) => y.jsonParseMs)),
    ]
  })
  const yjs = markdownTable(
    [
      'records',
      'Yjs state MB',
      'room: connected → first chunk ms',
      'plain Y.encodeStateAsUpdate ms',
      'room: last chunk → synced ms',
      'plain Y.applyUpdate ms (GC ms)',
      'JSON.parse of the records ms',
    ],
    yjsRows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const bulk = markdownTable(
    ['raw bulk run', 'MB', 'messages of', 'ms', 'MB/s', 'other load'],
    r.bulk.map((b, i) => [
      r.bulk.length > 1 && i === 0 ? 'warm-up' : `#${i + (r.bulk.length > 1 ? 0 : 1)}`,
      fmt(b.bytes / MB, 2),
      `${b.chunkBytes} B`,
      ms(b.ms),
      fmt(b.mbPerSec, 1),
      pct(b.otherLoad),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  )
  const resources = markdownTable(
    [
      'run (1 000/s)',
      'process',
      'CPU (of one core)',
      'run-queue wait: all threads / JS thread',
      'GCs / total / longest',
      'loop delay p99 / max ms',
    ],
    [
      ['raw one way', 'sender (producer)', ...resourceCells(raw.sender)],
      ['raw one way', 'receiver (consumer)', ...resourceCells(raw.receiver)],
      ['raw one way via write()', 'sender (producer)', ...resourceCells(r.rawWrite.sender)],
      ['raw one way via write()', 'receiver (consumer)', ...resourceCells(r.rawWrite.receiver)],
      ['room', 'producer', ...resourceCells(room.sender)],
      ['room', 'consumer', ...resourceCells(room.receiver)],
    ],
    ['left', 'left', 'right', 'right', 'right', 'right'],
  )
  const threadNames = Array.from(
    new Set([raw.sender, raw.receiver, room.sender, room.receiver].flatMap((w) => Object.keys(w.threadCpuMs))),
  ).sort((a, b) => (a === 'main (JS)' ? -1 : b === 'main (JS)' ? 1 : a.localeCompare(b)))
  const perItem = (w: ResourceWindow, name: string, n: number): string =>
    fmt(((w.threadCpuMs[name] ?? 0) * 1000) / n, 0)
  const threads = markdownTable(
    ['thread (name)', 'raw sender µs/msg', 'raw receiver µs/msg', 'room producer µs/update', 'room consumer µs/update'],
    [
      ...threadNames.map((name) => [
        name,
        perItem(raw.sender, name, raw.count),
        perItem(raw.receiver, name, raw.count),
        perItem(room.sender, name, room.count),
        perItem(room.receiver, name, room.count),
      ]),
      [
        '**process CPU**',
        fmt((raw.sender.cpuMs * 1000) / raw.count, 0),
        fmt((raw.receiver.cpuMs * 1000) / raw.count, 0),
        fmt((room.sender.cpuMs * 1000) / room.count, 0),
        fmt((room.receiver.cpuMs * 1000) / room.count, 0),
      ],
    ],
    ['left', 'right', 'right', 'right', 'right'],
  )
  const clocks = markdownTable(
    [
      'process',
      'rounds',
      'IPC RTT median / min µs',
      'hrtime: stamps outside bracket',
      'hrtime offset µs',
      'timeOrigin+now: outside bracket',
      'timeOrigin+now offset µs',
    ],
    r.clocks.map((c) => [
      c.process,
      String(c.rounds),
      `${fmt(c.ipcRttUsMedian, 1)} / ${fmt(c.ipcRttUsMin, 1)}`,
      String(c.monoViolations),
      fmt(c.monoOffsetUs, 1),
      String(c.wallViolations),
      fmt(c.wallOffsetUs, 1),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  return [
    '# Rooms benchmark: WebRTC latency and initial sync',
    '',
    `${String(m['date'])} · Node ${String(m['node'])} · ${String(m['cpuModel'])} × ${String(m['cpuCount'])} · ` +
      `load average before ${(m['loadAvgBefore'] as number[]).map((v) => v.toFixed(2)).join(' ')} · ` +
      'producer and consumer in separate processes, signaling server in the parent, loopback ICE candidates only',
    '',
    ...(r.quick
      ? ['**Smoke run (`--quick`)**: short runs; percentiles from few samples, not comparable with a full run.', '']
      : []),
    '## Latency',
    '',
    latency,
    '',
    `Room: ${room.count} updates after ${r.warmup.count} warm-up ones, one auction lot's \`last_bid\` per ms (100 lots, round robin), ` +
      `the producer sleeping (\`Atomics.wait\`) until each is due: ${fmt(room.itemsPerWakeup, 2)} updates per wake-up, ` +
      `${fmt(room.messagesPerItem, 3)} data-channel messages and ${fmt(room.wireBytesPerItem, 1)} wire bytes per update, ` +
      `send calls behind schedule by p50 ${ms(room.sendLagMs.p50)} ms, p99 ${ms(room.sendLagMs.p99)} ms. ` +
      `Raw: ${raw.count} messages of ${r.config.rawPayloadBytes} B on the same schedule over a simple-peer channel between the same two processes ` +
      `(open at the same time as the room; the raw and room series alternate in ${room.blocks} blocks each, so both see the same stretch of time), ` +
      `${r.rawWrite.count} more through simple-peer's stream write() as a room sends, and ${r.rttMs.n} sequential ping-pongs. ` +
      `p99 of each room block: ${room.blockP99Ms.map((v) => ms(v)).join(', ')} ms; of each raw block: ${raw.blockP99Ms.map((v) => ms(v)).join(', ')} ms.` +
      (r.timer
        ? ` setTimeout pacing (libuv's 1 ms timers) wakes ${fmt(r.timer.itemsPerWakeup, 2)} updates at a time, which leave in one message` +
          ` (${fmt(r.timer.messagesPerItem, 3)} messages per update).`
        : ''),
    '',
    '### Where the time goes (1 000/s runs)',
    '',
    breakdown,
    '',
    "Stamps: the sender's call (`update()` / `send()`), the start and end of each `RTCDataChannel.send` (simple-peer's `send`, " +
      "wrapped in the peer process), the receiver's `data` event (a listener placed before the room's) and the `change` event. " +
      "The room's PeerLink is reached through its private `links` field (bench-only instrumentation, nothing changed in core). " +
      'The parts of a coalesced update are those of the update that superseded it.',
    '',
    `Tail and GC: ${gcLine('room', room)} ${gcLine('Raw send()', raw)}`,
    '',
    `CPU per update (all threads of both processes): room ${fmt(((room.sender.cpuMs + room.receiver.cpuMs) * 1000) / room.count, 0)} µs, ` +
      `raw message ${fmt(((raw.sender.cpuMs + raw.receiver.cpuMs) * 1000) / raw.count, 0)} µs (by thread: see Resources).`,
    '',
    '## Rate ramp',
    '',
    ramp,
    '',
    `Sustained = the producer kept ≥ 95% of the target rate, nothing was lost and p99 ≤ ${RAMP_P99_LIMIT_MS} ms. ` +
      (r.ramp.length === 0
        ? 'No ramp in this run.'
        : `Highest sustained: ${fmt(maxSustained, 0)} updates/s; highest meeting p99 ≤ ${GOAL_P99_MS} ms: ` +
          `${meetsGoal.length > 0 ? `${fmt(Math.max(...meetsGoal.map((s) => s.achievedRate)), 0)} updates/s` : 'none'}. ` +
          'The ramp stops at the first rate that is not sustained; above 1 000/s several updates fall due per wake-up and leave as one message. ' +
          `Coalesced: an update superseded by a later one of the same lot (${LOTS} lots, round robin) within one batch, so the consumer only saw the later value (latest wins); its latency counts to that later change.`),
    '',
    '## Initial sync',
    '',
    sync,
    '',
    ...(hasReference
      ? [
          yjs,
          '',
          'Room columns: medians over the runs. The plain-Yjs and JSON columns are measured once per set, after the first run, ' +
            'in the consumer process on the synced state (untimed for the sync): one encode (what the producer does after the connection, ' +
            "before the first chunk) and one apply into a fresh Y.Doc (the room's consumer, after the last chunk, inspects the update, " +
            'applies it to its mirror and notes it in the recovery point). JSON.parse of the same records is a floor for any format.',
          '',
        ]
      : []),
    bulk,
    '',
    `Sync: the producer process holds the records (${r.syncs.map((s) => `${s.set}: written in ${fmt(s.writeMs / 1000, 2)} s`).join(', ')}, not timed); ` +
      'a fresh consumer room in the consumer process joins; timed from `joinRoom` (signaling, ICE and DTLS included) to `whenSynced()` ' +
      'with every record present. Phases: connected (first WebRTC peer), first and last frame of the initial sync reaching JavaScript ' +
      '(16 KiB chunks, or the packed ~64 KiB pieces that DiffStream peers in Node send each other, docs/rooms.md; before the first: the ' +
      "producer encodes its state and packs it), synced (the consumer's checks and applies, which overlap the transfer). The copy is compared with the " +
      "producer's records afterwards (SHA-256 of canonical JSON, untimed). Raw bulk: 10 MB through the raw simple-peer channel in " +
      `${BULK_CHUNK} B messages via its stream (as a room sends a big message), first write → last byte in the other process. MB = 10^6 bytes.`,
    '',
    '## Resources during the 1 000/s runs',
    '',
    resources,
    '',
    threads,
    '',
    'The producer sleeps in `Atomics.wait` between updates, so its event-loop delay is by design up to a period. ' +
      'CPU = process CPU time (all threads) / wall time. Per thread: on-CPU time (schedstat) during the run divided by the messages or updates sent; ' +
      "'node' threads are V8's GC and compiler helpers and libuv's pool; the others are WebRTC's (PeerConnectionF… = its network, worker and signaling threads). " +
      'Run-queue wait = time threads were ready to run but had no core ' +
      '(/proc schedstat), as a share of wall time: the 2 cores are shared by both processes, their WebRTC threads and anything else running.',
    '',
    '## Clock check',
    '',
    clocks,
    '',
    'Every stamp is `process.hrtime` (CLOCK_MONOTONIC: one clock for the whole machine), so a stamp from the consumer minus one from ' +
      "the producer is a one-way latency. Check: the parent stamps before and after asking a child for its stamp over IPC; the child's " +
      'stamp must lie in between (count outside: 0), and the offset at the fastest round is within ± half that round trip.',
    ...(r.discarded.length > 0
      ? [
          '',
          `Measured again because other processes were busy: ${r.discarded.map((d) => `${d.what} (${pct(d.otherLoad)})`).join(', ')}.`,
        ]
      : []),
    '',
    '## Goals',
    '',
    ...r.checks.map((c) => `- ${checkLine(c)}`),
    ...(r.warnings.length > 0
      ? ['', '## Warnings from the peers', '', ...r.warnings.slice(0, 20).map((w) => `- ${w}`)]
      : []),
    '',
  ].join('\n')
}

/** The headline for latest.md: latency next to the raw channel, the ramp's verdict, sync throughput. */
function roomsSummary(r: Report, bulkMbPerSec: number): string {
  const rows = [
    ['raw data channel, send()', r.raw],
    ['raw data channel, write() as rooms send', r.rawWrite],
    ['**DiffStream room**: update() → change event', r.room],
  ] as const
  const latency = markdownTable(
    ['1 producer → 1 consumer at 1 000/s', 'p50 ms', 'p99 ms', 'max ms', 'samples'],
    rows.map(([name, s]) => [name, ms(s.latencyMs.p50), ms(s.latencyMs.p99), ms(s.latencyMs.max), String(s.count)]),
    ['left', 'right', 'right', 'right', 'right'],
  )
  const steps = [r.room, ...r.ramp].filter(sustained)
  const highest = steps.length > 0 ? Math.max(...steps.map((s) => s.achievedRate)) : null
  const sync = r.syncs
    .map(
      (s) =>
        `${s.set === 'many' ? `${s.records} records of 10 KB` : 'one 10 MB record'}: ${fmt(s.mbPerSec, 2)} MB/s join → synced ` +
        `(${fmt(s.mbPerSecAfterConnect, 2)} MB/s from the connection)`,
    )
    .join('; ')
  return [
    latency,
    '',
    `Highest sustained rate (1 → 1): ${r.ramp.length === 0 ? 'no ramp in this run' : highest === null ? `none of ${[r.room, ...r.ramp].map((s) => `${s.targetRate}/s (p99 ${ms(s.latencyMs.p99)} ms)`).join(', ')}; the ramp stops at the first rate not sustained` : `${fmt(highest, 0)} updates/s`}. ` +
      `Newcomer initial sync over WebRTC: ${sync}; the raw channel alone carries ${fmt(bulkMbPerSec, 1)} MB/s.`,
  ].join('\n')
}

function roomsCharts(r: Report, bulkMbPerSec: number): Chart[] {
  const note = `${r.quick ? 'smoke run (--quick), ' : ''}two processes, loopback WebRTC · ${String(r.machine['date']).slice(0, 10)}`
  const q = ['p50', 'p90', 'p99'] as const
  const lat = [
    { name: 'raw data channel, send()', s: r.raw },
    { name: 'raw data channel, write()', s: r.rawWrite },
    { name: 'DiffStream room', s: r.room },
  ]
  return [
    {
      name: 'rooms-latency',
      title: 'WebRTC latency at 1 000 updates/s, producer process → consumer process',
      svg: barChartSvg({
        title: 'WebRTC latency at 1 000 updates/s, producer process → consumer process',
        yLabel: 'ms',
        groups: [...q],
        series: lat.map(({ name, s }) => ({ name, values: q.map((k) => s.latencyMs[k]) })),
        log: true,
        note,
      }),
    },
    {
      name: 'rooms-sync',
      title: 'Newcomer initial sync over WebRTC (10 MB of JSON)',
      svg: barChartSvg({
        title: 'Newcomer initial sync over WebRTC (10 MB of JSON)',
        yLabel: 'MB/s',
        groups: r.syncs.map((s) => (s.set === 'many' ? '1 000 records × 10 KB' : '1 record of 10 MB')),
        series: [
          { name: 'room: join → synced', values: r.syncs.map((s) => s.mbPerSec) },
          { name: 'room: connected → synced', values: r.syncs.map((s) => s.mbPerSecAfterConnect) },
          { name: 'raw data channel (bulk, 16 KiB messages)', values: r.syncs.map(() => bulkMbPerSec) },
        ],
        note,
      }),
    },
  ]
}

/** A deep copy fit for JSON: typed arrays (GC pause times) become plain arrays. */
function plainJson(v: unknown): unknown {
  if (v instanceof Float64Array) return Array.from(v, (x) => Math.round(x * 10) / 10)
  if (Array.isArray(v)) return v.map(plainJson)
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainJson(x)]))
  }
  return v
}

// --- suite -----------------------------------------------------------------------------------------

export const roomsSuite: Suite = {
  name: 'rooms',
  description:
    'WebRTC rooms between two processes: update → change latency at 1 000/s next to the raw data channel, rate ramp, 10 MB initial sync',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo(['@diffstream/core', 'yjs', 'simple-peer', '@roamhq/wrtc'])
    const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
    const producer = new PeerProcess('producer', server.url)
    const consumer = new PeerProcess('consumer', server.url)
    producer.onSignal = (data) => void consumer.request({ op: 'raw-signal', data }).catch(() => undefined)
    consumer.onSignal = (data) => void producer.request({ op: 'raw-signal', data }).catch(() => undefined)
    const load = new OtherLoad(() => [process.pid, producer.pid, consumer.pid])
    const ctx: Ctx = { producer, consumer, load, retrier: new Retrier(config.retryBudgetMs, load) }
    const step = (what: string, t0: number): void =>
      console.error(`  ${what} in ${fmt((performance.now() - t0) / 1000, 1)} s`)
    try {
      let t0 = performance.now()
      const clocks = [await clockCheck(producer, config.clockRounds), await clockCheck(consumer, config.clockRounds)]
      step('processes started, clock checked', t0)
      if (clocks.some((c) => c.monoViolations > 0)) {
        throw new Error(`process.hrtime is not one clock across processes here: ${JSON.stringify(clocks)}`)
      }

      // Both connections open side by side; the 1 000/s series alternate block by block, so the raw
      // channel and the room are measured over the same stretch of time on the same machine.
      t0 = performance.now()
      await Promise.all([
        producer.ask({ op: 'raw-open', initiator: true }, 'ok'),
        consumer.ask({ op: 'raw-open', initiator: false }, 'ok'),
      ])
      await producer.ask({ op: 'join', room: LATENCY_ROOM, role: 'producer' }, 'ok')
      await consumer.ask({ op: 'join', room: LATENCY_ROOM, role: 'consumer' }, 'ok')
      await Promise.all([
        producer.ask({ op: 'wait-synced', room: LATENCY_ROOM, timeoutMs: 30_000 }, 'ok', 40_000),
        consumer.ask({ op: 'wait-synced', room: LATENCY_ROOM, timeoutMs: 30_000 }, 'ok', 40_000),
      ])
      step('raw data channel and room connected', t0)

      t0 = performance.now()
      const P = config.rawPayloadBytes
      await rawBlock(ctx, config.rawWarmup, P, 'send')
      const warmup = combine('warm-up', 'sleep', RATE, [await roomBlock(ctx, config.warmup, RATE, 'sleep')])
      await gcBoth(ctx)
      const rawBlocks: Block[] = []
      const roomBlocks: Block[] = []
      for (let b = 0; b < config.blocks; b++) {
        rawBlocks.push(
          await ctx.retrier.run('raw one way', () => rawBlock(ctx, config.rawMessages / config.blocks, P, 'send')),
        )
        roomBlocks.push(
          await ctx.retrier.run('room 1 000/s', () => roomBlock(ctx, config.updates / config.blocks, RATE, 'sleep')),
        )
      }
      const raw = combine('raw data channel via send()', 'sleep', RATE, rawBlocks)
      const room = combine('room', 'sleep', RATE, roomBlocks)
      step(
        `latency at ${RATE}/s: ${config.rawMessages} raw messages and ${config.updates} room updates in ${config.blocks} alternating blocks`,
        t0,
      )

      t0 = performance.now()
      const rawWrite = combine('raw data channel via write()', 'sleep', RATE, [
        await ctx.retrier.run('raw one way via write()', () => rawBlock(ctx, config.rawWriteMessages, P, 'write')),
      ])
      await producer.ask({ op: 'raw-rtt', count: config.rttWarmup, payloadBytes: P }, 'raw-rtt')
      const rtt = await producer.ask({ op: 'raw-rtt', count: config.rtts, payloadBytes: P }, 'raw-rtt', 60_000)
      const rttMs = summarize(rtt.rttUs.map((v) => v / 1000))
      let timer: StreamResult | null = null
      if (config.timerUpdates > 0) {
        timer = combine('room, setTimeout pacing', 'timer', RATE, [
          await roomBlock(ctx, config.timerUpdates, RATE, 'timer'),
        ])
      }
      step(`raw via write(), ${config.rtts} round trips${timer ? ', room paced by setTimeout' : ''}`, t0)

      t0 = performance.now()
      const ramp: StreamResult[] = []
      for (const rate of config.rampRates) {
        await gcBoth(ctx)
        const s = combine(`ramp ${rate}`, 'sleep', rate, [
          await roomBlock(ctx, Math.round((rate * config.rampMs) / 1000), rate, 'sleep'),
        ])
        ramp.push(s)
        if (!sustained(s)) break
      }
      await Promise.all([
        producer.ask({ op: 'leave', room: LATENCY_ROOM }, 'ok'),
        consumer.ask({ op: 'leave', room: LATENCY_ROOM }, 'ok'),
      ])
      if (ramp.length > 0) step(`rate ramp up to ${ramp[ramp.length - 1]!.targetRate}/s`, t0)

      t0 = performance.now()
      const bulk: BulkRun[] = []
      for (let i = 0; i < config.bulkRuns; i++) {
        await gcBoth(ctx)
        bulk.push(await rawBulk(ctx))
      }
      await Promise.all([producer.ask({ op: 'raw-close' }, 'ok'), consumer.ask({ op: 'raw-close' }, 'ok')])
      step(`raw data channel: ${config.bulkRuns} × 10 MB`, t0)

      const syncs: SyncSet[] = []
      for (const set of config.syncSets) {
        t0 = performance.now()
        syncs.push(await syncSet(ctx, set, config.syncReps, config.syncReference, options.seed))
        step(`initial sync (${set}) × ${config.syncReps}`, t0)
      }

      machine['loadAvgAfter'] = loadavg()
      const bulkMbPerSec = bulkRate(bulk)
      const checks = goalChecks(room, raw, syncs, bulkMbPerSec)
      const warnings = [
        ...producer.warnings.map((w) => `producer: ${w}`),
        ...consumer.warnings.map((w) => `consumer: ${w}`),
      ]
      // The measurements, shared by the Markdown report and the raw JSON.
      const results = { clocks, raw, rawWrite, rttMs, bulk, room, timer, warmup, ramp, syncs, checks, warnings }
      const report: Report = { config, machine, ...results, discarded: ctx.retrier.discarded, quick: options.quick }
      const chartList = roomsCharts(report, bulkMbPerSec)
      const links = chartLinks(chartList, options.quick ? '-quick' : '')
      const markdown = [render(report), links, ''].join('\n')
      const data: Record<string, unknown> = plainJson({
        suite: 'rooms',
        machine,
        config: {
          ...config,
          quick: options.quick,
          seed: options.seed,
          rate: RATE,
          items: ITEMS,
          itemJsonBytes: ITEM_JSON_BYTES,
          bulkBytes: BULK_BYTES,
        },
        method: {
          clock: 'process.hrtime (CLOCK_MONOTONIC, system-wide) in every process; checked by IPC bracketing (clocks)',
          latency:
            'consumer change-event stamp − producer stamp taken just before room.cache.update(); producer paced by Atomics.wait',
          raw: 'simple-peer send() in the producer process → data event in the consumer process, same schedule; RTT from sequential ping-pong',
          sync: 'joinRoom → whenSynced() and cache.size === records, in a fresh consumer room; MB = 1e6 B of record JSON',
          otherLoad:
            '/proc/stat busy time minus the CPU time of the suite processes, over the run, as a share of all cores',
        },
        ...results,
        retried: ctx.retrier.discarded,
      }) as Record<string, unknown>
      return {
        markdown,
        data,
        checks,
        summary: [roomsSummary(report, bulkMbPerSec), '', links].join('\n'),
        charts: chartList,
      }
    } finally {
      await Promise.all([producer.stop(), consumer.stop()])
      await server.close()
    }
  },
}
