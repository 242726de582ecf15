// A seeded large-room scenario on the simulated network: peers join, writers stream while peers join,
// leave, vanish, freeze, go offline and links break; then the network settles and every copy is
// compared. The same scenario runs with the broadcast tree and with flooding (y-webrtc's way).
import { mulberry32 } from '../prng.js'
import type { RelayMode } from '../../../core/src/net/broadcast.js'
import { SimNet, type SimConfig, type SimPeer } from './network.js'
import { Receptions } from './receptions.js'

/** What happens during the stream, as counts of events at random moments. */
export interface Churn {
  joins: number
  leaves: number
  vanishes: number
  freezes: number
  offlines: number
  /** Links that break silently (a network drop: only the heartbeat notices). */
  linkDrops: number
  /** Links that close with both sides told. */
  linkCloses: number
}

export interface ScenarioConfig {
  n: number
  seed: number
  relay: RelayMode
  maxConns: number
  writers: number
  /** Writes per second, all writers together. */
  rate: number
  streamMs: number
  churn: Churn
  /** Initial peers join over this long; the stream starts `warmMs` after that. */
  joinMs: number
  warmMs: number
  /** After the stream: time for the network to settle before the copies are compared. */
  settleMs: number
  /** Extra network settings. */
  net?: Partial<SimConfig>
}

export const NO_CHURN: Churn = {
  joins: 0,
  leaves: 0,
  vanishes: 0,
  freezes: 0,
  offlines: 0,
  linkDrops: 0,
  linkCloses: 0,
}

/** A scenario's defaults for `n` peers: a stream of 10 s at 20 writes/s with churn in proportion to n. */
export function scenarioFor(n: number, seed: number, relay: RelayMode = 'tree'): ScenarioConfig {
  const k = Math.max(1, Math.round(n / 25))
  return {
    n,
    seed,
    relay,
    maxConns: 8,
    writers: 1 + (seed % 2),
    rate: 20,
    streamMs: 10_000,
    churn: { joins: 2 * k, leaves: k, vanishes: k, freezes: k, offlines: k, linkDrops: 2 * k, linkCloses: 2 * k },
    joinMs: 3_000,
    warmMs: 4_000,
    settleMs: 40_000,
  }
}

