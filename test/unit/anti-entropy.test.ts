// Anti-entropy (docs/anti-entropy.md): the digest frames (types 20-23) come from other machines, so
// malformed ones are typed errors and change nothing; two replicas over in-memory links with a
// manual clock show both proofs (a clock ahead of its owner's claim, equal state with other
// records), the heal from the trusted peer, own writes kept, and the forging link dropped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as Y from 'yjs'
import { decodeFrame } from '../../core/src/net/frames.js'
import {
  encodeDigest,
  encodeDigestRecords,
  encodeDigestWant,
  encodeHealState,
  encodeHealWant,
  MAX_CLAIMS,
} from '../../core/src/net/digest-frames.js'
import { BucketIndex, bucketCountFor, bucketHashes, differingRecords, MAX_BUCKETS } from '../../core/src/net/record-digest.js'
import { antiEntropyHost, healReplica } from '../../core/src/net/replica-heal.js'
import { InvalidMessageError } from '../../core/src/errors.js'
import { Replica, type ReplicaLink } from '../../core/src/net/replica.js'
import type { ReplicaClock } from '../../core/src/net/replica-link.js'
import type { Divergence } from '../../core/src/net/anti-entropy-types.js'
import { keepForHeal, keepOwn } from '../../core/src/net/divergence-heal.js'
import { encodeStateVector } from '../../core/src/state-vector.js'

test('the digest frames round-trip', () => {
  const digest = {
    epoch: 5 * 2 ** 20 + 3,
    answer: true,
    rank: 2 as const,
    stateVector: Uint8Array.of(1, 7, 3),
    fingerprint: 0xdeadbeef,
    records: 12,
    claims: [{ client: 2 ** 32 - 1, clock: 40 }],
    buckets: Uint32Array.of(1, 0xffffffff),
  }
  const d = decodeFrame(encodeDigest(digest))
  assert.equal(d.kind, 'digest')
  if (d.kind === 'digest') {
    assert.deepEqual({ ...d, stateVector: Array.from(d.stateVector), buckets: Array.from(d.buckets) }, {
      ...digest,
      kind: 'digest',
      stateVector: [1, 7, 3],
      buckets: [1, 0xffffffff],
    })
  }
  assert.deepEqual(decodeFrame(encodeDigestWant(9, 8, [5, 1, 5])), { kind: 'digest-want', epoch: 9, bucketCount: 8, buckets: [1, 5] })
  assert.deepEqual(decodeFrame(encodeDigestRecords(0, 4, 77, [['lot-é', 0xabcdef01]])), {
    kind: 'digest-records',
    epoch: 0,
    bucketCount: 4,
    fingerprint: 77,
    records: [['lot-é', 0xabcdef01]],
  })
  assert.deepEqual(decodeFrame(encodeHealWant(3)), { kind: 'heal-want', epoch: 3 })
  const h = decodeFrame(encodeHealState(3, Uint8Array.of(0, 0)))
  assert.equal(h.kind, 'heal-state')
  if (h.kind === 'heal-state') assert.deepEqual(Array.from(h.state), [0, 0])
})

test('malformed digest frames are typed errors', () => {
  const claims = [20, 0, 0, 0, 0, 0, 0, 0, 0, 0x41]
  for (let i = 0; i < MAX_CLAIMS + 1; i++) claims.push(1, 1)
  const bad: Array<[string, number[]]> = [
    ['a digest cut short', [20, 0, 0]],
    ['a digest with unknown flags', [20, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]],
    ['a digest with rank 3', [20, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]],
    ['a digest with 3 buckets', [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, ...new Array(12).fill(0)]],
    ['a digest with 8192 buckets', [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x40]],
    ['a digest with fewer bucket bytes than declared', [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]],
    ['a digest with too many claims', claims],
    ['a digest with trailing bytes', [20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9]],
    ['a want for more buckets than there are', [21, 0, 2, 3, 0, 1, 1]],
    ['a want for a bucket out of range', [21, 0, 2, 1, 2]],
    ['a want whose buckets are not ascending', [21, 0, 4, 2, 2, 1]],
    ['records counting more than the bytes', [22, 0, 1, 0, 0, 0, 0, 50]],
    ['a record id that is not UTF-8', [22, 0, 1, 0, 0, 0, 0, 1, 1, 0xff, 0, 0, 0, 0]],
    ['an unknown heal kind', [23, 0, 7]],
    ['a heal state longer than the frame', [23, 0, 1, 50, 1]],
  ]
  for (const [what, bytes] of bad) assert.throws(() => decodeFrame(Uint8Array.from(bytes)), InvalidMessageError, what)
})

