// Property-based tests: random records and edit sequences, unreliable delivery, several writers.
// Writers compact eagerly (EAGER) and the sequences are long (fast-check's size 'max'), so that
// compactions happen in most runs; each test counts them and asserts that they did.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  CacheKeyError,
  CacheKeyWarning,
  DataMsg,
  DiffCache,
  PatchMismatchError,
  StaleEpochError,
  type JsonObject,
  type JsonValue,
} from '@diffstream/core'

const SEED = 20261127
const fields = fc.constantFrom('a', 'b', 'c', 'd', 'e')
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, '', 'x'),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fields, tie('v'), { maxKeys: 4 }),
  ),
})).v
const recordFor = (key: string | number) => fc.dictionary(fields, value, { maxKeys: 5 }).map((r): JsonObject => ({ ...r, key }))
const keys = fc.constantFrom<string | number>('k1', 'k2', 3)

type Op = { kind: 'put'; record: JsonObject } | { kind: 'del'; key: string | number }
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: keys.chain(recordFor).map((record): Op => ({ kind: 'put', record })) },
  { weight: 1, arbitrary: keys.map((key): Op => ({ kind: 'del', key })) },
)

/** Applies ops to a writer, skipping deletes of absent keys; returns the messages. */
function run(writer: DiffCache, ops: Op[]): DataMsg[] {
  const out: DataMsg[] = []
  for (const o of ops) {
    if (o.kind === 'put') out.push(writer.update(o.record))
    else if (writer.has(o.key)) out.push(writer.delete(o.key))
  }
  return out
}

function contents(cache: DiffCache): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of cache.keys()) out[String(k)] = cache.get(k)
  return out
}

/** Delivery errors that a gap or a duplicate may cause; anything else is a failure. */
function deliver(consumer: DiffCache, msg: DataMsg | Uint8Array): void {
  try {
    consumer.update(msg)
  } catch (err) {
    if (
      err instanceof PatchMismatchError ||
      err instanceof CacheKeyError ||
      err instanceof CacheKeyWarning ||
      err instanceof StaleEpochError
    )
      return
    throw err
  }
}

const runs = { seed: SEED, numRuns: 150 }
/** Compaction as eager as it goes, so that it happens within a few dozen writes. */
const EAGER = { compaction: { ratio: 1.2, minBytes: 256 } }
const LONG = { minLength: 1, maxLength: 120, size: 'max' } as const

/** Runs that compacted, out of all runs: the property says little about epochs unless most did. */
class Compactions {
  runs = 0
  compacted = 0
  note(...caches: DiffCache[]): void {
    this.runs++
    if (caches.some((c) => c.compactions > 0)) this.compacted++
  }
  assertMost(): void {
    assert.ok(this.compacted > this.runs / 2, `only ${this.compacted} of ${this.runs} runs compacted`)
  }
}

/** Brings a consumer that missed a compaction into the producer's epoch the documented way. */
function retranIfBehind(producer: DiffCache, consumer: DiffCache): void {
  // Any key does: one the producer no longer holds still brings the whole epoch.
  if (consumer.epoch !== producer.epoch) deliver(consumer, producer.retran(producer.keys()[0] ?? 'any', consumer.stateVector()))
}

