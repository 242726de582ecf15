// Property-based tests of epochs in rooms: several peers edit at random while links break and heal,
// peers go offline and compactions happen at random moments (sometimes two at once). In the end every
// copy must be the same, in the same epoch, and no write may be lost unless a later write to the same
// field replaced it. The unit is `Replica` (core/src/net/replica.ts) over a simulated network.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Replica, type ReplicaClock, type ReplicaLink } from '../../core/src/net/replica.js'
import { decodeFrame } from '../../core/src/net/frames.js'
import type { JsonObject, JsonValue } from '../../core/src/json.js'

const ORIGIN = Symbol('epochs-property-test')
const FIELDS = ['a', 'b', 'c'] as const
type Field = (typeof FIELDS)[number]
const RECORDS = 3

/** A clock whose timers run only when the test says so: the resync timer is part of the protocol. */
class FakeClock implements ReplicaClock {
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

/** A small seeded PRNG: epoch salts and Yjs client ids come from Math.random, so a run replays exactly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
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
  /** The link objects as peer a and peer b hold them. */
  onA: SimLink
  onB: SimLink
  toA: Uint8Array[]
  toB: Uint8Array[]
}

/** Peers fully meshed over wires that the schedule takes down and brings up. */
class Net {
  readonly clock = new FakeClock()
  readonly peers: Replica[] = []
  readonly failures: string[] = []
  private readonly wires = new Map<string, Wire>()
  private readonly wantUp = new Map<string, boolean>()
  readonly offline: boolean[]
  /** Every value written per `record/field`, and the values a writer saw and overwrote. */
  readonly written = new Map<string, Set<string>>()
  readonly replaced = new Set<string>()
  compactions = 0
  private counter = 0
  private created = 0
  private rr = 0