test('random bytes after types 20-23 decode or throw InvalidMessageError, nothing else', () => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 23 }), fc.uint8Array({ maxLength: 60 }), (type, rest) => {
      try {
        decodeFrame(Uint8Array.from([type, ...rest]))
      } catch (err) {
        assert.ok(err instanceof InvalidMessageError, String(err))
      }
    }),
    { numRuns: 3000 },
  )
})

test('bucket hashes do not depend on order; record lists name what differs', () => {
  const records: Array<[string, number]> = Array.from({ length: 100 }, (_, i) => [`r${i}`, i * 7919])
  const b = bucketCountFor(records.length)
  assert.equal(b, 2)
  assert.deepEqual(bucketHashes(records, b), bucketHashes([...records].reverse(), b))
  assert.equal(bucketCountFor(10 ** 7), MAX_BUCKETS)
  assert.deepEqual(differingRecords([['a', 1], ['b', 2]], [['b', 3], ['c', 4]]), ['a', 'b', 'c'])
})

// --- replicas over in-memory links, with a clock the test moves ----------------------------------

class ManualClock implements ReplicaClock {
  private t = 0
  private timers: Array<{ at: number; fn: () => void; done: boolean }> = []
  now(): number {
    return this.t
  }
  later(fn: () => void, ms: number): { cancel(): void } {
    const e = { at: this.t + ms, fn, done: false }
    this.timers.push(e)
    return { cancel: () => (e.done = true) }
  }
  /** Runs the timers due within `ms`, in order. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = this.timers.filter((e) => !e.done && e.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.t = next.at
      next.done = true
      next.fn()
    }
    this.t = end
    this.timers = this.timers.filter((e) => !e.done)
  }
}

const DIGEST_MS = 1000

function room() {
  const clock = new ManualClock()
  const make = (rank: 0 | 1 | 2) =>
    new Replica({ compacts: false, clock, antiEntropy: { rank, digestMs: DIGEST_MS, random: () => 0.5 } })
  const producer = make(2)
  const consumer = make(0)
  const toC: Uint8Array[] = []
  const toP: Uint8Array[] = []
  const dropped: string[] = []
  const link = (id: string, queue: Uint8Array[], followsEpochs = true): ReplicaLink => ({
    id,
    followsEpochs,
    send: (f) => queue.push(f),
    drop: (reason) => dropped.push(`${id}: ${reason}`),
  })
  const sentByConsumer: Uint8Array[] = []
  const pToC = link('consumer', toC)
  const cToP: ReplicaLink = { ...link('producer', toP), send: (f) => (toP.push(f), sentByConsumer.push(f)) }
  // the forger's link into the consumer: a y-webrtc peer; what the consumer sends it is thrown away
  const forgerLink = link('forger', [], false)
  /** Rewrites or drops frames on their way to the consumer (null: deliver as is). */
  let intercept: ((f: Uint8Array) => Uint8Array | null) | null = null
  const errors: unknown[] = []
  const pump = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 0))
      if (toC.length === 0 && toP.length === 0) return
      for (const f of toC.splice(0)) {
        try {
          consumer.receive(cToP, decodeFrame(intercept?.(f) ?? f))
        } catch (err) {
          errors.push(err)
        }
      }
      for (const f of toP.splice(0)) producer.receive(pToC, decodeFrame(f))
    }
  }
  const settle = async (rounds = 4): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      clock.advance(DIGEST_MS * 1.25)
      await pump()
    }
  }
  const setIntercept = (fn: typeof intercept): void => {
    intercept = fn
  }
  const events: Array<Divergence | { healed: string; records: string[] }> = []
  consumer.antiEntropy!.on('diverged', (d) => events.push(d))
  consumer.antiEntropy!.on('healed', (peer, records) => events.push({ healed: peer, records }))
  return { producer, consumer, pToC, cToP, forgerLink, pump, settle, dropped, events, errors, setIntercept, sentByConsumer }
}

