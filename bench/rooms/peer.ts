/*
 * One peer process of the rooms suite (`rooms-suite.ts` forks two: a producer and a consumer),
 * driven by request/reply messages on the IPC channel (`protocol.ts`). It joins DiffStream rooms
 * and, for the baseline, opens a raw simple-peer data channel whose signals the parent relays.
 * Every timestamp is `nowUs()` (system-wide monotonic clock, see clock.ts).
 *   node --import tsx bench/rooms/peer.ts <signaling url>
 */
import SimplePeer from 'simple-peer'
import * as Y from 'yjs'
import { joinRoom, type JsonObject, type Room, type RoomChange } from '@diffstream/core'
import { nowUs, wallUs } from './clock.js'
import type {
  BulkStamp,
  ChildMessage,
  LoadResult,
  ReceiveLog,
  Reply,
  Request,
  RequestEnvelope,
  ResourceWindow,
  RoomTraffic,
  YjsReference,
  Schedule,
  SendLog,
  SyncResult,
} from './protocol.js'
import { bidOn, digest, initialLots, jsonBytes, LOTS, syncRecords, type Lot } from './records.js'
import { gcPauseMs, ResourceMeter } from './resources.js'
import { Prng } from '../workloads/prng.js'

const signalingUrl = process.argv[2]
if (!signalingUrl || !process.send)
  throw new Error('usage: fork bench/rooms/peer.ts <signaling url> with an IPC channel')

/** Only loopback ICE candidates: all WebRTC traffic stays on this machine. */
const loopback = (candidate: string): boolean => / (127\.0\.0\.1|::1) /.test(candidate)

const post = (msg: ChildMessage): void => {
  process.send!(msg)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Lets pending GC performance entries arrive, then closes the window. */
async function endWindow(meter: ResourceMeter): Promise<ResourceWindow> {
  await turn()
  await sleep(1)
  return meter.end()
}

// --- data-channel instrumentation ---------------------------------------------------------------

/** Data-channel sends of the current window (start and end of each `RTCDataChannel.send` via simple-peer). */
let channelSends: { start: number[]; end: number[] } | null = null
/** When the last data-channel message reached JavaScript. */
let lastArrivalUs = NaN
const instrumented = new WeakSet<SimplePeer.Instance>()

/**
 * Stamps every data-channel send of `peer` (simple-peer's `write` and `send` both end in
 * `peer.send`) and every arrival (a `data` listener placed before the room's own).
 */
function instrument(peer: SimplePeer.Instance, onData?: (data: Uint8Array, t: number) => void): void {
  if (instrumented.has(peer)) return
  instrumented.add(peer)
  const send = peer.send.bind(peer)
  peer.send = (chunk: SimplePeer.SimplePeerData): void => {
    const start = nowUs()
    send(chunk)
    const end = nowUs()
    if (channelSends) {
      channelSends.start.push(start)
      channelSends.end.push(end)
    }
  }
  peer.prependListener('data', (data: Uint8Array) => {
    lastArrivalUs = nowUs()
    onData?.(data, lastArrivalUs)
  })
  // prependListener bypasses Readable's on('data'), which is what switches a stream to flowing mode.
  peer.resume()
}

/**
 * The simple-peer instances of a room's connections. Bench-only: reads the room's private `links`
 * (PeerLink has `peer`); returns [] if the internals change, and the suite then reports no breakdown.
 */
function roomPeers(room: Room<JsonObject>): SimplePeer.Instance[] {
  type Links = Map<string, { peer?: SimplePeer.Instance; connected?: boolean }>
  // The room's WebRTC transport (RoomLinks) keeps the PeerLinks in its own private `links`.
  const transport = (room as unknown as { links?: { links?: Links } }).links
  const links = transport?.links
  if (!(links instanceof Map)) return []
  return Array.from(links.values())
    .filter((l) => l.connected === true && l.peer !== undefined)
    .map((l) => l.peer!)
}

// --- paced sending ---------------------------------------------------------------------------------

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs a schedule: item i is due at start + i·period; each wake-up sends every item already due
 * (a late wake-up never lowers the average rate; items due together leave in one tick). Between
 * wake-ups the loop waits as `schedule.pacing` says (see `Pacing`). Resolves after the last tick.
 */
async function runSchedule(s: Schedule, send: (seq: number) => void): Promise<SendLog> {
  const intendedUs = new Float64Array(s.count)
  const actualUs = new Float64Array(s.count)
  const sends = { start: [] as number[], end: [] as number[] }
  channelSends = sends
  const meter = new ResourceMeter()
  let wakeups = 0
  const start = nowUs() + 2000
  await new Promise<void>((resolve) => {
    let i = 0
    const tick = (): void => {
      wakeups++
      if (s.pacing === 'sleep') {
        const waitMs = (start + i * s.periodUs - nowUs()) / 1000
        if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs)
      }
      while (i < s.count && start + i * s.periodUs <= nowUs()) {
        intendedUs[i] = start + i * s.periodUs
        actualUs[i] = nowUs()
        send(s.firstSeq + i)
        i++
      }
      if (i >= s.count) setImmediate(resolve)
      else if (s.pacing === 'sleep') setImmediate(tick)
      else setTimeout(tick, Math.max(0, (start + i * s.periodUs - nowUs()) / 1000))
    }
    setTimeout(tick, 1)
  })
  await turn() // the last tick's flush
  channelSends = null
  return {
    intendedUs,
    actualUs,
    channelSendStartUs: Float64Array.from(sends.start),
    channelSendEndUs: Float64Array.from(sends.end),
    wakeups,
    resources: await endWindow(meter),
  }
}

