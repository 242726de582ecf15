import type { Pacing, ReceiveLog, ResourceWindow, SendLog } from './protocol.js'
import { lowerBound, summarize, type Summary } from './stats.js'
import { GOAL_P99_MS } from './config.js'

/* A stream of small messages, item by item (a block), and blocks combined into one result. */

/** Where the time of one item went, ms (percentiles of parts do not add up to those of the total). */
export interface Breakdown {
  /** Send call (update() / send()) → its data-channel `send` started: the sender's own work. */
  senderMs: Summary
  /** Inside the data-channel `send` (a blocking call into WebRTC's thread). */
  sendCallMs: Summary
  /** `send` returned → the receiver's `data` event: WebRTC threads, SCTP/DTLS, loopback UDP. */
  transportMs: Summary
  /** `data` event → the application's event (room: decode, checks, apply, `change`). */
  receiverMs: Summary
}

export interface StreamResult {
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
export function mergeResources(ws: readonly ResourceWindow[]): ResourceWindow {
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
export function combine(label: string, pacing: Pacing, targetRate: number, blocks: readonly Block[]): StreamResult {
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
