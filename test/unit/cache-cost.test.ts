// Writes and reads whose cost follows the change (issue 15): patch(), the checksum and JSON sizes
// kept per part of the mirror, checks of only what a write writes. Each must keep its guarantee:
// the same records, the same checksums as a fresh computation, refusal with nothing changed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ChecksumMismatchError,
  DiffCache,
  hashJson,
  KeyNotFoundError,
  NoChangeError,
  ReadOnlyError,
  UnsupportedValueError,
  type JsonObject,
  type JsonValue,
} from '@diffstream/core'
import { Replica, type ReplicaLink } from '../../core/src/net/replica.js'
import { decodeFrame } from '../../core/src/net/frames.js'
import { mulberry32 } from '../helpers/prng.js'

function snapshot(cache: DiffCache) {
  return { keys: cache.keys(), records: cache.keys().map((k) => cache.get(k)), sv: Array.from(cache.stateVector()) }
}

const utf8Bytes = (v: unknown): number => new TextEncoder().encode(JSON.stringify(v)).length

describe('patch', () => {
  test('merges objects, replaces arrays and scalars, deletes undefined fields; consumers apply an ordinary upd', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    const seen: string[] = []
    consumer.on('change', (e) => seen.push(`${e.cmd}:${e.key}`))
    consumer.update(producer.update({ key: 'r', a: 1, nested: { x: 1, y: { z: 2 } }, list: [1, 2, 3], gone: 'x' }))
    const msg = producer.patch('r', {
      a: 2,
      nested: { y: { w: 3 } },
      list: [1, 3],
      gone: undefined,
      added: { n: null },
    })
    assert.equal(msg.cmd, 'upd')
    const expected = { key: 'r', a: 2, nested: { x: 1, y: { z: 2, w: 3 } }, list: [1, 3], added: { n: null } }
    assert.deepEqual(producer.get('r'), expected)
    assert.deepEqual(consumer.update(msg.encode()), ['upd', 'r', expected])
    assert.equal(msg.checksum, hashJson(expected))
    assert.deepEqual(seen, ['new:r', 'upd:r'])
    // a scalar replacing an object, an object replacing a scalar
    consumer.update(producer.patch('r', { nested: 5, a: { now: 'object' } }))
    assert.deepEqual(consumer.get('r'), { key: 'r', a: { now: 'object' }, nested: 5, list: [1, 3], added: { n: null } })
    // the key field may be repeated unchanged
    consumer.update(producer.patch('r', { key: 'r', list: [] }))
    assert.deepEqual(consumer.get('r')!['list'], [])
  })

  test('refuses what it cannot do and changes nothing', () => {
    const producer = DiffCache.producer({ strict: true })
    producer.update({ key: 7, v: 1, deep: { a: [1, 2] } })
    const sv = producer.stateVector()
    const before = producer.get(7)
    assert.throws(() => producer.patch(8, { v: 2 }), KeyNotFoundError)
    assert.throws(() => producer.patch(7, { key: 8 } as JsonObject), UnsupportedValueError)
    assert.throws(() => producer.patch(7, { key: '7' } as JsonObject), UnsupportedValueError)
    assert.throws(() => producer.patch(7, { key: undefined } as JsonObject), UnsupportedValueError)
    assert.throws(() => producer.patch(7, [] as unknown as JsonObject), UnsupportedValueError)
    // a bad value deep inside, after good ones: nothing of the patch is written
    assert.throws(() => producer.patch(7, { v: 2, deep: { a: [1, NaN] } }), UnsupportedValueError)
    assert.throws(
      () => producer.patch(7, { v: 2, deep: { b: { c: () => 1 } } } as unknown as JsonObject),
      UnsupportedValueError,
    )
    assert.throws(() => producer.patch(7, { v: 2, '\ud800': 1 }), UnsupportedValueError)
    assert.throws(() => producer.patch(7, { v: 1 }), NoChangeError)
    assert.deepEqual(producer.get(7), before)
    assert.deepEqual(producer.stateVector(), sv)
    assert.throws(() => DiffCache.consumer().patch(7, { v: 1 }), ReadOnlyError)
  })

  test('with copy: false the caller object is not returned after a patch', () => {
    const producer = DiffCache.producer({ copy: false })
    const data = { key: 'k', v: 1 }
    producer.update(data)
    assert.equal(producer.get('k'), data)
    producer.patch('k', { v: 2 })
    assert.deepEqual(producer.get('k'), { key: 'k', v: 2 })
    assert.equal(data.v, 1)
  })

  test('stats count a patch as an upd against the full JSON of the record', () => {
    const producer = DiffCache.producer()
    const record = { key: 'k', text: 'é'.repeat(100), n: 1 }
    producer.update(record)
    const msg = producer.patch('k', { n: 2 })
    const upd = producer.stats.byCommand.upd
    assert.equal(upd.messages, 1)
    assert.equal(upd.bytes, msg.byteLength)
    assert.equal(upd.jsonBytes, utf8Bytes({ ...record, n: 2 }))
  })

  test('room replicas: a patch travels as an update', () => {
    const a = new Replica({ compacts: false })
    const b = new Replica({ compacts: false })
    const toB: Uint8Array[] = []
    const toA: Uint8Array[] = []
    const linkA: ReplicaLink = { id: 'b', followsEpochs: true, send: (f) => toB.push(f), drop: () => undefined }
    const linkB: ReplicaLink = { id: 'a', followsEpochs: true, send: (f) => toA.push(f), drop: () => undefined }
    a.open(linkA)
    b.open(linkB)
    // replicas send what they queued in a microtask: let it go out, then deliver, until quiet
    const pump = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 0))
        if (toA.length === 0 && toB.length === 0) return
        for (const f of toB.splice(0)) b.receive(linkB, decodeFrame(f))
        for (const f of toA.splice(0)) a.receive(linkA, decodeFrame(f))
      }
    }
    return (async () => {
      a.write('r', { key: 'r', v: 1, o: { x: 1 } }, 'test')
      await pump()
      a.patch('r', { o: { y: 2 } }, 'test')
      await pump()
      assert.deepEqual(b.mirror.read('r'), { key: 'r', v: 1, o: { x: 1, y: 2 } })
      a.destroy()
      b.destroy()
    })()
  })
})

