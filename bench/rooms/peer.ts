/*
 * One peer process of the rooms suite (`rooms-suite.ts` forks two: a producer and a consumer),
 * driven by request/reply messages on the IPC channel (`protocol.ts`). It joins DiffStream rooms
 * and, for the baseline, opens a raw simple-peer data channel whose signals the parent relays.
 * Every timestamp is `nowUs()` (system-wide monotonic clock, see clock.ts).
 *   node --import tsx bench/rooms/peer.ts <signaling url>
 */
import SimplePeer from 'simple-peer'
import { joinRoom, type JsonObject, type Room, type RoomChange } from '@diffstream/core'
import { nowUs, wallUs } from './clock.js'
import type {
  ChildMessage,
  LoadResult,
  ReceiveLog,
  Reply,
  Request,
  RequestEnvelope,
  RoomTraffic,
  Schedule,
  SendLog,
  SyncResult,
} from './protocol.js'
import { bidOn, digest, initialLots, jsonBytes, syncRecords, type Lot } from './records.js'
import { ResourceMeter } from './resources.js'
import { Prng } from '../workloads/prng.js'

const signalingUrl = process.argv[2]
if (!signalingUrl || !process.send) throw new Error('usage: fork bench/rooms/peer.ts <signaling url> with an IPC channel')

/** Only loopback ICE candidates: all WebRTC traffic stays on this machine. */
const loopback = (candidate: string): boolean => / (127\.0\.0\.1|::1) /.test(candidate)