/** Logs arrival times of the items of one schedule. */
class Arrivals {
  readonly receivedUs: Float64Array
  readonly arrivalUs: Float64Array
  duplicates = 0
  private remaining: number
  private readonly meter = new ResourceMeter()

  constructor(readonly schedule: Schedule) {
    this.receivedUs = new Float64Array(schedule.count).fill(NaN)
    this.arrivalUs = new Float64Array(schedule.count).fill(NaN)
    this.remaining = schedule.count
  }

  arrive(seq: number, t: number, arrival: number): void {
    const i = seq - this.schedule.firstSeq
    if (i < 0 || i >= this.schedule.count) return
    if (!Number.isNaN(this.receivedUs[i]!)) {
      this.duplicates++
      return
    }
    this.receivedUs[i] = t
    this.arrivalUs[i] = arrival
    this.remaining--
  }

  async collect(waitMs: number): Promise<ReceiveLog> {
    const deadline = performance.now() + waitMs
    while (this.remaining > 0 && performance.now() < deadline) await sleep(5)
    return {
      receivedUs: this.receivedUs,
      arrivalUs: this.arrivalUs,
      duplicates: this.duplicates,
      resources: await endWindow(this.meter),
    }
  }
}

// --- raw simple-peer data channel ---------------------------------------------------------------

const DEFAULT_LINK = 'raw'
const ONE_WAY = 1
const RTT_PING = 3
const RTT_PONG = 4
const BULK = 5

type Wrtc = NonNullable<SimplePeer.Options['wrtc']>
let wrtc: Promise<Wrtc> | null = null
function loadWrtc(): Promise<Wrtc> {
  wrtc ??= import('@roamhq/wrtc').then((m) => ((m as { default?: Wrtc }).default ?? m) as Wrtc)
  return wrtc
}

/**
 * Raw peers by link name: the rooms suite opens one; the fan-out suite's producer opens one per
 * consumer and sends every item on all of them.
 */
const raws = new Map<string, SimplePeer.Instance>()
let rawArrivals: Arrivals | null = null
let onPong: ((t: number) => void) | null = null
let bulk: { need: number; got: number; firstUs: number; lastUs: number; done: () => void } | null = null

/** Signals relayed from the other side before our raw peer exists (its offer can beat our setup), by link. */
const earlySignals = new Map<string, SimplePeer.SignalData[]>()

