// Hostile bytes: truncated, random, mutated and oversized input never hangs, never throws anything
// but a DiffStreamError, and never changes the cache when it is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { DataMsg, DiffCache, DiffStreamError, DivergedError, InvalidMessageError, type JsonObject } from '@diffstream/core'

/** mulberry32: a small seeded PRNG, so every run tries the same cases. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! }
}

/** A producer's stream of real messages over a few records, the raw material for mutations. */
function corpus(): { producer: DiffCache; messages: Uint8Array[] } {
  const producer = DiffCache.producer()
  const messages: Uint8Array[] = []
  const records: JsonObject[] = [
    { key: 'auction-1', title: 'Chair', last_bid: { user: 'ann', price: 10, time: 1 }, tags: ['wood', 'old'] },
    { key: 2, title: 'Lamp', last_bid: { user: 'bob', price: 5, time: 2 }, dims: [[1, 2], [3, 4]] },
    { key: 'ключ', title: 'Ünïcödé 🔑', last_bid: null, list: Array.from({ length: 50 }, (_, i) => i) },
  ]
  for (const r of records) messages.push(producer.update(r).encode())
  for (let i = 0; i < 30; i++) {
    const r = records[i % records.length]!
    r.last_bid = { user: `u${i}`, price: i * 3, time: 100 + i }
    if (i % 4 === 0) (r.tags as string[] | undefined)?.push(`t${i}`)
    if (i % 5 === 0) r.extra = { i, s: 'x'.repeat(i) }
    if (i % 7 === 0) delete r.extra
    messages.push(producer.update(r).encode())
  }
  producer.update({ key: 'doomed', v: 1 })
  messages.push(producer.delete('doomed').encode())
  messages.push(producer.retran('auction-1').encode())
  return { producer, messages }
}

/** The consumer of the 100 000 inputs below and its producer, for the recovery test after it. */
let abused: { producer: DiffCache; consumer: DiffCache } | null = null

function state(cache: DiffCache): string {
  const records = cache.keys().map((k) => [String(k), cache.get(k)])
  return JSON.stringify([Array.from(cache.stateVector()), records.sort()])
}

test('at least 100 000 seeded hostile inputs: typed errors only, cache unchanged when refused', { timeout: 300_000 }, () => {
  const rand = prng(0xd1ff)
  const { producer, messages } = corpus()
  // The consumer holds the first half of the stream, so mutated later messages meet real state.
  const consumer = DiffCache.consumer({ maxHeldBytes: 64 * 1024 })
  for (const m of messages.slice(0, 15)) consumer.update(m)
  const small = DiffCache.consumer({ maxMessageBytes: 256 })
  const counts = { cases: 0, refused: 0, accepted: 0 }

  const mutate = (src: Uint8Array): Uint8Array => {
    const kind = rand.int(6)
    if (kind === 0) return Uint8Array.from({ length: rand.int(80) }, () => rand.int(256))
    if (kind === 1) return src.slice(0, rand.int(src.length))
    if (kind === 2) {
      const out = src.slice()
      for (let n = 1 + rand.int(3); n > 0; n--) out[rand.int(out.length)] = rand.int(256)
      return out
    }
    if (kind === 3) {
      const at = rand.int(src.length)
      const junk = Uint8Array.from({ length: 1 + rand.int(6) }, () => rand.pick([0, 1, 0x7f, 0x80, 0xff, rand.int(256)]))
      const out = new Uint8Array(src.length + junk.length)
      out.set(src.subarray(0, at))
      out.set(junk, at)
      out.set(src.subarray(at), at + junk.length)
      return out
    }
    if (kind === 4) {
      // a valid header followed by a huge declared count or length: must not allocate or loop
      const head = src.slice(0, 1 + rand.int(12))
      const tail = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, rand.int(256)])
      const out = new Uint8Array(head.length + tail.length)
      out.set(head)
      out.set(tail, head.length)
      return out
    }
    const out = src.slice()
    const at = rand.int(out.length)
    out.copyWithin(at, rand.int(out.length))
    return out
  }

  for (let i = 0; i < 100_000; i++) {
    const src = rand.pick(messages)
    const bytes = i % 1000 === 0 ? new Uint8Array(300 + rand.int(1000)) : mutate(src)
    const target = i % 1000 === 0 ? small : consumer
    const before = state(target)
    counts.cases++
    try {
      DataMsg.decode(bytes)
    } catch (err) {
      assert.ok(err instanceof InvalidMessageError, `decode threw ${String(err)}`)
    }
    try {
      target.update(bytes)
      counts.accepted++
    } catch (err) {
      assert.ok(err instanceof DiffStreamError, `case ${i}: ${String(err)} ${(err as Error).stack}`)
      assert.equal(state(target), before, `case ${i}: a refused message changed the cache (${(err as Error).name})`)
      counts.refused++
    }
  }
  assert.ok(counts.cases >= 100_000)
  assert.ok(counts.refused > 90_000, JSON.stringify(counts))
  abused = { producer, consumer }

  // Whatever the consumer went through, a retran makes it equal the producer again.
  const fresh = DiffCache.consumer()
  fresh.update(producer.retran('auction-1'))
  assert.equal(state(fresh), state(producer))
})