  constructor(
    readonly n: number,
    random: () => number,
    /** Whether peer 0 creates the records and every peer has them before the test starts. */
    precreate: boolean,
  ) {
    this.offline = Array.from({ length: n }, () => false)
    for (let i = 0; i < n; i++) {
      const r = new Replica({ compacts: false, compaction: false, clock: this.clock })
      // Yjs draws the first client id from crypto; a seeded one makes concurrent writes resolve reproducibly.
      r.mirror.doc.clientID = Math.floor(random() * 0xffffffff) >>> 0
      this.peers.push(r)
    }
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) this.wantUp.set(`${a}-${b}`, true)
    this.reconcile()
    if (precreate) {
      // Every copy holds the records before the schedule starts: two peers creating one record at once, and
      // compacting an empty document, fail for reasons of their own (see the known failures below).
      for (let rec = 0; rec < RECORDS; rec++) this.peers[0]!.write(`r${rec}`, { key: `r${rec}` }, ORIGIN)
      this.flushAll()
      this.settle()
    }
  }

  /** The pairs, in a fixed order, for ops that name a pair by index. */
  get pairs(): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (let a = 0; a < this.n; a++) for (let b = a + 1; b < this.n; b++) out.push([a, b])
    return out
  }

  private check(): void {
    if (this.failures.length > 0) assert.fail(this.failures.join('\n'))
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
  }

  toggleLink(a: number, b: number): void {
    const key = `${Math.min(a, b)}-${Math.max(a, b)}`
    this.wantUp.set(key, !this.wantUp.get(key))
    this.reconcile()
  }

  setLink(a: number, b: number, up: boolean): void {
    this.wantUp.set(`${Math.min(a, b)}-${Math.max(a, b)}`, up)
    this.reconcile()
  }

  setOffline(p: number, offline: boolean): void {
    this.offline[p] = offline
    this.reconcile()
  }

  healAll(): void {
    for (const key of this.wantUp.keys()) this.wantUp.set(key, true)
    this.offline.fill(false)
    this.reconcile()
  }

  /** Peer p writes one field with a fresh value, noting the value it saw there as replaced. */
  write(p: number, rec: number | string, field: Field): string {
    const id = typeof rec === 'string' ? rec : `r${rec}`
    const value = `${p}:${this.counter++}`
    const current = this.peers[p]!.mirror.read(id) as JsonObject | undefined
    const before = current?.[field]
    if (typeof before === 'string') this.replaced.add(before)
    const next: JsonObject = current ? { ...current, [field]: value } : { key: id, [field]: value }
    this.peers[p]!.write(id, next, ORIGIN)
    const key = `${id}/${field}`
    if (!this.written.has(key)) this.written.set(key, new Set())
    this.written.get(key)!.add(value)
    this.flushAll()
    return value
  }

  /** Peer p creates a record no other peer creates (two creating the same one is another matter). */
  create(p: number, field: Field): string {
    return this.write(p, `p${p}n${this.created++}`, field)
  }

  /** The `pick`-th record peer p holds: a peer writes only records it holds, so that it never creates one twice. */
  held(p: number, pick: number): string {
    const ids = Array.from(this.peers[p]!.mirror.ids()).sort()
    return ids[pick % ids.length]!
  }

  compact(...ps: number[]): void {
    // Both compact before either hears of the other: "two at once".
    for (const p of ps) {
      this.peers[p]!.compact()
      this.compactions++
    }
    this.flushAll()
  }

  /** The non-empty directed queues: frames waiting for peer `to` on its link object `link`. */
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
   * Asserts that every field ever written holds one of the values written to it, and not one that a
   * writer saw and overwrote: an overwritten value coming back means the overwriting write was lost.
   */
  assertNoLostWrite(): void {
    const contents = snapshot(this.peers[0]!)
    for (const [key, values] of this.written) {
      const [id, field] = key.split('/') as [string, Field]
      const record = contents[id] as JsonObject | undefined
      assert.ok(record, `record ${id} was written but is gone`)
      const final = record[field]
      assert.ok(typeof final === 'string' && values.has(final), `${key} is ${JSON.stringify(final)}, never written`)
      assert.ok(!this.replaced.has(final), `${key} is ${final}, a value that a later write replaced: a lost write`)
    }
  }

  /** Record `r${rec}` as peer p holds it. */
  read(p: number, rec: number): JsonObject {
    return { ...(this.peers[p]!.mirror.read(`r${rec}`) as JsonObject) }
  }

  destroy(): void {
    for (const p of this.peers) p.destroy()
  }
}

/** A copy's contents with fields sorted (a compaction rewrites objects in sorted order). */
function snapshot(r: Replica): Record<string, JsonValue> {
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

// --- the random schedule ------------------------------------------------------------------------

type Op =
  | { t: 'write'; peer: number; rec: number; field: Field }
  | { t: 'create'; peer: number; field: Field }
  | { t: 'deliver'; picks: number[] }
  | { t: 'link'; pair: number }
  | { t: 'offline'; peer: number }
  | { t: 'compact'; peer: number; also: number | null }
  | { t: 'tick' }

interface Schedule {
  n: number
  seed: number
  ops: Op[]
}

// Peer and pair numbers are taken modulo the number of peers and pairs.
const peerArb = fc.nat(3)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('write' as const),
      peer: peerArb,
      // An index into the records the peer holds (r0..r2 and the ones created so far that reached it).
      rec: fc.nat(7),
      field: fc.constantFrom(...FIELDS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('create' as const), peer: peerArb, field: fc.constantFrom(...FIELDS) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('deliver' as const),
      picks: fc.array(fc.nat(11), { minLength: 1, maxLength: 10 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('link' as const), pair: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('offline' as const), peer: peerArb }) },
  {
    weight: 2,
    // `also`: a second peer compacts in the same step, before any frame moves ("two at once").
    arbitrary: fc.record({ t: fc.constant('compact' as const), peer: peerArb, also: fc.option(peerArb) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'tick' as const }) },
)

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  n: fc.constantFrom(3, 3, 4),
  seed: fc.integer(),
  // size 'max': fast-check's default keeps arrays near 10 ops, too short for compactions to meet partitions.
  ops: fc.array(opArb, { maxLength: 60, size: 'max' }),
})