async function rawOpen(initiator: boolean, link: string): Promise<void> {
  raws.get(link)?.destroy()
  raws.delete(link)
  const peer = new SimplePeer({ initiator, wrtc: await loadWrtc(), config: { iceServers: [] }, trickle: true })
  raws.set(link, peer)
  for (const signal of earlySignals.get(link) ?? []) peer.signal(signal)
  earlySignals.delete(link)
  peer.on('signal', (data: SimplePeer.SignalData) => {
    const candidate = (data as { candidate?: { candidate?: string } }).candidate?.candidate
    if (candidate !== undefined && !loopback(candidate)) return
    post({ signal: data, link })
  })
  instrument(peer, (data, t) => {
    const type = data[0]
    if (type === BULK) {
      const b = bulk
      if (!b) return
      if (b.got === 0) b.firstUs = t
      b.got += data.byteLength
      b.lastUs = t
      if (b.got >= b.need) b.done()
      return
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    if (type === ONE_WAY) {
      rawArrivals?.arrive(view.getInt32(1), t, t)
    } else if (type === RTT_PING) {
      const pong = new Uint8Array(data)
      pong[0] = RTT_PONG
      peer.send(pong)
    } else if (type === RTT_PONG) {
      onPong?.(t)
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

/** The only (or first) raw peer: round trips and bulk transfers use one link. */
function rawPeer(): SimplePeer.Instance {
  const first = raws.values().next()
  if (first.done === true) throw new Error('no raw peer')
  return first.value
}

function closeRaw(): void {
  for (const peer of raws.values()) peer.destroy()
  raws.clear()
  earlySignals.clear()
}

function message(type: number, seq: number, bytes: number): Uint8Array {
  const msg = new Uint8Array(Math.max(5, bytes))
  const view = new DataView(msg.buffer)
  view.setUint8(0, type)
  view.setInt32(1, seq)
  return msg
}

async function rawRtt(count: number, payloadBytes: number): Promise<Float64Array> {
  const peer = rawPeer()
  const rtt = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const t0 = nowUs()
    const back = new Promise<number>((resolve) => {
      onPong = resolve
    })
    peer.send(message(RTT_PING, i, payloadBytes))
    rtt[i] = (await back) - t0
  }
  onPong = null
  return rtt
}

async function bulkReceive(bytes: number, timeoutMs: number): Promise<BulkStamp> {
  const state = { need: bytes, got: 0, firstUs: NaN, lastUs: NaN, done: () => {} }
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bulk: ${state.got} of ${bytes} B within ${timeoutMs} ms`)),
      timeoutMs,
    )
    state.done = () => {
      clearTimeout(timer)
      resolve()
    }
  })
  bulk = state
  try {
    await done
  } finally {
    bulk = null
  }
  return { firstUs: state.firstUs, lastUs: state.lastUs, bytes: state.got }
}

function bulkSend(bytes: number, chunkBytes: number): BulkStamp {
  const peer = rawPeer()
  const firstUs = nowUs()
  for (let sent = 0; sent < bytes; sent += chunkBytes) {
    const chunk = new Uint8Array(Math.min(chunkBytes, bytes - sent))
    chunk[0] = BULK
    peer.write(chunk)
  }
  return { firstUs, lastUs: nowUs(), bytes }
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
  return {
    messagesSent: s.messagesSent,
    bytesSent: s.bytesSent,
    messagesReceived: s.messagesReceived,
    bytesReceived: s.bytesReceived,
  }
}

function enter(name: string, role: 'producer' | 'consumer'): Joined {
  if (rooms.has(name)) throw new Error(`already in room ${name}`)
  const room = joinRoom<JsonObject>(name, {
    signaling: [signalingUrl!],
    role,
    candidateFilter: loopback,
    name: `bench-${role}`,
    // Investigation switch: ROOMS_COMPACTION=off measures rooms whose history is never trimmed.
    ...(process.env['ROOMS_COMPACTION'] === 'off' ? { compaction: false as const } : {}),
  })
  room.on('warning', (message) => post({ warning: `${name}: ${message}` }))
  const j: Joined = { room, lots: [], rng: new Prng(0x5eed), arrivals: null }
  rooms.set(name, j)
  return j
}

/** Joins the latency room: a producer first writes the auction lots the runs then update. */
function join(name: string, role: 'producer' | 'consumer'): void {
  const j = enter(name, role)
  if (role === 'consumer') {
    j.room.on('change', (change: RoomChange<JsonObject>) => {
      const t = nowUs() // first thing: the moment the application sees the change
      const a = j.arrivals
      if (!a || change.origin !== 'remote' || change.data === null) return
      const seq = change.data['seq']
      if (typeof seq === 'number') a.arrive(seq, t, lastArrivalUs)
    })
  } else {
    j.lots = initialLots(LOTS, 0x10ca1)
    for (const lot of j.lots) j.room.cache.update(lot)
  }
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
  for (const p of roomPeers(j.room)) instrument(p)
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
  const j = enter(name, 'producer')
  for (const r of records) j.room.cache.update(r)
  const writeMs = performance.now() - t0
  return {
    records: records.length,
    jsonBytes: records.reduce((a, r) => a + jsonBytes(r), 0),
    digest: digest(records),
    writeMs,
  }
}

/** Frames of an initial sync: chunks of a large message, and packed sync pieces (docs/rooms.md). */
const CHUNK_FRAME = 10
const PACKED_SYNC_FRAME = 15

async function sync(name: string, expectRecords: number, timeoutMs: number, reference: boolean): Promise<SyncResult> {
  const meter = new ResourceMeter()
  const t0 = nowUs()
  const { room } = enter(name, 'consumer')
  let connectUs = NaN
  let firstChunkUs = NaN
  let lastChunkUs = NaN
  room.on('peers', (peers) => {
    if (peers.length === 0 || !Number.isNaN(connectUs)) return
    connectUs = nowUs()
    for (const p of roomPeers(room)) {
      instrument(p, (data, t) => {
        if (data[0] !== CHUNK_FRAME && data[0] !== PACKED_SYNC_FRAME) return
        if (Number.isNaN(firstChunkUs)) firstChunkUs = t
        lastChunkUs = t
      })
    }
  })
  await waitSynced(room, timeoutMs)
  const syncedUs = nowUs()
  const deadline = performance.now() + timeoutMs
  while (room.cache.size < expectRecords && performance.now() < deadline) await sleep(1)
  const doneUs = nowUs()
  const resources = await endWindow(meter)
  // Untimed: check the copy, then time plain Yjs and JSON on the same state.
  const records = room.cache.keys().map((k) => room.cache.get(k)!)
  const yjs = reference ? await yjsReference(room, records) : null
  const ms = (us: number): number => (us - t0) / 1000
  return {
    yjs,
    connectMs: ms(connectUs),
    firstChunkMs: ms(firstChunkUs),
    lastChunkMs: ms(lastChunkUs),
    syncedMs: ms(syncedUs),
    totalMs: ms(doneUs),
    records: records.length,
    digest: digest(records),
    traffic: traffic(room),
    resources,
  }
}

/** One encode and one apply of the room's whole state with plain Yjs, and JSON.parse of the records. */
async function yjsReference(room: Room<JsonObject>, records: JsonObject[]): Promise<YjsReference> {
  globalThis.gc?.()
  let t = performance.now()
  const update = Y.encodeStateAsUpdate(room.awareness.doc)
  const encodeMs = performance.now() - t
  globalThis.gc?.()
  t = performance.now()
  Y.applyUpdate(new Y.Doc(), update)
  const t1 = performance.now()
  const applyMs = t1 - t
  await endWindow(new ResourceMeter()) // lets the GC entries arrive
  const applyGcMs = gcPauseMs(t, t1)
  const json = JSON.stringify(records)
  globalThis.gc?.()
  t = performance.now()
  JSON.parse(json)
  const jsonParseMs = performance.now() - t
  return { updateBytes: update.length, encodeMs, applyMs, applyGcMs, jsonParseMs }
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
      await rawOpen(req.initiator, req.link ?? DEFAULT_LINK)
      return { op: 'ok' }
    case 'raw-signal': {
      const link = req.link ?? DEFAULT_LINK
      const peer = raws.get(link)
      if (peer) peer.signal(req.data as SimplePeer.SignalData)
      else earlySignals.set(link, [...(earlySignals.get(link) ?? []), req.data as SimplePeer.SignalData])
      return { op: 'ok' }
    }
    case 'raw-send': {
      const peers = Array.from(raws.values())
      if (peers.length === 0) throw new Error('no raw peer')
      const log = await runSchedule(req.schedule, (seq) => {
        const msg = message(ONE_WAY, seq, req.payloadBytes)
        for (const peer of peers) {
          if (req.via === 'send') peer.send(msg)
          else peer.write(msg)
        }
      })
      return { op: 'raw-send', log }
    }
    case 'raw-listen':
      rawArrivals = new Arrivals(req.schedule)
      return { op: 'ok' }
    case 'raw-collect': {
      const a = rawArrivals
      if (!a) throw new Error('raw-collect without raw-listen')
      rawArrivals = null
      return { op: 'raw-collect', log: await a.collect(req.waitMs) }
    }
    case 'raw-rtt':
      return { op: 'raw-rtt', rttUs: await rawRtt(req.count, req.payloadBytes) }
    case 'raw-bulk-receive':
      return { op: 'raw-bulk', stamp: await bulkReceive(req.bytes, req.timeoutMs) }
    case 'raw-bulk-send':
      return { op: 'raw-bulk', stamp: bulkSend(req.bytes, req.chunkBytes) }
    case 'raw-close':
      closeRaw()
      return { op: 'ok' }
    case 'join':
      join(req.room, req.role)
      return { op: 'ok' }
    case 'wait-synced':
      await waitSynced(joined(req.room).room, req.timeoutMs)
      return { op: 'ok' }
    case 'wait-peers': {
      const { room } = joined(req.room)
      const deadline = performance.now() + req.timeoutMs
      while (room.peers.length < req.peers) {
        if (performance.now() > deadline)
          throw new Error(`${room.peers.length} of ${req.peers} peers within ${req.timeoutMs} ms`)
        await sleep(20)
      }
      await waitSynced(room, Math.max(1000, deadline - performance.now()))
      return { op: 'ok' }
    }
    case 'produce':
      return produce(req.room, req.schedule)
    case 'listen': {
      const j = joined(req.room)
      for (const p of roomPeers(j.room)) instrument(p)
      j.arrivals = new Arrivals(req.schedule)
      return { op: 'ok' }
    }
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
      return { op: 'sync', result: await sync(req.room, req.expectRecords, req.timeoutMs, req.reference) }
    case 'leave':
      await leave(req.room)
      return { op: 'ok' }
    case 'exit':
      closeRaw()
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
