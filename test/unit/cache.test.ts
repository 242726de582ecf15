// Every behaviour of the original's cache tests, on the TypeScript facade.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CacheKeyError,
  CacheKeyWarning,
  ChecksumMismatchError,
  DataMsg,
  DiffCache,
  DiffStreamError,
  InvalidMessageError,
  KeyNotFoundError,
  MissingKeyError,
  NoChangeError,
  PatchMismatchError,
  ReadOnlyError,
  UnsupportedValueError,
  WriteOnlyError,
  type JsonObject,
} from '@diffstream/core'

const record = (): JsonObject => ({ key: 'k1', name: 'first', n: 1, tags: ['a', 'b'], nested: { x: 1 } })

function pair() {
  return { producer: DiffCache.producer(), consumer: DiffCache.consumer() }
}

function snapshot(cache: DiffCache) {
  return { keys: cache.keys(), records: cache.keys().map((k) => cache.get(k)), sv: Array.from(cache.stateVector()) }
}

describe('producer and consumer', () => {
  test('new object', () => {
    const { producer, consumer } = pair()
    const msg = producer.update(record())
    assert.equal(msg.cmd, 'new')
    assert.equal(msg.key, 'k1')
    assert.ok(msg.update instanceof Uint8Array && msg.update.length > 0)
    assert.equal(typeof msg.checksum, 'number')
    assert.deepEqual(consumer.update(msg), ['new', 'k1', record()])
    assert.equal(consumer.size, 1)
  })

  test('update a field, add a field, add and delete an array element', () => {
    const { producer, consumer } = pair()
    const data = record()
    consumer.update(producer.update(data))
    data.name = 'second'
    assert.deepEqual(consumer.update(producer.update(data))[2], data)
    data.added = { deep: [1, 2, { three: 3 }] }
    assert.deepEqual(consumer.update(producer.update(data))[2], data)
    ;(data.tags as string[]).push('c')
    assert.deepEqual(consumer.update(producer.update(data))[2], data)
    ;(data.tags as string[]).splice(0, 1)
    assert.deepEqual(consumer.update(producer.update(data))[2], data)
    delete data.nested
    const [cmd, , after] = consumer.update(producer.update(data))
    assert.equal(cmd, 'upd')
    assert.deepEqual(after, data)
    assert.deepEqual(consumer.get('k1'), producer.get('k1'))
  })

  test('a changed scalar is a small message', () => {
    const { producer, consumer } = pair()
    const data = { key: 7, title: 'x'.repeat(2000), price: 1 }
    consumer.update(producer.update(data))
    data.price = 2
    const msg = producer.update(data)
    assert.ok(msg.encode().length < 40, `${msg.encode().length} bytes`)
    consumer.update(msg.encode())
    assert.deepEqual(consumer.get(7), data)
  })

  test('delete object', () => {
    const { producer, consumer } = pair()
    consumer.update(producer.update(record()))
    const msg = producer.delete('k1')
    assert.equal(msg.cmd, 'del')
    assert.deepEqual(consumer.update(msg.encode()), ['del', 'k1', null])
    assert.equal(consumer.has('k1'), false)
    assert.equal(producer.has('k1'), false)
    assert.equal(consumer.size, 0)
    // re-created after a delete: 'new' again
    const again = producer.update(record())
    assert.equal(again.cmd, 'new')
    assert.deepEqual(consumer.update(again)[2], record())
  })

  test('size, has, get, keys', () => {
    const { producer, consumer } = pair()
    assert.equal(producer.size, 0)
    for (let i = 0; i < 5; i++) consumer.update(producer.update({ key: i, v: i * i }))
    assert.equal(producer.size, 5)
    assert.equal(consumer.size, 5)
    assert.ok(consumer.has(3) && consumer.has('3'))
    assert.ok(!consumer.has(9))
    assert.deepEqual(consumer.get(4), { key: 4, v: 16 })
    assert.equal(consumer.get(9), undefined)
    assert.deepEqual(consumer.keys().sort(), [0, 1, 2, 3, 4])
  })

  test('numeric and string keys name the same record; bytes work too', () => {
    const { producer, consumer } = pair()
    consumer.update(producer.update({ key: 314159, v: 1 }))
    assert.ok(producer.has('314159'))
    assert.ok(consumer.has(new TextEncoder().encode('314159')))
    assert.equal(producer.update({ key: '314159', v: 2 }).cmd, 'upd')
    assert.deepEqual(producer.get(new TextEncoder().encode('314159')), { key: '314159', v: 2 })
    assert.equal(producer.delete(new TextEncoder().encode('314159')).cmd, 'del')
  })

  test('the key field can be renamed', () => {
    const producer = DiffCache.producer({ keyName: 'id' })
    const consumer = DiffCache.consumer({ keyName: 'id' })
    assert.deepEqual(consumer.update(producer.update({ id: 'x', v: 1 })), ['new', 'x', { id: 'x', v: 1 }])
    assert.throws(() => producer.update({ key: 'x' }), MissingKeyError)
  })

  test('checksum mismatch: refused, cache unchanged, retran makes it whole', () => {
    const { producer, consumer } = pair()
    const data = record()
    consumer.update(producer.update(data))
    data.n = 2
    const msg = producer.update(data)
    msg.checksum = (msg.checksum + 1) >>> 0
    const before = snapshot(consumer)
    assert.throws(() => consumer.update(msg), ChecksumMismatchError)
    assert.deepEqual(snapshot(consumer), before)
    const [cmd, , fixed] = consumer.update(producer.retran('k1', consumer.stateVector()))
    assert.equal(cmd, 'ret')
    assert.deepEqual(fixed, data)
  })

  test('a consumer that caught up by retran still checks checksums (deleted content counted the same)', () => {
    const producer = DiffCache.producer()
    const data = { key: 'k', n: 0, list: [1, 2, 3], nested: { a: 1 } }
    for (let i = 1; i <= 20; i++) {
      data.n = i
      data.list = [i, i + 1]
      data.nested = { a: i }
      producer.update(data)
    }
    producer.update({ key: 'gone', v: 1 })
    producer.delete('gone')
    const consumer = DiffCache.consumer()
    consumer.update(producer.retran('k')) // a full state: collected (GC) structs and a delete set
    data.n = 99
    const msg = producer.update(data)
    msg.checksum = (msg.checksum + 1) >>> 0
    assert.throws(() => consumer.update(msg), ChecksumMismatchError)
    msg.checksum = (msg.checksum - 1) >>> 0
    assert.deepEqual(consumer.update(msg)[2], data)
  })

  test('a refused message emits no change event and leaves later messages working', () => {
    const { producer, consumer } = pair()
    const seen: string[] = []
    consumer.on('change', (e) => seen.push(`${e.cmd}:${JSON.stringify(e.data)}`))
    const data = { key: 'k', v: 1 }
    consumer.update(producer.update(data))
    data.v = 2
    const msg = producer.update(data)
    const good = msg.checksum
    msg.checksum = (good ^ 1) >>> 0
    assert.throws(() => consumer.update(msg), ChecksumMismatchError)
    assert.deepEqual(seen, ['new:{"key":"k","v":1}'])
    msg.checksum = good
    consumer.update(msg)
    data.v = 3
    consumer.update(producer.update(data).encode())
    assert.deepEqual(seen, ['new:{"key":"k","v":1}', 'upd:{"key":"k","v":2}', 'upd:{"key":"k","v":3}'])
    assert.deepEqual(consumer.get('k'), data)
  })

  test('checksum mismatch from altered bytes', () => {
    const { producer, consumer } = pair()
    const data = { key: 'k', s: 'hello' }
    consumer.update(producer.update(data))
    data.s = 'world'
    const bytes = producer.update(data).encode()
    // flip a letter of the string inside the update: still a valid update, different content
    const at = bytes.lastIndexOf('w'.charCodeAt(0))
    bytes[at] = 'W'.charCodeAt(0)
    const before = snapshot(consumer)
    assert.throws(() => consumer.update(bytes), ChecksumMismatchError)
    assert.deepEqual(snapshot(consumer), before)
    consumer.update(producer.retran('k', consumer.stateVector()))
    assert.deepEqual(consumer.get('k'), data)
  })

  test('patch mismatch after a missed update: held, and one retran makes it whole', () => {
    const { producer, consumer } = pair()
    const data = record()
    consumer.update(producer.update(data))
    data.n = 2
    producer.update(data) // lost
    data.n = 3
    const third = producer.update(data)
    const before = snapshot(consumer)
    assert.throws(() => consumer.update(third), PatchMismatchError)
    assert.deepEqual(snapshot(consumer), before)
    assert.equal(consumer.stats.held, 1)
    const [cmd, key, fixed] = consumer.update(producer.retran('k1', consumer.stateVector()))
    assert.deepEqual([cmd, key, fixed], ['ret', 'k1', data])
    assert.deepEqual(consumer.get('k1'), producer.get('k1'))
  })

  test('the missed message arriving late fills the gap by itself', () => {
    const { producer, consumer } = pair()
    const data = record()
    consumer.update(producer.update(data))
    data.n = 2
    const second = producer.update(data)
    data.n = 3
    const third = producer.update(data)
    assert.throws(() => consumer.update(third), PatchMismatchError)
    assert.equal(consumer.get('k1')?.n, 1)
    consumer.update(second)
    assert.deepEqual(consumer.get('k1'), data)
  })

  test('missing key', () => {
    const { producer } = pair()
    assert.throws(() => producer.update({ name: 'no key' }), MissingKeyError)
    assert.throws(() => producer.update({ key: null }), MissingKeyError)
    assert.throws(() => producer.update({ key: { nested: 1 } }), UnsupportedValueError)
    assert.throws(() => producer.update({ key: NaN }), UnsupportedValueError)
    assert.equal(producer.size, 0)
  })

  test('update of a key the consumer never had', () => {
    const { producer, consumer } = pair()
    const data = record()
    producer.update(data) // the 'new' is lost
    data.n = 5
    const upd = producer.update(data)
    assert.throws(() => consumer.update(upd), CacheKeyError)
    assert.equal(consumer.size, 0)
    consumer.update(producer.retran('k1', consumer.stateVector()))
    assert.deepEqual(consumer.get('k1'), data)
  })

  test('delete of an unknown key', () => {
    const { producer, consumer } = pair()
    assert.throws(() => producer.delete('nope'), KeyNotFoundError)
    consumer.update(producer.update(record()))
    const del = producer.delete('k1')
    consumer.update(del)
    // the same delete again: the consumer no longer holds the key
    assert.throws(() => consumer.update(del), CacheKeyWarning)
    assert.equal(consumer.size, 0)
  })

  test('invalid command', () => {
    const { producer, consumer } = pair()
    const msg = producer.update(record())
    ;(msg as { cmd: string }).cmd = 'bogus'
    assert.throws(() => consumer.update(msg), InvalidMessageError)
    assert.throws(() => msg.encode(), InvalidMessageError)
    const bytes = producer.update({ key: 'x' }).encode()
    bytes[0] = 0xff // unknown version
    assert.throws(() => consumer.update(bytes), InvalidMessageError)
    assert.equal(consumer.size, 0)
  })

  test('retran of a key the producer does not hold brings the consumer up to date, deletion included', () => {
    const { producer, consumer } = pair()
    consumer.update(producer.update({ key: 'gone', n: 1 }))
    producer.delete('gone') // the consumer misses the deletion
    producer.update({ key: 'other', n: 2 }) // and this
    const msg = producer.retran('gone', consumer.stateVector())
    assert.equal(msg.checksum, 0)
    assert.deepEqual(consumer.update(msg), ['ret', 'gone', null])
    assert.equal(consumer.has('gone'), false)
    assert.deepEqual(consumer.get('other'), { key: 'other', n: 2 })
    // a key never written: the same, for a cache with no record at all too
    const empty = DiffCache.producer()
    assert.deepEqual(DiffCache.consumer().update(empty.retran('nope').encode()), ['ret', 'nope', null])
  })

  test('retran without a vector sends everything; with garbage vector it refuses', () => {
    const { producer } = pair()
    producer.update({ key: 'a', v: [1, 2, 3] })
    const fresh = DiffCache.consumer()
    assert.deepEqual(fresh.update(producer.retran('a')), ['ret', 'a', { key: 'a', v: [1, 2, 3] }])
    assert.throws(() => producer.retran('a', Uint8Array.of(0xff, 0xff, 0xff)), InvalidMessageError)
  })

  test('no-copy keeps and returns the caller object', () => {
    const producer = DiffCache.producer({ copy: false })
    const data = record()
    producer.update(data)
    assert.equal(producer.get('k1'), data)
    const copying = DiffCache.producer()
    copying.update(data)
    const got = copying.get('k1')!
    assert.notEqual(got, data)
    got.name = 'changed by caller'
    assert.equal(copying.get('k1')!.name, 'first')
    // a consumer without copies returns its own object each time until the record changes
    const consumer = DiffCache.consumer({ copy: false })
    consumer.update(producer.retran('k1'))
    assert.equal(consumer.get('k1'), consumer.get('k1'))
  })

  test('strict refuses an update that changes nothing', () => {
    const producer = DiffCache.producer({ strict: true })
    const data = record()
    producer.update(data)
    const sv = producer.stateVector()
    assert.throws(() => producer.update(record()), NoChangeError)
    assert.deepEqual(producer.stateVector(), sv)
    const lax = DiffCache.producer()
    lax.update(data)
    const msg = lax.update(record())
    assert.equal(msg.cmd, 'upd')
    const consumer = DiffCache.consumer()
    consumer.update(lax.retran('k1'))
    assert.deepEqual(consumer.update(msg)[2], data)
  })

  test('toString', () => {
    assert.equal(String(DiffCache.producer()), 'DiffCache producer')
    assert.equal(String(DiffCache.consumer()), 'DiffCache consumer')
    assert.equal(String(DiffCache.peer()), 'DiffCache peer')
  })

  test('roles: a consumer cannot write, a producer does not apply', () => {
    const { producer, consumer } = pair()
    assert.throws(() => consumer.update(record()), ReadOnlyError)
    assert.throws(() => consumer.delete('k1'), ReadOnlyError)
    const msg = producer.update(record())
    assert.throws(() => producer.update(msg), WriteOnlyError)
  })

  test('values that are not JSON are refused and change nothing', () => {
    const producer = DiffCache.producer()
    producer.update({ key: 'k', v: 1 })
    const sv = producer.stateVector()
    const cyclic: Record<string, unknown> = { key: 'k' }
    cyclic.self = cyclic
    const bad: unknown[] = [
      { key: 'k', v: [1, undefined] },
      { key: 'k', v: () => 1 },
      { key: 'k', v: Symbol('s') },
      { key: 'k', v: 10n },
      { key: 'k', v: NaN },
      { key: 'k', v: Infinity },
      { key: 'k', v: new Date() },
      { key: 'k', v: new Map() },
      { key: 'k', v: new Uint8Array(2) },
      { key: 'k', v: '\ud800' },
      cyclic,
    ]
    for (const value of bad) {
      assert.throws(() => producer.update(value as JsonObject), UnsupportedValueError, String(value))
    }
    assert.deepEqual(producer.get('k'), { key: 'k', v: 1 })
    assert.deepEqual(producer.stateVector(), sv)
    // undefined fields are absent, as in JSON
    producer.update({ key: 'k', v: 1, gone: undefined })
    assert.deepEqual(producer.get('k'), { key: 'k', v: 1 })
  })

  test('every error extends DiffStreamError and has its own name', () => {
    const errors = [
      MissingKeyError, KeyNotFoundError, CacheKeyError, PatchMismatchError, ChecksumMismatchError,
      CacheKeyWarning, InvalidMessageError, NoChangeError, UnsupportedValueError, ReadOnlyError, WriteOnlyError,
    ]
    const names = new Set<string>()
    for (const E of errors) {
      const e = new E('x')
      assert.ok(e instanceof DiffStreamError && e instanceof Error)
      assert.equal(e.name, E.name)
      names.add(e.name)
    }
    assert.equal(names.size, errors.length)
  })

  test('DataMsg round-trips every key kind and the epoch', () => {
    const update = Uint8Array.of(0, 0)
    for (const key of ['', 'k', 'ключ 🔑', 'deadbeef', 'DEADBEEF', 'abc', '0123456789abcdef0123456789abcdef', 0, 1, 314159, -5, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -0.25, 1e300]) {
      for (const epoch of [0, 1, 300]) {
        const msg = new DataMsg({ cmd: 'upd', key, update, checksum: 0xdeadbeef, state: 0xbeefcafe, epoch })
        const bytes = msg.encode()
        assert.equal(bytes.length, msg.byteLength)
        const back = DataMsg.decode(bytes)
        assert.deepEqual({ ...back }, { ...msg })
      }
    }
  })

  test('hex keys travel as bytes; the wire form of an update is lossless', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    const key = '3f2a9c0e7b5d41a8b6e2c9d0f1a2b3c4'
    const data = { key, v: 1, nested: { list: [1, 2, 3] } }
    const first = producer.update(data)
    consumer.update(first.encode())
    data.v = 2
    const msg = producer.update(data)
    const bytes = msg.encode()
    assert.ok(bytes.length < msg.update.length + 1 + 17 + 8, `${bytes.length} bytes for a ${msg.update.length}-byte update`)
    const back = DataMsg.decode(bytes)
    assert.equal(back.key, key)
    assert.deepEqual(back.update, msg.update)
    assert.deepEqual(consumer.update(back), ['upd', key, data])
  })

  test('stats count messages, bytes and the full-JSON cost per command', () => {
    const producer = DiffCache.producer()
    const data = { key: 'k', text: 'y'.repeat(500), n: 0 }
    producer.update(data)
    for (let i = 1; i <= 10; i++) {
      data.n = i
      producer.update(data)
    }
    producer.delete('k')
    const s = producer.stats
    assert.equal(s.messages, 12)
    assert.equal(s.byCommand.new.messages, 1)
    assert.equal(s.byCommand.upd.messages, 10)
    assert.equal(s.byCommand.del.messages, 1)
    assert.ok(s.byCommand.upd.jsonBytes >= 10 * 500)
    assert.ok(s.byCommand.upd.bytes < s.byCommand.upd.jsonBytes / 10)
    assert.ok(s.saving > 0.8)
  })

  test('change events report local and remote changes', () => {
    const a = DiffCache.peer()
    const b = DiffCache.peer()
    const seen: string[] = []
    b.on('change', (e) => seen.push(`${e.origin}:${e.cmd}:${e.key}:${JSON.stringify(e.data)}`))
    b.update(a.update({ key: 1, v: 'a' }))
    b.update({ key: 2, v: 'b' })
    b.update(a.delete(1))
    assert.deepEqual(seen, ['remote:new:1:{"key":1,"v":"a"}', 'local:new:2:{"key":2,"v":"b"}', 'remote:del:1:null'])
  })
})