/** Runs `fn` on a fresh network whose randomness (epoch salts, Yjs client ids) comes from `seed`. */
function onNet<T>(n: number, seed: number, precreate: boolean, fn: (net: Net) => T): T {
  const random = mulberry32(seed)
  return withRandom(random, () => {
    const net = new Net(n, random, precreate)
    try {
      return fn(net)
    } finally {
      net.destroy()
    }
  })
}

/** Plays a schedule, then brings every peer and link up and lets the network settle. */
function play(net: Net, ops: readonly Op[]): void {
  const n = net.n
  for (const op of ops) {
    switch (op.t) {
      case 'write':
        net.write(op.peer % n, net.held(op.peer % n, op.rec), op.field)
        break
      case 'create':
        net.create(op.peer % n, op.field)
        break
      case 'deliver':
        for (const pick of op.picks) net.deliverOne(pick)
        break
      case 'link': {
        const [a, b] = net.pairs[op.pair % net.pairs.length]!
        net.toggleLink(a, b)
        break
      }
      case 'offline':
        net.setOffline(op.peer % n, !net.offline[op.peer % n])
        break
      case 'compact': {
        const ps = [op.peer % n]
        if (op.also !== null && op.also % n !== op.peer % n) ps.push(op.also % n)
        net.compact(...ps)
        break
      }
      case 'tick':
        net.tick(600)
        break
    }
  }
  net.healAll()
  net.settle()
}

/** Runs a scenario under several seeds: epoch salts and client ids decide which epoch and which concurrent write win. */
function forSeeds(n: number, scenario: (net: Net) => void, seeds = 12): void {
  for (let seed = 1; seed <= seeds; seed++) {
    try {
      onNet(n, seed, true, scenario)
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err })
    }
  }
}

const RUNS = { seed: 42, numRuns: 150 }

describe('epochs: random edits, partitions, offline periods and compactions', () => {
  test('all peers converge: same records, same epoch, every link synced, no frame refused, no link dropped', () => {
    let runs = 0
    let compacted = 0
    fc.assert(
      fc.property(scheduleArb, ({ n, seed, ops }) => {
        runs++
        onNet(n, seed, true, (net) => {
          play(net, ops)
          net.assertConverged()
          if (net.compactions > 0) compacted++
        })
      }),
      RUNS,
    )
    // The property says little about epochs unless compactions happened in most runs.
    assert.ok(compacted > runs / 2, `only ${compacted} of ${runs} runs compacted`)
  })

  // Fails today; see the known failures below for the minimal schedules. The time limit only bounds shrinking
  // while it fails (150 passing runs take a few seconds).
  test(
    'no write is lost unless a later write to the same field replaced it',
    {
      todo:
        'known failure (core): a missed write can be replayed over a later write that replaced it (out of causal ' +
        'order, or a second time after a later move); see the minimal schedules under "known failures" below',
    },
    () => {
      fc.assert(
        fc.property(scheduleArb, ({ n, seed, ops }) => {
          onNet(n, seed, true, (net) => {
            play(net, ops)
            net.assertConverged()
            net.assertNoLostWrite()
          })
        }),
        { ...RUNS, interruptAfterTimeLimit: 15_000 },
      )
    },
  )
})

