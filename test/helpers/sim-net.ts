// A simulated network of room replicas (core/src/net/replica.ts) with a causal oracle (sim-oracle.ts):
// peers write, delete and compact while links break and heal and peers go offline; every frame
// moves only when the schedule says so. Peers that cannot follow epochs (sim-legacy.ts, as y-webrtc
// peers) can join too. At the end the oracle tells a write that lost to a concurrent or later one
// (allowed) from a write that was lost (never allowed): docs/compaction.md, "The invariant".
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { Replica, type ReplicaClock, type ReplicaLink } from '../../core/src/net/replica.js'
import { decodeFrame } from '../../core/src/net/frames.js'
import type { CompactionOptions } from '../../core/src/types.js'
import type { JsonObject, JsonValue } from '../../core/src/json.js'
import { mulberry32 } from './prng.js'
import { LegacyPeer, type LegacyLink } from './sim-legacy.js'
import { SimOracle, type PeerView, type SimEvent } from './sim-oracle.js'

export type { SimEvent } from './sim-oracle.js'

export const ORIGIN = Symbol('sim-net')

/** A clock whose timers run only when the test says so: the resync timer is part of the protocol. */
export class FakeClock implements ReplicaClock {
  private t = 0
  private timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = []
  private seq = 0

  now(): number {
    return this.t
  }

  later(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, seq: this.seq++, fn, live: true }
    this.timers.push(timer)
    return { cancel: () => (timer.live = false) }
  }

  /** When the next live timer is due, or null when none is pending. */
  nextAt(): number | null {
    this.timers = this.timers.filter((t) => t.live)
    return this.timers.reduce<number | null>((min, t) => (min === null || t.at < min ? t.at : min), null)
  }

  advance(ms: number): void {
    this.t += ms
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= this.t).sort((x, y) => x.at - y.at || x.seq - y.seq)[0]
      if (!due) return
      due.live = false
      due.fn()
    }
  }
}

/** Runs `fn` with Math.random replaced: epoch salts and Yjs client ids then replay exactly. */
export function withRandom<T>(random: () => number, fn: () => T): T {
  const saved = Math.random
  Math.random = random
  try {
    return fn()
  } finally {
    Math.random = saved
  }
}

/** One side of a connection; what it sends waits in a FIFO queue, as on an ordered, reliable data channel. */
class SimLink implements ReplicaLink {
  readonly followsEpochs = true
  alive = true
  constructor(
    readonly id: string,
    private readonly out: Uint8Array[],
    private readonly failures: string[],
  ) {}
  send(frame: Uint8Array): void {
    if (this.alive) this.out.push(frame)
  }
  drop(reason: string): void {
    // Recorded rather than thrown: a throw inside the replica could be swallowed on the way out.
    this.failures.push(`${this.id} dropped: ${reason}`)
  }
}

interface Wire {
  a: number
  b: number
  onA: SimLink
  onB: SimLink
  toA: Uint8Array[]
  toB: Uint8Array[]
}

/** What a run went through, so that a test can assert that the interesting cases happened. */
export interface SimCounts {
  writes: number
  compactions: number
  deletes: number
  removals: number
  concurrentCreations: number
  partitions: number
  /** The most schedule steps a peer or a link spent down. */
  longestPartition: number
  /** Writes of peers that cannot follow epochs, and how many of them a replica accepted. */
  legacyWrites: number
  legacyAccepted: number
}

export interface NetOptions {
  n: number
  seed: number
  /** Automatic compaction of the replicas (false: only explicit `compact`). */
  compaction?: false | CompactionOptions
  /** Peers that cannot follow epochs (y-webrtc-like), each linked to every replica. */
  legacy?: number
}

/** Field names the schedules write; `key` is written on creation and not tracked. */
export const FIELDS = ['a', 'b', 'c'] as const

/** The replica's side of a link to a legacy peer: it follows no epoch, and a drop ends the link. */
class LegacySide implements ReplicaLink {
  readonly followsEpochs = false
  alive = true
  dropped = false
  constructor(
    readonly id: string,
    private readonly out: Uint8Array[],
  ) {}
  send(frame: Uint8Array): void {
    if (this.alive) this.out.push(frame)
  }
  drop(): void {
    // A replica that moved to another epoch closes its links to peers that cannot follow.
    this.dropped = true
  }
}