async function started() {
  const r = room()
  for (let i = 0; i < 20; i++) r.producer.write(`lot-${i}`, { key: `lot-${i}`, price: i }, 'test')
  r.producer.open(r.pToC)
  r.consumer.open(r.cToP)
  r.consumer.open(r.forgerLink)
  await r.pump()
  assert.equal(r.consumer.mirror.size, 20)
  return r
}

/** An update written as Yjs client `client` on a copy of `from`'s document. */
function forged(from: Replica, client: number, write: (root: Y.Map<unknown>) => void): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, from.mirror.diff())
  const sv = Y.encodeStateVector(doc)
  doc.clientID = client
  doc.transact(() => write(doc.getMap('diffstream')))
  return Y.encodeStateAsUpdate(doc, sv)
}

const price = (r: Replica, id: string) => (r.mirror.read(id) as { price: number }).price

test('a clock ahead of its owner: the owner refuses it, the copy proves it, heals and drops the forger', async () => {
  const r = await started()
  const P = r.producer.mirror.doc.clientID
  const update = forged(r.consumer, P, (root) => (root.get('lot-3') as Y.Map<unknown>).set('price', 666))
  r.consumer.receive(r.forgerLink, { kind: 'update', update })
  assert.equal(price(r.consumer, 'lot-3'), 666)
  await r.pump()
  // the producer refused what the consumer relayed (it never wrote those structs) ...
  assert.equal(price(r.producer, 'lot-3'), 3)
  // ... and its digest made the consumer ask, prove, heal
  await r.settle(1)
  const diverged = r.events.find((e): e is Divergence => 'reason' in e)
  assert.deepEqual(diverged, {
    peerId: 'producer',
    reason: 'forged-clock',
    records: ['lot-3'],
    clients: [P],
    healing: true,
  })
  assert.deepEqual(r.events.at(-1), { healed: 'producer', records: ['lot-3'] })
  assert.equal(price(r.consumer, 'lot-3'), 3)
  assert.deepEqual(r.dropped.map((d) => d.split(':')[0]), ['forger'])
  // the producer's next write of that record arrives
  r.producer.patch('lot-3', { price: 4 }, 'test')
  await r.pump()
  assert.equal(price(r.consumer, 'lot-3'), 4)
  assert.deepEqual(r.consumer.mirror.entries(), r.producer.mirror.entries())
})

test('equal state vectors, other content: the consumer names the record and heals from the producer', async () => {
  const r = await started()
  const P = r.producer.mirror.doc.clientID
  const update = forged(r.consumer, P, (root) => (root.get('lot-5') as Y.Map<unknown>).set('price', 666))
  r.consumer.receive(r.forgerLink, { kind: 'update', update })
  // the producer writes the same clock with its own content before the relayed forgery reaches it
  r.producer.patch('lot-5', { price: 50 }, 'test')
  await r.pump()
  assert.equal(price(r.consumer, 'lot-5'), 666, 'the consumer took the producer\'s write for one it held')
  assert.deepEqual(
    Y.decodeStateVector(r.consumer.mirror.encodeStateVector()),
    Y.decodeStateVector(r.producer.mirror.encodeStateVector()),
  )
  await r.settle(2)
  assert.deepEqual(
    r.events.find((e) => 'reason' in e),
    { peerId: 'producer', reason: 'content', records: ['lot-5'], clients: [], healing: true },
  )
  assert.equal(price(r.consumer, 'lot-5'), 50)
  assert.deepEqual(r.consumer.mirror.entries(), r.producer.mirror.entries())
  // the heal showed which item was forged, and so which link brought it
  assert.deepEqual(r.dropped.map((d) => d.split(':')[0]), ['forger'])
  // the bucket sums kept per change (through writes, the forgery and the heal) equal a full recount
  r.producer.remove('lot-0', 'test')
  r.producer.write('lot-99', { key: 'lot-99', price: 99 }, 'test')
  await r.pump()
  await r.settle(2)
  const last = r.sentByConsumer.map((f) => decodeFrame(f)).filter((f) => f.kind === 'digest').at(-1)
  assert.ok(last?.kind === 'digest')
  const host = antiEntropyHost(r.consumer, new ManualClock(), () => true)
  assert.deepEqual(Array.from(last.buckets), Array.from(bucketHashes(host.records(), last.buckets.length)))
  assert.equal(last.records, 20)
})