describe('epochs: scenarios', () => {
  test('a peer offline across two compactions by others keeps its edits, losing only to later writes', () => {
    forSeeds(3, (net) => {
      net.setOffline(2, true)
      const onlyOffline = net.write(2, 0, 'a')
      const sameField = net.write(2, 0, 'b')
      net.write(2, 1, 'a')
      const ownSecond = net.write(2, 1, 'a')
      net.write(0, 0, 'b')
      net.write(0, 0, 'c')
      net.settle()
      net.compact(0)
      net.settle()
      const later = net.write(1, 0, 'c')
      net.settle()
      net.compact(1)
      net.settle()
      assert.equal(Math.floor(net.peers[0]!.epoch / 2 ** 20), 2, 'two generations behind the offline peer')

      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      const r0 = net.read(0, 0)
      assert.equal(r0.a, onlyOffline)
      // docs/compaction.md: a replayed write is the later writer against what the new epoch already holds.
      assert.equal(r0.b, sameField)
      assert.equal(r0.c, later)
      assert.equal(net.read(0, 1).a, ownSecond)

      const afterReturn = net.write(0, 0, 'b')
      net.settle()
      net.assertConverged()
      assert.equal(net.read(2, 0).b, afterReturn)
    })
  })

  test('two peers compacting at once, then meeting: the larger epoch wins and both keep their edits', () => {
    forSeeds(3, (net) => {
      // Written and compacted before any frame moves: neither compaction holds the other's write.
      const a0 = net.write(0, 0, 'a')
      const b1 = net.write(1, 0, 'b')
      const c0 = net.write(0, 1, 'c')
      const c1 = net.write(1, 1, 'c')
      net.compact(0, 1)
      const [e0, e1] = [net.peers[0]!.epoch, net.peers[1]!.epoch]
      assert.notEqual(e0, e1)
      // Edits on both branches; one of them will lose.
      const a0after = net.write(0, 2, 'a')
      const b1after = net.write(1, 2, 'b')
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.equal(net.peers[2]!.epoch, Math.max(e0, e1))
      assert.deepEqual(net.read(2, 0), { key: 'r0', a: a0, b: b1 })
      assert.ok([c0, c1].includes(net.read(2, 1).c as string))
      assert.deepEqual(net.read(2, 2), { key: 'r2', a: a0after, b: b1after })
    })
  })

  test('a partition where each side compacts and edits, then heals', () => {
    forSeeds(3, (net) => {
      net.setLink(0, 2, false)
      net.setLink(1, 2, false)
      const a0 = net.write(0, 0, 'a')
      const b2 = net.write(2, 0, 'b')
      const c1 = net.write(1, 1, 'c')
      const c2 = net.write(2, 1, 'c')
      net.settle()
      net.compact(0)
      net.settle()
      net.compact(2)
      net.settle()
      const a1 = net.write(1, 2, 'a')
      const b2after = net.write(2, 2, 'b')
      const c0 = net.write(0, 2, 'c')
      const c2after = net.write(2, 2, 'c')
      net.settle()
      net.healAll()
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.equal(net.read(1, 0).a, a0)
      assert.equal(net.read(1, 0).b, b2)
      assert.ok([c1, c2].includes(net.read(1, 1).c as string))
      assert.equal(net.read(1, 2).a, a1)
      assert.equal(net.read(1, 2).b, b2after)
      assert.ok([c0, c2after].includes(net.read(1, 2).c as string))
    })
  })

  test(
    'a partition where one side overwrites its own earlier write, each side compacts, then heals: the overwrite stays',
    {},
    () => {
      forSeeds(3, (net) => {
        net.setLink(0, 2, false)
        net.setLink(1, 2, false)
        net.write(0, 0, 'a')
        net.settle()
        const overwrite = net.write(1, 0, 'a')
        net.write(2, 0, 'b')
        net.settle()
        net.compact(0)
        net.compact(2)
        net.settle()
        net.healAll()
        net.settle()
        net.assertConverged()
        net.assertNoLostWrite()
        assert.equal(net.read(2, 0).a, overwrite)
      })
    },
  )
})