interface LegacyWire {
  legacy: number
  replica: number
  side: LegacySide
  /** The legacy peer's end: what it sends goes to the replica's queue. */
  end: LegacyLink
  toReplica: Uint8Array[]
  toLegacy: Uint8Array[]
}

/** Peers fully meshed over wires that the schedule takes down and brings up. */
export class Net {
  readonly n: number
  readonly clock = new FakeClock()
  readonly peers: Replica[] = []
  readonly legacy: LegacyPeer[] = []
  readonly failures: string[] = []
  readonly oracle = new SimOracle(FIELDS)
  readonly counts: SimCounts = {
    writes: 0,
    compactions: 0,
    deletes: 0,
    removals: 0,
    concurrentCreations: 0,
    partitions: 0,
    longestPartition: 0,
    legacyWrites: 0,
    legacyAccepted: 0,
  }
  readonly offline: boolean[]
  private readonly wires = new Map<string, Wire>()
  private readonly legacyWires = new Map<string, LegacyWire>()
  private readonly wantUp = new Map<string, boolean>()
  private readonly downSince = new Map<string, number>()
  /**
   * Legacy writes not yet in any replica: a set is in a replica that has its struct (the legacy
   * client's clock); a native delete has no struct of its own, and is in a replica where the item
   * it deleted is deleted.
   */
  private readonly pendingLegacy: Array<{ e: SimEvent; client: number; clock: number; deleted: Y.ID | null }> = []
  private step = 0
  private rr = 0

  constructor(options: NetOptions) {
    this.n = options.n
    const random = mulberry32(options.seed)
    this.offline = Array.from({ length: this.n }, () => false)
    const compaction = options.compaction ?? false
    for (let i = 0; i < this.n; i++) {
      // Anti-entropy on, as in rooms: honest schedules must never see a divergence (checked in check()).
      const r = new Replica({
        compacts: compaction !== false,
        compaction,
        clock: this.clock,
        antiEntropy: { rank: 1, digestMs: 200, random },
      })
      r.antiEntropy!.on('diverged', (d) => this.failures.push(`peer ${i} diverged: ${JSON.stringify(d)}`))
      r.antiEntropy!.on('refused', (from) => this.failures.push(`peer ${i} refused an update from ${from} as forged`))
      // Yjs draws the first client id from crypto; a seeded one makes concurrent writes resolve reproducibly.
      r.mirror.doc.clientID = Math.floor(random() * 0xffffffff) >>> 0
      this.peers.push(r)
    }
    for (let i = 0; i < (options.legacy ?? 0); i++) this.legacy.push(new LegacyPeer(random))
    for (const [a, b] of this.pairs) this.wantUp.set(`${a}-${b}`, true)
    this.reconcile()
  }

  get events(): SimEvent[] {
    return this.oracle.events
  }