test('bucket sums kept record by record equal a full recount, whatever the order of changes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.option(fc.integer(), { nil: undefined })), { maxLength: 400 }),
      fc.constantFrom(1, 2, 64, 4096),
      (ops, buckets) => {
        const index = new BucketIndex()
        const now = new Map<string, number>()
        for (const [k, checksum] of ops) {
          index.set(`r${k}`, checksum)
          if (checksum === undefined) now.delete(`r${k}`)
          else now.set(`r${k}`, checksum)
        }
        assert.deepEqual(index.bucketHashes(buckets), bucketHashes(now, buckets))
        assert.equal(index.size, now.size)
      },
    ),
    { numRuns: 300 },
  )
})

test('a healing writer keeps its own writes the source lacks; a heal state nobody asked for changes nothing', async () => {
  const clock = new ManualClock()
  const a = new Replica({ compacts: false, clock, antiEntropy: { rank: 2, digestMs: DIGEST_MS } })
  const b = new Replica({ compacts: false, clock, antiEntropy: { rank: 1, digestMs: DIGEST_MS } })
  const bToA: ReplicaLink = { id: 'a', followsEpochs: true, send: () => undefined, drop: () => undefined }
  a.write('x', { key: 'x', v: 1 }, 'test')
  b.write('mine', { key: 'mine', v: 'offline' }, 'test')
  b.open(bToA)
  const before = JSON.stringify(b.mirror.entries())
  // a state nobody asked for: ignored
  b.receive(bToA, decodeFrame(encodeHealState(0, a.mirror.diff())))
  assert.equal(JSON.stringify(b.mirror.entries()), before)
  // a heal keeps what the copy wrote itself (anti-entropy.ts passes its own client ids to keepOwn)
  const own = new Set([b.mirror.doc.clientID])
  const changed = healReplica(b, a.mirror.diff(), (held) => keepOwn(held, own))
  assert.deepEqual(changed.sort(), ['x'])
  assert.deepEqual(b.mirror.read('mine'), { key: 'mine', v: 'offline' }, 'its own write was carried')
  assert.deepEqual(b.mirror.read('x'), { key: 'x', v: 1 })
  // a record found wrong keeps only the copy's own values; every other record is carried whole
  const c = new Replica({ compacts: false, clock })
  healReplica(c, b.mirror.diff(), (held) => held)
  assert.deepEqual(healReplica(c, a.mirror.diff(), (held) => keepForHeal(held, new Set([12345]), new Set())), [])
  assert.deepEqual(c.mirror.read('mine'), { key: 'mine', v: 'offline' }, 'nothing showed it wrong: carried')
  const changedAgain = healReplica(c, a.mirror.diff(), (held) => keepForHeal(held, new Set([12345]), new Set(['mine'])))
  assert.deepEqual(changedAgain, ['mine'])
  assert.equal(c.mirror.read('mine'), undefined, 'found wrong, written by another: not carried')
  a.destroy()
  b.destroy()
  c.destroy()
})

test('a heal state that is not a whole state is refused with a typed error and changes nothing', async () => {
  const r = await started()
  const P = r.producer.mirror.doc.clientID
  r.setIntercept((f) => {
    const frame = decodeFrame(f)
    if (frame.kind !== 'heal-state') return null
    // the producer's state without its first struct: it depends on what it does not carry
    const doc = new Y.Doc()
    Y.applyUpdate(doc, frame.state)
    return encodeHealState(frame.epoch, Y.encodeStateAsUpdate(doc, encodeStateVector(new Map([[P, 1]]))))
  })
  const update = forged(r.consumer, P, (root) => (root.get('lot-1') as Y.Map<unknown>).set('price', 666))
  r.consumer.receive(r.forgerLink, { kind: 'update', update })
  const before = JSON.stringify(r.consumer.mirror.entries())
  await r.pump()
  await r.settle(1)
  assert.ok(r.errors.some((e) => e instanceof InvalidMessageError), String(r.errors))
  assert.equal(JSON.stringify(r.consumer.mirror.entries()), before)
  assert.equal(r.events.filter((e) => 'healed' in e).length, 0)
})