describe('checksums and sizes kept per part', () => {
  /** A random JSON value, small enough to stay readable in a failure. */
  function randomValue(rand: () => number, depth: number): JsonValue {
    const r = rand()
    if (depth > 3 || r < 0.35) {
      const s = rand()
      if (s < 0.3) return Math.floor(rand() * 1000) - 500
      if (s < 0.4) return rand() * 10
      if (s < 0.5) return rand() < 0.5
      if (s < 0.55) return null
      return ['a', 'bé', '"q"\\', 'x\n', '😀', 'long '.repeat(20)][Math.floor(rand() * 6)]!
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1))
    const o: JsonObject = {}
    for (let i = Math.floor(rand() * 4); i > 0; i--) o[`f${Math.floor(rand() * 6)}`] = randomValue(rand, depth + 1)
    return o
  }

  /** A random change of `record`: a field set, removed or replaced somewhere inside. */
  function mutate(rand: () => number, v: JsonValue, depth: number): JsonValue {
    if (v === null || typeof v !== 'object' || depth > 4 || rand() < 0.2) return randomValue(rand, depth)
    if (Array.isArray(v)) {
      const out = v.slice()
      const op = rand()
      if (op < 0.3 || out.length === 0)
        out.splice(Math.floor(rand() * (out.length + 1)), 0, randomValue(rand, depth + 1))
      else if (op < 0.5) out.splice(Math.floor(rand() * out.length), 1)
      else {
        const i = Math.floor(rand() * out.length)
        out[i] = mutate(rand, out[i]!, depth + 1)
      }
      return out
    }
    const out: JsonObject = { ...v }
    const keys = Object.keys(out)
    const op = rand()
    if (op < 0.2 && keys.length > 0) delete out[keys[Math.floor(rand() * keys.length)]!]
    else if (op < 0.4 || keys.length === 0) out[`f${Math.floor(rand() * 6)}`] = randomValue(rand, depth + 1)
    else {
      const k = keys[Math.floor(rand() * keys.length)]!
      out[k] = mutate(rand, out[k]!, depth + 1)
    }
    return out
  }

  /** What a patch does, as documented: objects merge, anything else replaces, undefined deletes. */
  function merged(current: JsonObject, patch: JsonObject): JsonObject {
    const out: JsonObject = { ...current }
    for (const [k, v] of Object.entries(patch)) {
      const c = out[k]
      if (v === undefined) delete out[k]
      else if (isObject(v) && isObject(c)) out[k] = merged(c, v)
      else out[k] = v
    }
    return out
  }
  const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

  test('random writes, patches and remote edits: checksums, sizes and records equal a fresh computation', () => {
    const rand = mulberry32(15)
    // Views and checksums are under test, not epochs: a concurrent write across a compaction would
    // need a retran (test/unit/facade-offline.test.ts covers that).
    const a = DiffCache.peer({ compaction: false })
    const b = DiffCache.peer({ compaction: false })
    const expected = new Map<string, JsonObject>()
    for (let step = 0; step < 600; step++) {
      const key = `r${Math.floor(rand() * 5)}`
      const writer = rand() < 0.5 ? a : b
      const other = writer === a ? b : a
      const current = expected.get(key)
      let msg
      if (current && rand() < 0.3) {
        const field = `f${Math.floor(rand() * 6)}`
        const value = rand() < 0.15 ? undefined : mutate(rand, (current[field] ?? null) as JsonValue, 1)
        msg = writer.patch(key, { [field]: value })
        expected.set(key, merged(current, { [field]: value }))
      } else if (current && rand() < 0.05) {
        msg = writer.delete(key)
        expected.delete(key)
      } else {
        const changed = mutate(rand, current ?? { key }, 0)
        const next = { ...(isObject(changed) ? changed : {}), key }
        msg = writer.update(next)
        expected.set(key, next)
      }
      if (step % 10 === 9 && expected.has(key) && msg.cmd !== 'del') {
        // a concurrent write of the other copy: the merge decides, the views must follow it
        const theirs = { ...(expected.get(key) as JsonObject), [`f${Math.floor(rand() * 6)}`]: randomValue(rand, 1) }
        const concurrent = other.update(theirs)
        other.update(msg.encode())
        writer.update(concurrent.encode())
        const merged = writer.get(key)!
        assert.deepEqual(other.get(key), merged)
        assert.equal(writer.retran(key).checksum, hashJson(merged))
        assert.equal(other.retran(key).checksum, hashJson(merged))
        expected.set(key, merged)
        continue
      }
      other.update(msg.encode())
      if (msg.cmd !== 'del') {
        const record = expected.get(key)!
        assert.equal(msg.checksum, hashJson(record), `step ${step}: checksum of ${JSON.stringify(record)}`)
        assert.deepEqual(a.get(key), record)
        assert.deepEqual(b.get(key), record)
      }
    }
    for (const [key, record] of expected) {
      const sent = a.stats.byCommand.ret.jsonBytes
      assert.equal(a.retran(key).checksum, hashJson(record))
      assert.equal(a.stats.byCommand.ret.jsonBytes - sent, utf8Bytes(record))
    }
    // the JSON sizes in the stats are the records' real sizes
    const c = DiffCache.producer()
    let json = 0
    for (const record of expected.values()) {
      c.update(record)
      json += utf8Bytes(record)
    }
    assert.equal(c.stats.jsonBytes, json)
  })

  test('hashJson ignores field order and tells values apart', () => {
    assert.equal(hashJson({ a: 1, b: [1, 2], c: { d: 'x' } }), hashJson({ c: { d: 'x' }, b: [1, 2], a: 1 }))
    const distinct: JsonValue[] = [
      null,
      true,
      false,
      0,
      1,
      '1',
      '',
      [],
      {},
      [1, 2],
      [2, 1],
      { a: 1 },
      { b: 1 },
      { a: '1' },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
      [[]],
      [{}],
      { a: {} },
      { a: [] },
    ]
    assert.equal(new Set(distinct.map((v) => hashJson(v))).size, distinct.length)
    assert.equal(hashJson({ a: 1, gone: undefined }), hashJson({ a: 1 }))
  })
})