describe('property-based', () => {
  test('in-order delivery: the consumer equals the producer after every message, across compactions', () => {
    const seen = new Compactions()
    fc.assert(
      fc.property(fc.array(op, LONG), (ops) => {
        const producer = DiffCache.producer(EAGER)
        const consumer = DiffCache.consumer()
        for (const o of ops) {
          const [msg] = run(producer, [o])
          if (!msg) continue
          const [cmd, key, data] = consumer.update(msg.encode())
          assert.equal(cmd, msg.cmd)
          assert.deepEqual(data, cmd === 'del' ? null : producer.get(key))
          assert.deepEqual(contents(consumer), contents(producer))
        }
        assert.equal(consumer.epoch, producer.epoch)
        seen.note(producer)
      }),
      runs,
    )
    seen.assertMost()
  })

  test('late, duplicated and reordered delivery converges once all have arrived (and a retran where an epoch was missed)', () => {
    const seen = new Compactions()
    fc.assert(
      fc.property(
        fc.array(op, LONG),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200, size: 'max' }),
        (ops, order) => {
          const producer = DiffCache.producer(EAGER)
          const consumer = DiffCache.consumer()
          const msgs = run(producer, ops).map((m) => m.encode())
          if (msgs.length === 0) return
          // a random schedule with duplicates, then every message once more in a shuffled order
          const schedule = order.map((i) => msgs[i % msgs.length]!)
          const rest = msgs.map((m, i) => [order[i % order.length]! * 7919 + i, m] as const).sort((a, b) => a[0] - b[0])
          for (const m of schedule) deliver(consumer, m)
          for (const [, m] of rest) deliver(consumer, m)
          retranIfBehind(producer, consumer)
          assert.deepEqual(contents(consumer), contents(producer))
          seen.note(producer)
        },
      ),
      runs,
    )
    seen.assertMost()
  })

  test('a consumer that missed messages catches up with one retran', () => {
    const seen = new Compactions()
    fc.assert(
      fc.property(fc.array(op, LONG), fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }), (ops, lost) => {
        const producer = DiffCache.producer(EAGER)
        const consumer = DiffCache.consumer()
        run(producer, ops).forEach((m, i) => {
          if (!lost[i]) deliver(consumer, m)
        })
        const key = producer.keys()[0]
        fc.pre(key !== undefined)
        const [cmd] = consumer.update(producer.retran(key!, consumer.stateVector()).encode())
        assert.equal(cmd, 'ret')
        assert.deepEqual(contents(consumer), contents(producer))
        assert.deepEqual(consumer.stateVector(), producer.stateVector())
        seen.note(producer)
      }),
      runs,
    )
    seen.assertMost()
  })

  test('two peers writing the same keys converge, across compactions on both sides', () => {
    const seen = new Compactions()
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), op, fc.nat(3)), LONG),
        (steps) => {
          const a = DiffCache.peer(EAGER)
          const b = DiffCache.peer(EAGER)
          const toB: DataMsg[] = []
          const toA: DataMsg[] = []
          a.on('repair', (m) => toB.push(m))
          b.on('repair', (m) => toA.push(m))
          for (const [onA, o, sync] of steps) {
            const [writer, outbox] = onA ? [a, toB] : [b, toA]
            outbox.push(...run(writer, [o]))
            if (sync === 0) {
              // deliver a random-ish part: everything queued so far, newest first
              for (const m of toB.splice(0).reverse()) deliver(b, m)
              for (const m of toA.splice(0).reverse()) deliver(a, m)
            }
          }
          // Until quiet: what is delivered, and retrans to whichever is behind, can cause repairs.
          for (let round = 0; round < 10 && (toA.length > 0 || toB.length > 0 || a.epoch !== b.epoch); round++) {
            for (const m of toB.splice(0)) deliver(b, m)
            for (const m of toA.splice(0)) deliver(a, m)
            if (a.epoch > b.epoch) retranIfBehind(a, b)
            else if (b.epoch > a.epoch) retranIfBehind(b, a)
          }
          assert.deepEqual(contents(a), contents(b))
          assert.deepEqual(new Set(a.keys().map(String)), new Set(b.keys().map(String)))
          seen.note(a, b)
        },
      ),
      runs,
    )
    seen.assertMost()
  })

  test('records survive the round trip through the mirror unchanged', () => {
    fc.assert(
      fc.property(recordFor('k'), recordFor('k'), (first, second) => {
        const producer = DiffCache.producer()
        const consumer = DiffCache.consumer()
        consumer.update(producer.update(first))
        assert.deepEqual(consumer.get('k'), JSON.parse(JSON.stringify(first)))
        consumer.update(producer.update(second))
        assert.deepEqual(consumer.get('k'), JSON.parse(JSON.stringify(second)))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })
})