const post = (msg: ChildMessage): void => {
  process.send!(msg)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Lets pending GC performance entries arrive, then closes the window. */
async function endWindow(meter: ResourceMeter): Promise<ReturnType<ResourceMeter['end']>> {
  await turn()
  return meter.end()
}

/**
 * Runs a schedule: item i is due at start + i·period; each wake-up sends every item already due
 * (so a late timer never lowers the average rate, and items due together leave in one tick), then
 * sleeps with setTimeout until the next one is due. Resolves once the last send's tick has ended.
 */
async function runSchedule(s: Schedule, send: (seq: number) => void): Promise<SendLog> {
  const intendedUs = new Float64Array(s.count)
  const actualUs = new Float64Array(s.count)
  const meter = new ResourceMeter()
  let wakeups = 0
  const start = nowUs() + 2000
  await new Promise<void>((resolve) => {
    let i = 0
    const tick = (): void => {
      wakeups++
      while (i < s.count && start + i * s.periodUs <= nowUs()) {
        intendedUs[i] = start + i * s.periodUs
        actualUs[i] = nowUs()
        send(s.firstSeq + i)
        i++
      }
      if (i >= s.count) {
        setImmediate(resolve)
        return
      }
      setTimeout(tick, Math.max(0, (start + i * s.periodUs - nowUs()) / 1000))
    }
    setTimeout(tick, 1)
  })
  return { intendedUs, actualUs, wakeups, resources: await endWindow(meter) }
}

/** Logs arrival times of the items of one schedule. */
class Arrivals {
  readonly receivedUs: Float64Array
  unexpected = 0
  private remaining: number
  readonly meter = new ResourceMeter()

  constructor(readonly schedule: Schedule) {
    this.receivedUs = new Float64Array(schedule.count).fill(NaN)
    this.remaining = schedule.count
  }

  /** Records `seq` arriving at time `t`; returns false when it does not belong to this schedule. */
  arrive(seq: number, t: number): boolean {
    const i = seq - this.schedule.firstSeq
    if (i < 0 || i >= this.schedule.count) return false
    if (!Number.isNaN(this.receivedUs[i]!)) {
      this.unexpected++
      return true
    }
    this.receivedUs[i] = t
    this.remaining--
    return true
  }

  get complete(): boolean {
    return this.remaining === 0
  }

  async collect(waitMs: number): Promise<ReceiveLog> {
    const deadline = performance.now() + waitMs
    while (!this.complete && performance.now() < deadline) await sleep(5)
    return { receivedUs: this.receivedUs, unexpected: this.unexpected, resources: await endWindow(this.meter) }
  }
}

// --- raw simple-peer data channel ---------------------------------------------------------------

const PING = 1
const PONG = 2

type Wrtc = NonNullable<SimplePeer.Options['wrtc']>
let wrtc: Promise<Wrtc> | null = null
function loadWrtc(): Promise<Wrtc> {
  wrtc ??= import('@roamhq/wrtc').then((m) => ((m as { default?: Wrtc }).default ?? m) as Wrtc)
  return wrtc
}

let raw: SimplePeer.Instance | null = null
let rawArrivals: Arrivals | null = null
/** Pinger side: RTT of each ping by index, filled when its pong comes back. */
let rawRtt: { schedule: Schedule; sentUs: Float64Array; rttUs: Float64Array; remaining: number } | null = null

async function rawOpen(initiator: boolean): Promise<void> {
  raw?.destroy()
  const peer = new SimplePeer({ initiator, wrtc: await loadWrtc(), config: { iceServers: [] }, trickle: true })
  raw = peer
  peer.on('signal', (data: SimplePeer.SignalData) => {
    const candidate = data.candidate?.candidate
    if (candidate !== undefined && !loopback(candidate)) return
    post({ signal: data })
  })
  peer.on('data', (data: Uint8Array) => {
    const t = nowUs()
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const type = view.getUint8(0)
    const seq = view.getInt32(1)
    if (type === PING) {
      // Answer first, then log: the pong leaves as soon as the ping is seen.
      const pong = new Uint8Array(data)
      pong[0] = PONG
      peer.send(pong)
      rawArrivals?.arrive(seq, t)
    } else if (type === PONG && rawRtt) {
      const i = seq - rawRtt.schedule.firstSeq
      if (i >= 0 && i < rawRtt.schedule.count && Number.isNaN(rawRtt.rttUs[i]!)) {
        rawRtt.rttUs[i] = t - rawRtt.sentUs[i]!
        rawRtt.remaining--
      }
    }
  })
  peer.on('error', (err: Error) => post({ warning: `raw peer: ${err.message}` }))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw data channel did not connect within 20 s')), 20_000)
    peer.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

async function rawPing(schedule: Schedule, payloadBytes: number): Promise<Reply> {
  const peer = raw
  if (!peer) throw new Error('no raw peer')
  const state = {
    schedule,
    sentUs: new Float64Array(schedule.count),
    rttUs: new Float64Array(schedule.count).fill(NaN),
    remaining: schedule.count,
  }
  rawRtt = state
  const log = await runSchedule(schedule, (seq) => {
    const msg = new Uint8Array(Math.max(5, payloadBytes))
    const view = new DataView(msg.buffer)
    view.setUint8(0, PING)
    view.setInt32(1, seq)
    state.sentUs[seq - schedule.firstSeq] = nowUs()
    peer.send(msg)
  })
  const deadline = performance.now() + 2000
  while (state.remaining > 0 && performance.now() < deadline) await sleep(5)
  rawRtt = null
  return { op: 'raw-ping', log, rttUs: state.rttUs }
}

// --- rooms ----------------------------------------------------------------------------------------

interface Joined {
  room: Room<JsonObject>
  lots: Lot[]
  rng: Prng
  arrivals: Arrivals | null
}
const rooms = new Map<string, Joined>()

function joined(name: string): Joined {
  const j = rooms.get(name)
  if (!j) throw new Error(`not in room ${name}`)
  return j
}

function traffic(room: Room<JsonObject>): RoomTraffic {
  const s = room.stats
  return { messagesSent: s.messagesSent, bytesSent: s.bytesSent, messagesReceived: s.messagesReceived, bytesReceived: s.bytesReceived }
}

/** Joins a room; a producer first writes the auction lots the latency runs update, unless `empty`. */
function join(name: string, role: 'producer' | 'consumer', empty = false): Joined {
  const room = joinRoom<JsonObject>(name, { signaling: [signalingUrl!], role, candidateFilter: loopback, name: `bench-${role}` })
  room.on('warning', (message) => post({ warning: `${name}: ${message}` }))
  const j: Joined = { room, lots: [], rng: new Prng(0x5eed), arrivals: null }
  if (role === 'consumer') {
    room.on('change', (change: RoomChange<JsonObject>) => {
      const t = nowUs() // first thing: the moment the application sees the change
      const a = j.arrivals
      if (!a || change.origin !== 'remote' || change.data === null) return
      const seq = change.data['seq']
      if (typeof seq === 'number') a.arrive(seq, t)
    })
  } else if (!empty) {
    j.lots = initialLots(100, 0x10ca1)
    for (const lot of j.lots) room.cache.update(lot)
  }
  rooms.set(name, j)
  return j
}

async function waitSynced(room: Room<JsonObject>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not synced within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([room.whenSynced(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function produce(name: string, schedule: Schedule): Promise<Reply> {
  const j = joined(name)
  const log = await runSchedule(schedule, (seq) => {
    const at = seq % j.lots.length
    const next = bidOn(j.lots[at]!, seq, j.rng)
    j.lots[at] = next
    j.room.cache.update(next)
  })
  return { op: 'produce', log, traffic: traffic(j.room) }
}

function load(name: string, set: 'many' | 'one', seed: number): LoadResult {
  const records = syncRecords(set, seed)
  const t0 = performance.now()
  const j = join(name, 'producer', true)
  for (const r of records) j.room.cache.update(r)
  const writeMs = performance.now() - t0
  return {
    records: records.length,
    jsonBytes: records.reduce((a, r) => a + jsonBytes(r), 0),
    digest: digest(records),
    writeMs,
  }
}

async function sync(name: string, expectRecords: number, timeoutMs: number): Promise<SyncResult> {
  if (rooms.has(name)) throw new Error(`already in room ${name}`)
  const meter = new ResourceMeter()
  const t0 = nowUs()
  const room = joinRoom<JsonObject>(name, { signaling: [signalingUrl!], role: 'consumer', candidateFilter: loopback })
  rooms.set(name, { room, lots: [], rng: new Prng(1), arrivals: null })
  room.on('warning', (message) => post({ warning: `${name}: ${message}` }))
  let connectUs = NaN
  room.on('peers', (peers) => {
    if (peers.length > 0 && Number.isNaN(connectUs)) connectUs = nowUs()
  })
  await waitSynced(room, timeoutMs)
  const syncedUs = nowUs()
  const deadline = performance.now() + timeoutMs
  while (room.cache.size < expectRecords && performance.now() < deadline) await sleep(1)
  const doneUs = nowUs()
  const resources = await endWindow(meter)
  // Untimed: check the copy.
  const records = room.cache.keys().map((k) => room.cache.get(k)!)
  return {
    connectMs: (connectUs - t0) / 1000,
    syncedMs: (syncedUs - t0) / 1000,
    totalMs: (doneUs - t0) / 1000,
    records: records.length,
    digest: digest(records),
    traffic: traffic(room),
    resources,
  }
}

async function leave(name: string): Promise<void> {
  const j = rooms.get(name)
  if (!j) return
  rooms.delete(name)
  await j.room.close()
}

// --- dispatch ---------------------------------------------------------------------------------------

async function handle(req: Request): Promise<Reply> {
  switch (req.op) {
    case 'clock':
      return { op: 'clock', stamp: { monoUs: nowUs(), wallUs: wallUs() } }
    case 'gc':
      globalThis.gc?.()
      return { op: 'ok' }
    case 'raw-open':
      await rawOpen(req.initiator)
      return { op: 'ok' }
    case 'raw-signal':
      raw?.signal(req.data as SimplePeer.SignalData)
      return { op: 'ok' }
    case 'raw-ping':
      return rawPing(req.schedule, req.payloadBytes)
    case 'raw-listen':
      rawArrivals = new Arrivals(req.schedule)
      return { op: 'ok' }
    case 'raw-collect': {
      const a = rawArrivals
      if (!a) throw new Error('raw-collect without raw-listen')
      rawArrivals = null
      return { op: 'raw-collect', log: await a.collect(req.waitMs) }
    }
    case 'raw-close':
      raw?.destroy()
      raw = null
      return { op: 'ok' }
    case 'join':
      join(req.room, req.role)
      return { op: 'ok' }
    case 'wait-synced':
      await waitSynced(joined(req.room).room, req.timeoutMs)
      return { op: 'ok' }
    case 'produce':
      return produce(req.room, req.schedule)
    case 'listen':
      joined(req.room).arrivals = new Arrivals(req.schedule)
      return { op: 'ok' }
    case 'collect': {
      const j = joined(req.room)
      const a = j.arrivals
      if (!a) throw new Error('collect without listen')
      const log = await a.collect(req.waitMs)
      j.arrivals = null
      return { op: 'collect', log, traffic: traffic(j.room) }
    }
    case 'traffic':
      return { op: 'traffic', traffic: traffic(joined(req.room).room) }
    case 'load':
      return { op: 'load', result: load(req.room, req.set, req.seed) }
    case 'sync':
      return { op: 'sync', result: await sync(req.room, req.expectRecords, req.timeoutMs) }
    case 'leave':
      await leave(req.room)
      return { op: 'ok' }
    case 'exit':
      raw?.destroy()
      await Promise.all(Array.from(rooms.keys(), leave))
      setImmediate(() => process.exit(0))
      return { op: 'ok' }
  }
}

process.on('message', (msg: RequestEnvelope) => {
  handle(msg.req).then(
    (reply) => post({ id: msg.id, reply }),
    (err: unknown) => post({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