// Each of these is the smallest schedule found (by fast-check's shrinking or by hand) for one defect.
describe('epochs: known failures (minimal schedules)', () => {
  test('a missed write and its overwrite: a copy that saw its write overwritten does not replay it', {}, () => {
    // Shrunk by fast-check (seed 3, 1500 runs): peer 2 writes r0.b; only peer 0 receives it; peer 1 compacts without it;
    // peer 0 overwrites it (and peer 2 receives that in epoch 0); on healing, peers 0 and 2 both adopt peer 1's
    // epoch; peer 2 used to replay 2:0 although it held 0:1, and 2:0 won under this seed.
    onNet(3, 0, true, (net) => {
      play(net, [
        { t: 'write', peer: 2, rec: 0, field: 'b' },
        { t: 'deliver', picks: [0] },
        { t: 'compact', peer: 1, also: null },
        { t: 'write', peer: 0, rec: 0, field: 'b' },
      ])
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test(
    'a missed write replayed after its overwrite was replayed: the old value wins every time',
    {
      todo:
        'known failure (core): peer 0 replays 0:1 (which replaced 2:0) into epoch E1; peer 2, offline meanwhile, ' +
        'adopts E1 with 0:1 in it and replays 2:0 on top, as a newer write; the journal does not know that 0:1 ' +
        'was written after 2:0',
    },
    () => {
      forSeeds(3, (net) => {
        net.setLink(0, 1, false)
        net.setLink(1, 2, false)
        net.write(2, 0, 'b')
        net.settle()
        net.compact(1)
        net.setOffline(2, true)
        net.write(0, 0, 'b')
        net.setLink(0, 1, true)
        net.settle()
        net.healAll()
        net.settle()
        net.assertConverged()
        net.assertNoLostWrite()
      })
    },
  )

  test('after eight compactions, an old record creation is not replayed over a field written since', {}, () => {
    forSeeds(2, (net) => {
      for (let i = 0; i < 8; i++) {
        net.compact(0)
        net.settle()
      }
      // Peer 1 writes and compacts while cut off: peer 0 must then adopt generation 9 from a base.
      net.setLink(0, 1, false)
      net.write(1, 0, 'a')
      net.compact(1)
      net.setLink(0, 1, true)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('a write replayed into one epoch is not replayed again on the next move', {}, () => {
    // Shrunk by fast-check from the property above, against the core with the first fixes in.
    onNet(3, 0, true, (net) => {
      play(net, [
        { t: 'compact', peer: 0, also: null },
        { t: 'write', peer: 1, rec: 0, field: 'a' },
        { t: 'deliver', picks: [0, 0, 0] },
        { t: 'deliver', picks: [0, 0] },
        { t: 'deliver', picks: [0, 0, 1] },
        { t: 'compact', peer: 0, also: 1 },
        { t: 'write', peer: 0, rec: 0, field: 'a' },
      ])
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('a record created offline and edited again offline survives compactions it missed', {}, () => {
    forSeeds(3, (net) => {
      net.setOffline(2, true)
      const created = net.write(2, 'fresh', 'a')
      const edited = net.write(2, 'fresh', 'b')
      net.compact(0)
      net.settle()
      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.deepEqual(net.peers[0]!.mirror.read('fresh'), { key: 'fresh', a: created, b: edited })
    })
  })

  test(
    'a partition in which both sides compact nine times: the losing side forgets writes older than its journal',
    {
      todo:
        'known failure (core, the documented 8-generation journal bound): peer 0 drops its generation-0 entry ' +
        "when it reaches generation 9, so when peer 1's branch wins, peer 0's r0.a is gone (fails for some seeds)",
    },
    () => {
      forSeeds(2, (net) => {
        net.setLink(0, 1, false)
        net.write(0, 0, 'a')
        for (let i = 0; i < 9; i++) net.compact(0, 1)
        net.healAll()
        net.settle()
        net.assertConverged()
        net.assertNoLostWrite()
      })
    },
  )

  test('compacting an empty document: a peer that needs that epoch gets its base and accepts it', {}, () => {
    onNet(3, 1, true, (net) => {
      net.setOffline(2, true)
      for (let rec = 0; rec < RECORDS; rec++) net.peers[0]!.remove(`r${rec}`, ORIGIN)
      net.flushAll()
      net.settle()
      net.compact(0)
      net.settle()
      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
    })
  })

  test(
    'two peers creating the same record at once (no compaction at all): the fields of both creators survive',
    {},
    () => {
      onNet(3, 0, false, (net) => {
        play(net, [
          { t: 'write', peer: 1, rec: 0, field: 'c' },
          { t: 'write', peer: 0, rec: 0, field: 'a' },
        ])
        net.assertConverged()
        net.assertNoLostWrite()
      })
    },
  )
})