test('crafted Yjs updates that pass the structure check but break its invariants are refused cleanly', () => {
  const rand = prng(42)
  const producer = DiffCache.producer()
  producer.update({ key: 'a', m: { x: 1 }, arr: [1, 2, 3] })
  producer.update({ key: 'b', v: 'text' })
  const consumer = DiffCache.consumer()
  consumer.update(producer.retran('a'))
  const base = DataMsg.decode(producer.update({ key: 'a', m: { x: 2 }, arr: [1, 2, 3] }).encode())
  const varuint = (n: number, out: number[]) => {
    while (n > 0x7f) {
      out.push(0x80 | (n & 0x7f))
      n = Math.floor(n / 128)
    }
    out.push(n)
  }
  const sv = consumer.stateVector()
  const clients: number[] = []
  // decode the consumer's state vector: count, then client/clock pairs
  {
    let p = 0
    const read = () => {
      let n = 0
      let m = 1
      for (;;) {
        const b = sv[p++]!
        n += (b & 0x7f) * m
        if (b < 0x80) return n
        m *= 128
      }
    }
    const count = read()
    for (let i = 0; i < count; i++) {
      clients.push(read())
      read()
    }
  }
  const outcomes = new Map<string, number>()
  for (let i = 0; i < 5_000; i++) {
    const u: number[] = [1]
    const structs = 1 + rand.int(3)
    varuint(structs, u)
    varuint(rand.pick([...clients, 7, 123456]), u)
    varuint(rand.int(12), u)
    for (let s = 0; s < structs; s++) {
      const ref = rand.pick([1, 4, 7, 8, 0, 10])
      if (ref === 0 || ref === 10) {
        u.push(ref)
        varuint(1 + rand.int(3), u)
        continue
      }
      const origin = rand.next() < 0.5
      const right = rand.next() < 0.3
      const sub = rand.next() < 0.5
      u.push(ref | (origin ? 0x80 : 0) | (right ? 0x40 : 0) | (sub ? 0x20 : 0))
      if (origin) varuint(rand.pick(clients), u), varuint(rand.int(12), u)
      if (right) varuint(rand.pick(clients), u), varuint(rand.int(12), u)
      if (!origin && !right) {
        if (rand.next() < 0.3) u.push(1, 10, ...new TextEncoder().encode('diffstream'))
        else u.push(0), varuint(rand.pick(clients), u), varuint(rand.int(12), u)
        if (sub) u.push(1, 'q'.charCodeAt(0))
      }
      if (ref === 1) varuint(1 + rand.int(3), u)
      if (ref === 4) u.push(2, 0x68, 0x69)
      if (ref === 7) u.push(rand.int(7))
      if (ref === 8) u.push(1, 125, rand.int(60))
    }
    u.push(rand.int(2))
    if (u[u.length - 1] === 1) u.push(1), varuint(rand.pick(clients), u), u.push(1), varuint(rand.int(12), u), varuint(1 + rand.int(3), u)
    const msg = new DataMsg({ cmd: rand.pick(['upd', 'new', 'ret'] as const), key: 'a', update: Uint8Array.from(u), checksum: base.checksum, state: rand.int(2) ? base.state : 0 })
    const before = state(consumer)
    let outcome = 'applied'
    try {
      consumer.update(msg)
    } catch (err) {
      assert.ok(err instanceof DiffStreamError, `case ${i}: ${String(err)}`)
      assert.equal(state(consumer), before, `case ${i}: refused but changed (${(err as Error).name}: ${(err as Error).message})`)
      outcome = (err as Error).message.includes('does not apply') ? 'refused by Yjs' : (err as Error).name
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  }
  // Structure errors, gaps and (forged but well-formed) edits all occur; a failure inside Yjs would
  // show as 'refused by Yjs' and is caught on the shadow, so it never reaches the cache either.
  for (const name of ['InvalidMessageError', 'PatchMismatchError', 'applied']) {
    assert.ok((outcomes.get(name) ?? 0) > 5, `${name}: ${JSON.stringify([...outcomes])}`)
  }
})

/** The producer's records as plain values, by key. */
function records(cache: DiffCache): Record<string, unknown> {
  return Object.fromEntries(cache.keys().map((k) => [String(k), cache.get(k)]))
}

/** More of the producer's stream, delivered: each must apply, and the copies must stay equal. */
function flows(producer: DiffCache, consumer: DiffCache, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    const [cmd, key, data] = consumer.update(producer.update({ key: 'auction-1', title: 'Chair', last_bid: { user: `after${i}`, price: 1000 + i } }).encode())
    assert.deepEqual([cmd, key, data], ['upd', 'auction-1', producer.get('auction-1')])
  }
  consumer.update(producer.update({ key: `late-${rounds}`, v: rounds }).encode())
  consumer.update(producer.delete(`late-${rounds}`).encode())
  assert.equal(state(consumer), state(producer))
  // and a retran against its state vector finds nothing wrong
  consumer.update(producer.retran('auction-1', consumer.stateVector()))
}