export interface ScenarioResult {
  config: ScenarioConfig
  /** Every live copy equal to the writers' at the end, every live peer linked. */
  converged: boolean
  failures: string[]
  peersAtEnd: number
  writes: number
  /** Receptions of an update per peer that received it (writers' own copies not counted). */
  meanReceptions: number
  hops: { p50: number; p99: number; max: number }
  /** From a write to its arrival at the last peer that was online then and still is at the end, ms. */
  spreadMs: { p50: number; p99: number; max: number }
  /** Update-carrying bytes delivered per write and peer. */
  updateBytesPerWritePeer: number
  /** Every frame delivered (updates, syncs, digests, heartbeats) per write and peer. */
  framesPerWritePeer: number
  maxDegree: number
  meanDegree: number
  tree: { prunes: number; grafts: number; haves: number }
  /** What churn actually happened. */
  happened: Churn
  events: number
  wallMs: number
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function withRandom<T>(random: () => number, fn: () => T): T {
  const saved = Math.random
  Math.random = random
  try {
    return fn()
  } finally {
    Math.random = saved
  }
}

/**
 * Runs one scenario to the end; never throws for a protocol failure (it is reported). Let the event
 * loop turn between runs: each replica's queued flush microtask holds it until then.
 */
export function runScenario(config: ScenarioConfig): ScenarioResult {
  const random = mulberry32(config.seed)
  return withRandom(random, () => play(config, random))
}

function play(config: ScenarioConfig, random: () => number): ScenarioResult {
  const t0 = performance.now()
  const net = new SimNet(random, { relay: config.relay, maxConns: config.maxConns, ...config.net })
  const rec = new Receptions()
  const onlineAt = new Map<SimPeer, number>()
  const happened: Churn = { ...NO_CHURN }
  /** Peers that were offline or frozen for a while: their catch-up is not the broadcast's spread. */
  const paused = new Set<SimPeer>()
  net.onDelivery = (d) => rec.delivered(d, net.now)

  const writers: SimPeer[] = []
  for (let i = 0; i < config.n; i++) {
    const writer = i < config.writers
    const at = i === 0 ? 0 : random() * config.joinMs
    net.queue.at(at, () => {
      const p = net.join(writer)
      if (writer) writers.push(p)
    })
  }
  const streamStart = config.joinMs + config.warmMs
  const streamEnd = streamStart + config.streamMs
  // Writes: round robin over 50 lots, writers taking turns; now and then a lot is deleted.
  const total = Math.round((config.rate * config.streamMs) / 1000)
  for (let i = 0; i < total; i++) {
    net.queue.at(streamStart + (i * 1000) / config.rate, () => {
      const w = writers[i % writers.length]
      if (!w) return
      const key = `lot-${i % 50}`
      w.work(() => {
        const update =
          i % 37 === 36
            ? w.replica.remove(key, 'sim')
            : w.replica.write(key, { key, price: i, bidder: `w${i % writers.length}`, note: `bid ${i}` }, 'sim')
        if (update) rec.wrote(w, update, net.now)
      })
    })
  }
  // Churn at random moments of the stream; writers stay (their last writes must reach everyone).
  const churners = (): SimPeer[] => net.live().filter((p) => !p.writer && !p.clock.isFrozen)
  const pick = (): SimPeer | undefined => {
    const c = churners()
    return c[Math.floor(random() * c.length)]
  }
  const at = (): number => streamStart + random() * config.streamMs
  const c = config.churn
  for (let i = 0; i < c.joins; i++) net.queue.at(at(), () => (net.join(), happened.joins++))
  for (let i = 0; i < c.leaves; i++)
    net.queue.at(at(), () => {
      const p = pick()
      if (p) (net.leave(p), happened.leaves++)
    })
  for (let i = 0; i < c.vanishes; i++)
    net.queue.at(at(), () => {
      const p = pick()
      if (p) (net.vanish(p), happened.vanishes++)
    })
  for (let i = 0; i < c.freezes; i++)
    net.queue.at(at(), () => {
      const p = pick()
      // Longer than the heartbeat timeout half of the time: then the others drop it and it rejoins.
      if (!p) return
      net.freeze(p, (random() < 0.5 ? 0.5 : 1.5) * net.config.heartbeatMs)
      paused.add(p)
      happened.freezes++
    })
  for (let i = 0; i < c.offlines; i++)
    net.queue.at(at(), () => {
      const p = pick()
      if (!p) return
      net.offline(p, 500 + random() * 3000)
      paused.add(p)
      happened.offlines++
    })
  for (let i = 0; i < c.linkDrops; i++)
    net.queue.at(at(), () => {
      const p = pick()
      if (p && net.breakLink(p, true)) happened.linkDrops++
    })
  for (let i = 0; i < c.linkCloses; i++)
    net.queue.at(at(), () => {
      const p = pick()
      if (p && net.breakLink(p, false)) happened.linkCloses++
    })
  // Peers that are online when each write is made (for the spread time).
  net.queue.at(streamStart - 1, () => {
    for (const p of net.live()) onlineAt.set(p, net.now)
  })
  const trackJoins = (): void => {
    for (const p of net.live()) if (!onlineAt.has(p)) onlineAt.set(p, net.now)
    if (net.now < streamEnd) net.queue.after(100, trackJoins)
  }
  net.queue.at(streamStart, trackJoins)

  const end = streamEnd + config.settleMs
  let events = 0
  events += net.queue.runUntil(end)

  // --- verdict ------------------------------------------------------------------------------------
  const failures = [...net.failures]
  const live = net.live().filter((p) => !p.clock.isFrozen)
  const reference = writers[0]
  const contents = (p: SimPeer): string =>
    JSON.stringify(
      Array.from(p.replica.mirror.ids())
        .sort()
        .map((id) => [id, p.replica.mirror.read(id)]),
    )
  if (!reference) failures.push('no writer')
  else {
    const want = contents(reference)
    const differ = live.filter((p) => contents(p) !== want)
    if (differ.length > 0)
    if (differ.length > 0) failures.push(`${differ.length} of ${live.length} copies differ from the writer's`)
    const alone = live.filter((p) => p.degree === 0)
    if (alone.length > 0) failures.push(`${alone.length} peers have no link at the end`)
  }

  let receptions = 0
  let pairs = 0
  const hops: number[] = []
  const spread: number[] = []
  for (const r of rec.peers.values()) {
    for (let i = 0; i < rec.writes.length; i++) {
      if (r.hops[i] === 0 || r.count[i] === undefined || r.count[i] === 0) continue
      receptions += r.count[i]!
      pairs++
      if (Number.isFinite(r.hops[i])) hops.push(r.hops[i]!)
    }
  }
  for (let i = 0; i < rec.writes.length; i++) {
    const w = rec.writes[i]!
    let last = 0
    for (const p of live) {
      if (paused.has(p)) continue
      const since = onlineAt.get(p)
      if (since === undefined || since > w.at) continue
      const first = rec.peers.get(p)?.first[i]
      last = Math.max(last, first === undefined ? Infinity : first - w.at)
    }
    spread.push(last)
  }
  hops.sort((a, b) => a - b)
  spread.sort((a, b) => a - b)
  let prunes = 0
  let grafts = 0
  let haves = 0
  let maxDegree = 0
  for (const p of net.peers.values()) {
    maxDegree = Math.max(maxDegree, p.maxDegree)
    const s = p.replica.broadcast.stats
    prunes += s.prunesSent
    grafts += s.graftsSent
    haves += s.havesSent
  }
  const writes = rec.writes.length
  const peerWrites = Math.max(1, pairs)
  const result: ScenarioResult = {
    config,
    converged: failures.length === 0,
    failures,
    peersAtEnd: live.length,
    writes,
    meanReceptions: pairs === 0 ? NaN : receptions / pairs,
    hops: { p50: quantile(hops, 0.5), p99: quantile(hops, 0.99), max: hops.at(-1) ?? NaN },
    spreadMs: { p50: quantile(spread, 0.5), p99: quantile(spread, 0.99), max: spread.at(-1) ?? NaN },
    updateBytesPerWritePeer: net.updateBytes / peerWrites,
    framesPerWritePeer: net.framesDelivered / peerWrites,
    maxDegree,
    meanDegree: live.reduce((a, p) => a + p.degree, 0) / Math.max(1, live.length),
    tree: { prunes, grafts, haves },
    happened,
    events,
    wallMs: performance.now() - t0,
  }
  for (const p of Array.from(net.peers.values())) p.replica.destroy()
  return result
}
