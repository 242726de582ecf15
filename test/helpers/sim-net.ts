// A simulated network of room replicas (core/src/net/replica.ts) with a causal oracle: peers write,
// delete and compact while links break and heal and peers go offline; every frame moves only when
// the schedule says so. The oracle records, for every write and delete, what its writer had seen,
// so that at the end it can tell a write that lost to a concurrent or later one (allowed) from a
// write that was lost (never allowed): docs/compaction.md, "The invariant".
import assert from 'node:assert/strict'
import { Replica, type ReplicaClock, type ReplicaLink } from '../../core/src/net/replica.js'
import { decodeFrame } from '../../core/src/net/frames.js'
import type { CompactionOptions } from '../../core/src/types.js'
import type { JsonObject, JsonValue } from '../../core/src/json.js'
import { mulberry32 } from './prng.js'

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

/** A write (`value` a string), a field's removal (`value` null) or a record's deletion (`field` null). */
export interface SimEvent {
  id: number
  peer: number
  rec: string
  field: string | null
  value: string | null
  /** Every event the writer had seen when it wrote. */
  knew: ReadonlySet<number>
  /** For a removal or deletion: the stamp of the tombstone it wrote, which tells who has seen it. */
  stamp?: string
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
}

export interface NetOptions {
  n: number
  seed: number
  /** Automatic compaction of the replicas (false: only explicit `compact`). */
  compaction?: false | CompactionOptions
}

/** Field names the schedules write; `key` is written on creation and not tracked. */
export const FIELDS = ['a', 'b', 'c'] as const

/** Peers fully meshed over wires that the schedule takes down and brings up. */
export class Net {
  readonly n: number
  readonly clock = new FakeClock()
  readonly peers: Replica[] = []
  readonly failures: string[] = []
  readonly events: SimEvent[] = []
  readonly counts: SimCounts = {
    writes: 0,
    compactions: 0,
    deletes: 0,
    removals: 0,
    concurrentCreations: 0,
    partitions: 0,
    longestPartition: 0,
  }
  readonly offline: boolean[]
  private readonly wires = new Map<string, Wire>()
  private readonly wantUp = new Map<string, boolean>()
  /** Per peer, every event it has seen (its value, or its effect, was in its copy at some point). */
  private readonly seen: Array<Set<number>>
  /** Per peer and record, the events visible in the record when the peer last held it. */
  private readonly lastHeld: Array<Map<string, Set<number>>>
  /** Per peer and `record/field`, the event whose value the peer last saw there. */
  private readonly lastValue: Array<Map<string, number>>
  private readonly downSince = new Map<string, number>()
  private step = 0
  private rr = 0

  constructor(options: NetOptions) {
    this.n = options.n
    const random = mulberry32(options.seed)
    this.offline = Array.from({ length: this.n }, () => false)
    this.seen = Array.from({ length: this.n }, () => new Set())
    this.lastHeld = Array.from({ length: this.n }, () => new Map())
    this.lastValue = Array.from({ length: this.n }, () => new Map())
    const compaction = options.compaction ?? false
    for (let i = 0; i < this.n; i++) {
      const r = new Replica({ compacts: compaction !== false, compaction, clock: this.clock })
      // Yjs draws the first client id from crypto; a seeded one makes concurrent writes resolve reproducibly.
      r.mirror.doc.clientID = Math.floor(random() * 0xffffffff) >>> 0
      this.peers.push(r)
    }
    for (const [a, b] of this.pairs) this.wantUp.set(`${a}-${b}`, true)
    this.reconcile()
  }