test('the consumer that took every hostile input: a retran finds it wrong, resync makes it equal the producer', () => {
  assert.ok(abused, 'runs after the 100 000 inputs')
  const { producer, consumer } = abused
  // It accepted mutated messages: it holds changes the producer never made.
  const theirs = Y.decodeStateVector(producer.stateVector())
  const mine = Y.decodeStateVector(consumer.stateVector())
  assert.ok([...mine].some(([client, clock]) => clock > (theirs.get(client) ?? 0)), 'the abuse left changes the producer never made')
  assert.notEqual(state(consumer), state(producer))
  // Detection: a retran, with or without its state vector, throws and changes nothing.
  for (const ret of [producer.retran('auction-1', consumer.stateVector()), producer.retran('auction-1')]) {
    const before = state(consumer)
    assert.throws(() => consumer.update(ret.encode()), (err: unknown) => {
      assert.ok(err instanceof DivergedError, String(err))
      assert.ok(err.clients.length > 0)
      return true
    })
    assert.equal(state(consumer), before)
  }
  // Recovery: the whole state of the producer, taken instead of merged.
  const [cmd, key, data] = consumer.resync(producer.retran('auction-1').encode())
  assert.deepEqual([cmd, key, data], ['ret', 'auction-1', producer.get('auction-1')])
  assert.deepEqual(records(consumer), records(producer))
  assert.deepEqual(Y.decodeStateVector(consumer.stateVector()), theirs)
  assert.equal(state(consumer), state(producer))
  flows(producer, consumer, 10)
  // Compaction still works: the consumer follows the producer's next epoch by itself.
  producer.compact()
  flows(producer, consumer, 3)
  assert.equal(consumer.epoch, producer.epoch)
})

test('a single forged update under the producer\'s client id with a future clock: detected, then healed by resync', () => {
  const producer = DiffCache.producer()
  const consumer = DiffCache.consumer()
  consumer.update(producer.update({ key: 'lot', title: 'Lamp', price: 10 }).encode())
  const [client] = [...Y.decodeStateVector(producer.stateVector()).keys()]
  // A forger who saw the stream writes under the producer's client id, at clocks it has not used yet.
  const forger = new Y.Doc()
  Y.applyUpdate(forger, DataMsg.decode(producer.retran('lot').encode()).update)
  forger.clientID = client!
  const seen = Y.encodeStateVector(forger)
  forger.transact(() => {
    const lot = forger.getMap('diffstream').get('lot') as Y.Map<unknown>
    for (let i = 0; i < 20; i++) lot.set('price', 1_000_000 + i)
  })
  const forged = new DataMsg({ cmd: 'upd', key: 'lot', update: Y.encodeStateAsUpdate(forger, seen) })
  assert.deepEqual(consumer.update(forged.encode()), ['upd', 'lot', { key: 'lot', title: 'Lamp', price: 1_000_019 }])
  // The producer's real updates now look already held: the consumer stays wrong without an error.
  for (let p = 11; p <= 13; p++) consumer.update(producer.update({ key: 'lot', title: 'Lamp', price: p }).encode())
  assert.notDeepEqual(consumer.get('lot'), producer.get('lot'))
  const before = state(consumer)
  assert.throws(
    () => consumer.update(producer.retran('lot', consumer.stateVector())),
    (err: unknown) => err instanceof DivergedError && err.clients.includes(client!) && err.keys.includes('lot'),
  )
  assert.equal(state(consumer), before)
  consumer.resync(producer.retran('lot'))
  assert.deepEqual(records(consumer), records(producer))
  assert.equal(state(consumer), state(producer))
  // Its writes after the forgery's clocks flow again.
  for (let p = 14; p <= 40; p++) consumer.update(producer.update({ key: 'lot', title: 'Lamp', price: p }).encode())
  assert.deepEqual(consumer.get('lot'), { key: 'lot', title: 'Lamp', price: 40 })
  assert.equal(state(consumer), state(producer))
})