  /** The pairs of replicas, in a fixed order, for ops that name a pair by index. */
  get pairs(): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (let a = 0; a < this.n; a++) for (let b = a + 1; b < this.n; b++) out.push([a, b])
    return out
  }

  /** Advances the schedule's step counter (for the longest partition). */
  nextStep(): void {
    this.step++
  }

  private check(): void {
    if (this.failures.length > 0) assert.fail(this.failures.join('\n'))
  }

  private down(key: string, down: boolean): void {
    if (down) {
      if (!this.downSince.has(key)) {
        this.downSince.set(key, this.step)
        this.counts.partitions++
      }
    } else {
      const since = this.downSince.get(key)
      if (since !== undefined) {
        this.counts.longestPartition = Math.max(this.counts.longestPartition, this.step - since)
        this.downSince.delete(key)
      }
    }
  }

  /** Opens and closes wires so that exactly the wanted ones between online peers are up. */
  private reconcile(): void {
    for (const [a, b] of this.pairs) {
      const key = `${a}-${b}`
      const should = this.wantUp.get(key) === true && !this.offline[a] && !this.offline[b]
      const wire = this.wires.get(key)
      if (should && !wire) {
        const toA: Uint8Array[] = []
        const toB: Uint8Array[] = []
        const w: Wire = {
          a,
          b,
          toA,
          toB,
          onA: new SimLink(`${a}->${b}`, toB, this.failures),
          onB: new SimLink(`${b}->${a}`, toA, this.failures),
        }
        this.wires.set(key, w)
        this.peers[a]!.open(w.onA)
        this.peers[b]!.open(w.onB)
      } else if (!should && wire) {
        // What is in flight on a closing data channel is lost.
        wire.onA.alive = wire.onB.alive = false
        wire.toA.length = wire.toB.length = 0
        this.wires.delete(key)
        this.peers[a]!.close(wire.onA)
        this.peers[b]!.close(wire.onB)
      }
    }
    this.reconcileLegacy()
    this.flushAll()
  }

  /**
   * Every legacy peer is linked to every online replica. A replica that moved to another epoch
   * drops its legacy links; the legacy peer then rejoins with an empty document, as documented for
   * y-webrtc peers (docs/compaction.md, "Known limits"): what no replica accepted is lost with it.
   */
  private reconcileLegacy(): void {
    this.legacy.forEach((peer, l) => {
      const dropped = Array.from(this.legacyWires.values()).some((w) => w.legacy === l && w.side.dropped)
      if (dropped) {
        for (const [key, w] of Array.from(this.legacyWires)) {
          if (w.legacy !== l) continue
          w.side.alive = false
          w.toReplica.length = w.toLegacy.length = 0
          this.legacyWires.delete(key)
          peer.close(w.end)
          if (!w.side.dropped) this.peers[w.replica]!.close(w.side)
        }
        peer.reset()
        this.oracle.startOver(this.n + l)
      }
      // A y-webrtc peer relays everything between its links: linked to replicas in two epochs it
      // would carry one epoch's document into the other. It links to replicas of one epoch only —
      // the epoch of the first replica it reaches — which is what DiffStream supports (docs/compaction.md).
      const linked = Array.from(this.legacyWires.values()).find((w) => w.legacy === l)
      const epoch = linked ? this.peers[linked.replica]!.epoch : this.peers.find((p, r) => !this.offline[r])?.epoch
      for (let r = 0; r < this.n; r++) {
        const key = `L${l}-${r}`
        const wire = this.legacyWires.get(key)
        const should = !this.offline[r] && this.peers[r]!.epoch === epoch
        if (wire && (!should || wire.side.dropped)) {
          wire.side.alive = false
          wire.toReplica.length = wire.toLegacy.length = 0
          this.legacyWires.delete(key)
          peer.close(wire.end)
          if (!wire.side.dropped) this.peers[r]!.close(wire.side)
        } else if (!wire && should) {
          const toReplica: Uint8Array[] = []
          const toLegacy: Uint8Array[] = []
          const side = new LegacySide(`legacy ${l}`, toLegacy)
          const w: LegacyWire = { legacy: l, replica: r, side, end: { send: (f) => toReplica.push(f) }, toReplica, toLegacy }
          this.legacyWires.set(key, w)
          peer.open(w.end)
          this.peers[r]!.open(side)
        }
      }
    })
  }

  flushAll(): void {
    for (const p of this.peers) p.flush()
    this.check()
    // A replica that dropped a legacy link: that peer starts over (see reconcileLegacy).
    if (Array.from(this.legacyWires.values()).some((w) => w.side.dropped)) {
      this.reconcileLegacy()
      for (const p of this.peers) p.flush()
    }
    this.noteAccepted()
    for (let p = 0; p < this.n; p++) this.oracle.observe(p, this.replicaView(p))
    this.legacy.forEach((l, i) => this.oracle.observe(this.n + i, legacyView(l)))
  }

  /** Legacy writes a replica now holds: accepted, so the invariant covers them from here on. */
  private noteAccepted(): void {
    const holds = (p: Replica, { client, clock, deleted }: (typeof this.pendingLegacy)[number]): boolean => {
      if (!deleted) return p.mirror.clock(client) >= clock
      if (p.mirror.clock(deleted.client) <= deleted.clock) return false
      const item = Y.getItem(p.mirror.doc.store, deleted)
      return item.deleted
    }
    for (let i = this.pendingLegacy.length - 1; i >= 0; i--) {
      const pending = this.pendingLegacy[i]!
      const { e } = pending
      if (!this.peers.some((p) => holds(p, pending))) continue
      e.accepted = true
      this.counts.legacyAccepted++
      this.pendingLegacy.splice(i, 1)
    }
  }

  private replicaView(p: number): PeerView {
    const mirror = this.peers[p]!.mirror
    return {
      records: mirror.ids(),
      read: (rec) => this.read(p, rec),
      tombstoneAt: (path) => {
        const s = mirror.stampAt(path)
        return s ? `${s.l}.${s.w}` : null
      },
    }
  }

  toggleLink(a: number, b: number): void {
    const key = `${Math.min(a, b)}-${Math.max(a, b)}`
    const up = !this.wantUp.get(key)
    this.setLink(a, b, up)
  }

  setLink(a: number, b: number, up: boolean): void {
    const key = `${Math.min(a, b)}-${Math.max(a, b)}`
    this.wantUp.set(key, up)
    this.down(`link ${key}`, !up)
    this.reconcile()
  }

  setOffline(p: number, offline: boolean): void {
    this.offline[p] = offline
    this.down(`peer ${p}`, offline)
    this.reconcile()
  }

  healAll(): void {
    for (const key of this.wantUp.keys()) {
      this.wantUp.set(key, true)
      this.down(`link ${key}`, false)
    }
    for (let p = 0; p < this.n; p++) {
      this.offline[p] = false
      this.down(`peer ${p}`, false)
    }
    this.reconcile()
  }

  /** The record `rec` as peer p holds it, or undefined. */
  read(p: number, rec: string): JsonObject | undefined {
    const v = this.peers[p]!.mirror.read(rec)
    return v === undefined ? undefined : { ...(v as JsonObject) }
  }

  private record(p: number, rec: string, field: string | null, value: string | null): SimEvent {
    this.oracle.observe(p, this.replicaView(p))
    return this.oracle.record(p, rec, field, value)
  }

  private stampKey(p: number, path: string[]): string {
    const s = this.peers[p]!.mirror.stampAt(path)!
    return `${s.l}.${s.w}`
  }

  /** Peer p writes one field of record `rec` (creating the record if it holds none). */
  write(p: number, rec: string, field: string): string {
    const current = this.read(p, rec)
    if (!current && this.oracle.concurrentCreation(p, rec)) this.counts.concurrentCreations++
    const e = this.record(p, rec, field, '')
    const value = `e${e.id}`
    e.value = value
    this.peers[p]!.write(rec, { ...(current ?? { key: rec }), [field]: value }, ORIGIN)
    this.counts.writes++
    this.flushAll()
    return value
  }

  /** Peer p removes a field it holds; false when it holds none there. */
  removeField(p: number, rec: string, field: string): boolean {
    const current = this.read(p, rec)
    if (!current || current[field] === undefined) return false
    const e = this.record(p, rec, field, null)
    const next = { ...current }
    delete next[field]
    this.peers[p]!.write(rec, next, ORIGIN)
    e.stamp = this.stampKey(p, [rec, field])
    this.counts.removals++
    this.flushAll()
    return true
  }

  /** Peer p deletes a record it holds; false when it holds none. */
  deleteRecord(p: number, rec: string): boolean {
    if (!this.read(p, rec)) return false
    const e = this.record(p, rec, null, null)
    this.peers[p]!.remove(rec, ORIGIN)
    e.stamp = this.stampKey(p, [rec])
    this.counts.deletes++
    this.flushAll()
    return true
  }

  /**
   * Legacy peer `l` sets a field (value), removes it (null) or deletes the record (field null), as
   * a y-webrtc peer would; the write counts once a replica holds it.
   */
  legacyEdit(l: number, rec: string, field: string | null, set: boolean): void {
    const peer = this.legacy[l]!
    const p = this.n + l
    this.oracle.observe(p, legacyView(peer))
    if (!set && !peer.read(rec)) return
    if (!set && field !== null && peer.read(rec)![field] === undefined) return
    const e = this.oracle.record(p, rec, field, set ? '' : null, true)
    let deleted: Y.ID | null = null
    if (set) {
      e.value = `e${e.id}`
      peer.set(rec, field!, e.value)
    } else {
      const recordItem = peer.root._map.get(rec)!
      const target = field === null ? recordItem : (recordItem.content as Y.ContentType).type._map.get(field)!
      deleted = target.id
      peer.remove(rec, field)
    }
    this.counts.legacyWrites++
    this.pendingLegacy.push({ e, client: peer.clientID, clock: Y.getState(peer.doc.store, peer.clientID), deleted })
    this.flushAll()
  }

  compact(...ps: number[]): void {
    // All compact before any hears of another: "two at once".
    for (const p of ps) this.peers[p]!.compact()
    this.flushAll()
  }

  /** Compactions every replica made (explicit and automatic). */
  get compactions(): number {
    return this.peers.reduce((n, p) => n + p.compactions, 0)
  }

  /** Every non-empty directed queue, as one way to deliver its oldest frame. */
  private queues(): Array<() => void> {
    const out: Array<() => void> = []
    const toReplica = (to: number, from: string, link: ReplicaLink, q: Uint8Array[]) => () => {
      const frame = decodeFrame(q.shift()!)
      try {
        this.peers[to]!.receive(link, frame)
      } catch (err) {
        assert.fail(`peer ${to} refused a ${frame.kind} frame from ${from}: ${(err as Error).message}`)
      }
      // Each data-channel message is its own task: the replica's microtask flush runs before the next.
      this.peers[to]!.flush()
      this.check()
      this.noteAccepted()
      this.oracle.observe(to, this.replicaView(to))
    }
    for (const w of this.wires.values()) {
      if (w.toB.length > 0) out.push(toReplica(w.b, `peer ${w.a}`, w.onB, w.toB))
      if (w.toA.length > 0) out.push(toReplica(w.a, `peer ${w.b}`, w.onA, w.toA))
    }
    for (const w of this.legacyWires.values()) {
      if (w.toReplica.length > 0) out.push(toReplica(w.replica, `legacy ${w.legacy}`, w.side, w.toReplica))
      if (w.toLegacy.length > 0)
        out.push(() => {
          this.legacy[w.legacy]!.receive(w.end, w.toLegacy.shift()!)
          this.oracle.observe(this.n + w.legacy, legacyView(this.legacy[w.legacy]!))
        })
    }
    return out
  }

  /** Delivers the oldest frame of the `pick`-th non-empty queue; false when every queue is empty. */
  deliverOne(pick: number): boolean {
    const qs = this.queues()
    if (qs.length === 0) return false
    qs[pick % qs.length]!()
    if (Array.from(this.legacyWires.values()).some((w) => w.side.dropped)) this.flushAll()
    return true
  }

  tick(ms: number): void {
    this.clock.advance(ms)
    this.flushAll()
  }

  /** Delivers everything and runs every timer until nothing moves; fails when it never settles. */
  settle(): void {
    for (let i = 0; i < 200_000; i++) {
      if (this.deliverOne(this.rr++)) continue
      const next = this.clock.nextAt()
      if (next === null) return
      this.tick(Math.max(0, next - this.clock.now()))
    }
    assert.fail('the network did not settle')
  }

  /** Asserts that every copy holds the same records in the same epoch, every link synced. */
  assertConverged(): void {
    const snapshots = this.peers.map((p) => snapshot(p))
    for (let i = 1; i < this.n; i++) {
      assert.deepEqual(snapshots[i], snapshots[0], `peer ${i} differs from peer 0`)
      assert.equal(this.peers[i]!.epoch, this.peers[0]!.epoch, `peer ${i} is in another epoch than peer 0`)
    }
    for (const [i, p] of this.peers.entries()) assert.ok(p.synced, `peer ${i} has a link that never synced`)
    this.legacy.forEach((l, i) =>
      assert.deepEqual(legacySnapshot(l), snapshots[0], `legacy peer ${i} differs from the replicas`),
    )
  }

  /** The invariant, against the oracle (sim-oracle.ts). */
  assertNoLostWrite(): void {
    const failure = this.oracle.check(snapshot(this.peers[0]!))
    if (failure) assert.fail(failure)
  }

  destroy(): void {
    for (const p of this.peers) p.destroy()
    for (const l of this.legacy) l.doc.destroy()
  }
}

function legacyView(l: LegacyPeer): PeerView {
  return { records: l.records(), read: (rec) => l.read(rec), tombstoneAt: () => null }
}

function legacySnapshot(l: LegacyPeer): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const id of Array.from(l.records()).sort()) out[id] = sortKeys(l.read(id)!)
  return out
}

/** A copy's contents with fields sorted (a compaction rewrites objects in sorted order). */
export function snapshot(r: Replica): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const id of Array.from(r.mirror.ids()).sort()) out[id] = sortKeys(r.mirror.read(id)!)
  return out
}

function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v === null || typeof v !== 'object') return v
  const out: JsonObject = {}
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!)
  return out
}

/** Runs `fn` on a fresh network whose randomness (epoch salts, Yjs client ids) comes from `options.seed`. */
export function onNet<T>(options: NetOptions, fn: (net: Net) => T): T {
  return withRandom(mulberry32(options.seed ^ 0x5eed), () => {
    const net = new Net(options)
    try {
      return fn(net)
    } finally {
      net.destroy()
    }
  })
}