  /** The pairs, in a fixed order, for ops that name a pair by index. */
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
    this.flushAll()
  }

  flushAll(): void {
    for (const p of this.peers) p.flush()
    this.check()
    for (let p = 0; p < this.n; p++) this.observe(p)
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

  /**
   * What peer p has seen since it last looked: the events whose values are in its copy (and what
   * their writers had seen), the deletions of records it held that are gone, and the removals of
   * fields that are gone.
   */
  private observe(p: number): void {
    const seen = this.seen[p]!
    const learn = (id: number): void => {
      if (seen.has(id)) return
      seen.add(id)
      for (const k of this.events[id]!.knew) seen.add(k)
    }
    const ids = new Set<string>(this.lastHeld[p]!.keys())
    for (const id of this.peers[p]!.mirror.ids()) ids.add(id)
    for (const rec of ids) {
      const record = this.read(p, rec)
      const before = this.lastHeld[p]!.get(rec)
      if (!record) {
        if (before) {
          // A record it held is gone: it has seen the deletion whose tombstone it holds.
          const d = this.tombstone(p, [rec])
          if (d) learn(d.id)
        }
        this.lastHeld[p]!.delete(rec)
        for (const field of FIELDS) this.lastValue[p]!.delete(`${rec}/${field}`)
        continue
      }
      const visible = new Set<number>()
      for (const field of FIELDS) {
        const slot = `${rec}/${field}`
        const v = record[field]
        if (typeof v === 'string' && v.startsWith('e')) {
          const id = Number(v.slice(1))
          visible.add(id)
          learn(id)
          this.lastValue[p]!.set(slot, id)
        } else if (v === undefined) {
          const last = this.lastValue[p]!.get(slot)
          if (last !== undefined) {
            // A field it held is gone from a record it holds: it has seen the removal whose tombstone it holds.
            const r = this.tombstone(p, [rec, field])
            if (r) learn(r.id)
            this.lastValue[p]!.delete(slot)
          }
        }
      }
      this.lastHeld[p]!.set(rec, visible)
    }
  }

  /** The removal or deletion whose tombstone peer p holds at `path`, if the oracle knows it. */
  private tombstone(p: number, path: string[]): SimEvent | undefined {
    const s = this.peers[p]!.mirror.stampAt(path)
    if (!s) return undefined
    const key = `${s.l}.${s.w}`
    return this.events.find((e) => e.stamp === key)
  }

  private stampKey(p: number, path: string[]): string {
    const s = this.peers[p]!.mirror.stampAt(path)!
    return `${s.l}.${s.w}`
  }

  private record(peer: number, rec: string, field: string | null, value: string | null): SimEvent {
    this.observe(peer)
    const e: SimEvent = { id: this.events.length, peer, rec, field, value, knew: new Set(this.seen[peer]) }
    this.events.push(e)
    this.seen[peer]!.add(e.id)
    return e
  }

  /** Peer p writes one field of record `rec` (creating the record if it holds none). */
  write(p: number, rec: string, field: string): string {
    const current = this.read(p, rec)
    if (!current) this.noteCreation(p, rec)
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
    // Its own removal: the field's absence teaches it nothing more.
    this.lastValue[p]!.delete(`${rec}/${field}`)
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
    // Its own deletion: the record's absence teaches it nothing more.
    this.lastHeld[p]!.delete(rec)
    for (const field of FIELDS) this.lastValue[p]!.delete(`${rec}/${field}`)
    this.peers[p]!.remove(rec, ORIGIN)
    e.stamp = this.stampKey(p, [rec])
    this.counts.deletes++
    this.flushAll()
    return true
  }

  /** Counts a creation that did not see another creation of the same record still in play. */
  private noteCreation(p: number, rec: string): void {
    const seen = this.seen[p]!
    const others = this.events.filter((e) => e.rec === rec && e.field !== null && e.value !== null && e.peer !== p)
    if (others.some((e) => !seen.has(e.id))) this.counts.concurrentCreations++
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

  private queues(): Array<{ from: number; to: number; link: SimLink; q: Uint8Array[] }> {
    const out: Array<{ from: number; to: number; link: SimLink; q: Uint8Array[] }> = []
    for (const w of this.wires.values()) {
      if (w.toB.length > 0) out.push({ from: w.a, to: w.b, link: w.onB, q: w.toB })
      if (w.toA.length > 0) out.push({ from: w.b, to: w.a, link: w.onA, q: w.toA })
    }
    return out
  }

  /** Delivers the oldest frame of the `pick`-th non-empty queue; false when every queue is empty. */
  deliverOne(pick: number): boolean {
    const qs = this.queues()
    if (qs.length === 0) return false
    const { from, to, link, q } = qs[pick % qs.length]!
    const bytes = q.shift()!
    const frame = decodeFrame(bytes)
    try {
      this.peers[to]!.receive(link, frame)
    } catch (err) {
      assert.fail(`peer ${to} refused a ${frame.kind} frame from peer ${from}: ${(err as Error).message}`)
    }
    // Each data-channel message is its own task: the replica's microtask flush runs before the next.
    this.peers[to]!.flush()
    this.check()
    this.observe(to)
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
  }

  /**
   * The invariant, against the oracle: every write is in the final dict unless a write to the same
   * field, a removal of the field or a deletion of its record that its writer had not seen (a later
   * or concurrent one) replaced it; and no value comes back that a removal, deletion or write which
   * had seen it replaced.
   */
  assertNoLostWrite(): void {
    const final = snapshot(this.peers[0]!)
    for (const w of this.events) {
      if (w.field === null || w.value === null) continue
      const record = final[w.rec] as JsonObject | undefined
      const now = record?.[w.field]
      if (now === w.value) {
        const killer = this.events.find(
          (r) => r.id !== w.id && r.knew.has(w.id) && r.rec === w.rec && (r.field === w.field || r.field === null),
        )
        if (killer) assert.fail(`${w.rec}/${w.field} is ${w.value}, which event ${describe(killer)} had seen and replaced`)
        continue
      }
      const replacer = this.events.find(
        (r) => r.id !== w.id && !w.knew.has(r.id) && r.rec === w.rec && (r.field === w.field || r.field === null),
      )
      if (!replacer)
        assert.fail(
          `lost write: ${describe(w)}; ${w.rec}/${w.field} is ${JSON.stringify(now ?? null)} and nothing its writer had not seen replaced it`,
        )
    }
  }

  destroy(): void {
    for (const p of this.peers) p.destroy()
  }
}

function describe(e: SimEvent): string {
  const what = e.field === null ? `delete ${e.rec}` : e.value === null ? `remove ${e.rec}/${e.field}` : `${e.rec}/${e.field} = ${e.value}`
  return `#${e.id} (peer ${e.peer}: ${what})`
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