describe('a corrupted field deep inside a large record', () => {
  /** About 2 MB: 2 000 items with nested bids, like the benchmarks' big record. */
  function largeRecord(): JsonObject {
    const items: JsonObject = {}
    for (let i = 0; i < 1500; i++) {
      items[`item-${i}`] = {
        title: `item number ${i}`,
        bids: Array.from({ length: 10 }, (_, b) => ({ user: `user-${b}`, price: i + b })),
        seller: { name: `seller-${i % 7}`, address: { city: `city-${i % 13}`, code: `c${i}` } },
      }
    }
    return { key: 'catalogue', items }
  }

  /** Flips one letter of `needle` inside the message bytes: still a valid update, other content. */
  function corrupt(bytes: Uint8Array, needle: string): Uint8Array {
    const text = new TextEncoder().encode(needle)
    for (let i = bytes.length - text.length; i >= 0; i--) {
      if (text.every((b, j) => bytes[i + j] === b)) {
        const out = bytes.slice()
        const at = i + text.length - 1
        out[at] = out[at]! ^ 1
        return out
      }
    }
    throw new Error(`"${needle}" is not in the message`)
  }

  test('an update of one deep field, altered on the way: refused, the cache unchanged, a retran makes it whole', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    const record = largeRecord()
    consumer.update(producer.update(record).encode())
    const items = record['items'] as Record<string, JsonObject>
    const seller = items['item-1234']!['seller'] as JsonObject
    seller['address'] = { city: 'new-city-zz', code: 'c1234' }
    const bytes = producer.update(record).encode()
    assert.ok(bytes.length < 200, `${bytes.length} bytes for one field`)
    const before = snapshot(consumer)
    assert.throws(() => consumer.update(corrupt(bytes, 'new-city-zz')), ChecksumMismatchError)
    assert.deepEqual(snapshot(consumer), before)
    assert.deepEqual(consumer.update(bytes), ['upd', 'catalogue', record])
    // the same with a patch
    const msg = producer.patch('catalogue', { items: { 'item-7': { bids: [{ user: 'last-bidder-q', price: 1 }] } } })
    const patched = corrupt(msg.encode(), 'last-bidder-q')
    const before2 = snapshot(consumer)
    assert.throws(() => consumer.update(patched), ChecksumMismatchError)
    assert.deepEqual(snapshot(consumer), before2)
    consumer.update(producer.retran('catalogue', consumer.stateVector()))
    assert.deepEqual(consumer.get('catalogue'), producer.get('catalogue'))
  })

  test('the whole large record altered on the way in (new and ret): refused, nothing kept', () => {
    const producer = DiffCache.producer()
    producer.update(largeRecord())
    const consumer = DiffCache.consumer()
    const bytes = producer.retran('catalogue').encode()
    assert.throws(() => consumer.update(corrupt(bytes, 'city-12')), ChecksumMismatchError)
    assert.equal(consumer.size, 0)
    assert.deepEqual(consumer.update(bytes)[2], producer.get('catalogue'))
    const fresh = DiffCache.consumer()
    const created = DiffCache.producer().update(largeRecord()).encode()
    assert.throws(() => fresh.update(corrupt(created, 'seller-3')), ChecksumMismatchError)
    assert.equal(fresh.size, 0)
  })
})
