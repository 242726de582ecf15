// Facade integrity (docs/integrity.md): a retran carries what its sender holds, a copy that is still
// different afterwards throws DivergedError and is unchanged, and resync takes the sender's state —
// a peer keeping its own writes that the sender has not seen.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import {
  ChecksumMismatchError,
  DataMsg,
  DiffCache,
  DivergedError,
  InvalidMessageError,
  WriteOnlyError,
  type SourceDigest,
} from '@diffstream/core'
import { openFileStore } from '@diffstream/core/node'

function snapshot(cache: DiffCache): string {
  const records = cache.keys().map((k) => [String(k), cache.get(k)])
  return JSON.stringify([Array.from(cache.stateVector()), records.sort()])
}

function records(cache: DiffCache): Record<string, unknown> {
  return Object.fromEntries(cache.keys().map((k) => [String(k), cache.get(k)]))
}

/** An update written under `client` (someone else's id) on top of what `source` holds. */
function forge(source: DiffCache, client: number, key: string, fields: Record<string, unknown>): DataMsg {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, DataMsg.decode(source.retran(key).encode()).update)
  doc.clientID = client
  const seen = Y.encodeStateVector(doc)
  doc.transact(() => {
    const record = doc.getMap('diffstream').get(key) as Y.Map<unknown>
    for (const [k, v] of Object.entries(fields)) record.set(k, v)
  })
  return new DataMsg({ cmd: 'upd', key, update: Y.encodeStateAsUpdate(doc, seen) })
}

function clientOf(cache: DiffCache): number {
  const clients = [...Y.decodeStateVector(cache.stateVector()).keys()]
  assert.equal(clients.length, 1)
  return clients[0]!
}

describe('detection', () => {
  test('copies in sync, behind, or holding concurrent writes: no DivergedError', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'a', n: 1 }))
    consumer.update(producer.retran('a', consumer.stateVector())) // in sync
    producer.update({ key: 'a', n: 2 }) // missed
    producer.update({ key: 'b', n: 1 }) // missed
    assert.deepEqual(consumer.update(producer.retran('a', consumer.stateVector())), ['ret', 'a', { key: 'a', n: 2 }])
    consumer.update(producer.retran('zzz')) // a key the producer never held

    // peers: each holds writes the other has not seen, and a third peer's
    const a = DiffCache.peer()
    const b = DiffCache.peer()
    const c = DiffCache.peer()
    b.update(a.update({ key: 'doc', title: 'x' }))
    c.update(a.retran('doc'))
    b.update(c.update({ key: 'from-c', v: 1 })) // a never sees it
    b.update({ key: 'doc', title: 'b' }) // unsent
    a.update({ key: 'doc', title: 'a', more: true }) // unsent
    b.update(a.retran('doc', b.stateVector()))
    a.update(b.retran('doc', a.stateVector()))
    assert.deepEqual(records(a), records(b))
  })

  test("a forged write under the sender's client id is named, and the copy is unchanged", () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'lot', price: 1 }))
    consumer.update(producer.update({ key: 'other', v: 1 }))
    const client = clientOf(producer)
    consumer.update(forge(producer, client, 'lot', { price: 999 }))
    const before = snapshot(consumer)
    assert.throws(
      () => consumer.update(producer.retran('other')),
      (err: unknown) =>
        err instanceof DivergedError &&
        err.name === 'DivergedError' &&
        err.clients.length === 1 &&
        err.clients[0] === client &&
        err.keys.length === 1 &&
        err.keys[0] === 'lot' &&
        err.differing === 1,
    )
    assert.equal(snapshot(consumer), before)
  })

  test("same changes seen, different records (content forged at the sender's own clocks): detected", () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'lot', price: 1 }))
    const client = clientOf(producer)
    // the forgery takes the clock the producer's next write will use, with other content
    consumer.update(forge(producer, client, 'lot', { price: 666 }))
    producer.update({ key: 'lot', price: 2 })
    assert.deepEqual(Y.decodeStateVector(consumer.stateVector()), Y.decodeStateVector(producer.stateVector()))
    assert.throws(() => consumer.update(producer.retran('lot', consumer.stateVector())), DivergedError)
    consumer.resync(producer.retran('lot'))
    assert.deepEqual(consumer.get('lot'), { key: 'lot', price: 2 })
  })

  test("a peer vouches only for what it wrote: a forged write under its id is found, a third party's is not", () => {
    const a = DiffCache.peer()
    const b = DiffCache.peer()
    b.update(a.update({ key: 'doc', n: 1 }))
    b.update(forge(a, clientOf(a), 'doc', { n: 50 }))
    assert.throws(() => b.update(a.retran('doc', b.stateVector())), DivergedError)
  })

  test('a held retran that finds a divergence once applied emits `diverged`', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'lot', price: 1 }))
    consumer.update(forge(producer, clientOf(producer), 'lot', { price: 7 }))
    const missed = producer.update({ key: 'other', v: 1 })
    producer.update({ key: 'other', v: 2 })
    // a retran for a vector ahead of what the consumer holds: it builds on `missed`, so it is held
    const sv = Y.encodeStateVector(
      (() => {
        const d = new Y.Doc()
        Y.applyUpdate(d, DataMsg.decode(consumer.retran('lot').encode()).update)
        Y.applyUpdate(d, missed.update)
        return d
      })(),
    )
    const ret = producer.retran('lot', sv)
    const seen: DivergedError[] = []
    consumer.on('diverged', (err) => seen.push(err))
    assert.throws(() => consumer.update(ret))
    consumer.update(missed)
    assert.equal(seen.length, 1)
    assert.ok(seen[0] instanceof DivergedError)
  })
})

describe('resync', () => {
  test('refuses what is not a whole retran, or not what its digest says, changing nothing', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'a', n: 1 }))
    producer.update({ key: 'a', n: 2 })
    const before = snapshot(consumer)
    assert.throws(() => consumer.resync(producer.retran('a', consumer.stateVector())), InvalidMessageError) // a diff
    assert.throws(() => consumer.resync(producer.update({ key: 'a', n: 3 })), InvalidMessageError) // not a ret
    const full = producer.retran('a')
    const lying = new DataMsg({
      cmd: 'ret',
      key: 'a',
      update: full.update,
      state: full.state,
      source: { ...full.source!, digest: 1, shares: null },
    })
    assert.throws(() => consumer.resync(lying.encode()), ChecksumMismatchError)
    assert.throws(() => producer.resync(full), WriteOnlyError)
    assert.equal(snapshot(consumer), before)
    consumer.resync(full)
    assert.deepEqual(records(consumer), records(producer))
  })

  test('takes an older epoch than its own (a forged future epoch is undone)', () => {
    const producer = DiffCache.producer()
    const consumer = DiffCache.consumer()
    consumer.update(producer.update({ key: 'a', n: 1 }))
    const other = DiffCache.producer()
    other.update({ key: 'a', n: 666 })
    other.compact()
    other.compact()
    consumer.update(other.retran('a')) // some other stream's epoch, adopted
    assert.ok(consumer.epoch > producer.epoch)
    consumer.resync(producer.retran('a'))
    assert.equal(consumer.epoch, producer.epoch)
    consumer.update(producer.update({ key: 'a', n: 2 }))
    assert.deepEqual(records(consumer), records(producer))
  })

  test('a peer keeps its writes the source has not seen, drops the forged ones, and sends its own on', () => {
    const a = DiffCache.peer()
    const b = DiffCache.peer()
    b.update(a.update({ key: 'shared', n: 0, list: [1, 2] }))
    const client = clientOf(a)
    a.update(b.update({ key: 'acked', x: 1 })) // a has this one
    b.update(forge(a, client, 'shared', { n: 999, evil: true }))
    // b's writes a has not seen: a new record, a field in a's record, an in-place array edit, a delete
    b.update({ key: 'b-note', text: 'offline' })
    b.patch('shared', { mine: 'yes' })
    b.update({ key: 'doomed', v: 1 })
    b.delete('doomed')
    a.update({ key: 'shared', n: 1, list: [1, 2] })
    assert.throws(() => b.update(a.retran('shared', b.stateVector())), DivergedError)
    const repairs: DataMsg[] = []
    b.on('repair', (msg) => repairs.push(msg))
    b.resync(a.retran('shared'))
    assert.deepEqual(b.get('b-note'), { key: 'b-note', text: 'offline' })
    assert.deepEqual(b.get('shared'), { key: 'shared', n: 1, list: [1, 2], mine: 'yes' }) // forged fields gone
    assert.deepEqual(b.get('acked'), { key: 'acked', x: 1 })
    assert.equal(b.has('doomed'), false)
    assert.equal(repairs.length, 1)
    for (const msg of repairs) a.update(msg.encode())
    assert.deepEqual(records(a), records(b))
    // both keep writing, and compacting, afterwards
    b.update(a.update({ key: 'shared', n: 2, list: [1, 2, 3], mine: 'yes' }))
    a.update(b.patch('b-note', { text: 'online' }))
    a.compact()
    b.update(a.update({ key: 'after', v: 1 }))
    a.update(b.update({ key: 'after-b', v: 1 }))
    assert.deepEqual(records(a), records(b))
    assert.equal(a.epoch, b.epoch)
    b.update(a.retran('shared', b.stateVector())) // nothing wrong any more
  })

  test('a consumer with a store keeps the resynced state across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diffstream-integrity-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const producer = DiffCache.producer()
    let consumer = DiffCache.consumer({ store: await openFileStore(dir) })
    await consumer.whenLoaded()
    consumer.update(producer.update({ key: 'lot', price: 1 }))
    consumer.update(forge(producer, clientOf(producer), 'lot', { price: 13, more: 'forged' }))
    producer.update({ key: 'lot', price: 2 })
    assert.throws(() => consumer.update(producer.retran('lot', consumer.stateVector())), DivergedError)
    consumer.resync(producer.retran('lot'))
    consumer.update(producer.update({ key: 'lot', price: 3 }))
    await consumer.whenStored()
    await consumer.close()
    consumer = DiffCache.consumer({ store: await openFileStore(dir) })
    await consumer.whenLoaded()
    assert.deepEqual(records(consumer), records(producer))
    assert.equal(snapshot(consumer), snapshot(producer))
    consumer.update(producer.update({ key: 'lot', price: 4 }))
    consumer.update(producer.retran('lot', consumer.stateVector()))
    assert.deepEqual(consumer.get('lot'), { key: 'lot', price: 4 })
    await consumer.close()
  })

  test('a peer resyncing from another epoch keeps its own writes too', () => {
    const a = DiffCache.peer()
    const b = DiffCache.peer()
    b.update(a.update({ key: 'shared', n: 0 }))
    b.update({ key: 'b-offline', v: 1 })
    a.update({ key: 'shared', n: 1 })
    a.compact()
    b.resync(a.retran('shared'))
    assert.equal(b.epoch, a.epoch)
    assert.deepEqual(b.get('b-offline'), { key: 'b-offline', v: 1 })
    a.update(b.update({ key: 'shared', n: 2 })) // carries b-offline along
    assert.deepEqual(records(a), records(b))
  })
})

describe('source digest bytes', () => {
  const producer = DiffCache.producer()
  producer.update({ key: 'a', n: 1 })
  producer.update({ key: 'b', n: 2 })
  const ret = producer.retran('a')
  const bytes = ret.encode()
  // head, extension flags (1), key "a" (2 bytes), checksum, state: then the digest
  const at = 1 + 1 + 2 + 4 + 4

  function refused(mutated: Uint8Array, why: RegExp): void {
    const consumer = DiffCache.consumer()
    consumer.update(DiffCache.producer().update({ key: 'z', v: 0 }))
    const before = snapshot(consumer)
    assert.throws(() => DataMsg.decode(mutated), InvalidMessageError)
    assert.throws(
      () => consumer.update(mutated),
      (err: unknown) => err instanceof InvalidMessageError && why.test(err.message),
    )
    assert.equal(snapshot(consumer), before)
  }

  test('the layout: bit 7 of the head, extension 1, then the digest', () => {
    assert.equal(bytes[0]! & 0x80, 0x80)
    assert.equal(bytes[1], 1)
    assert.equal(bytes[at], 3) // all writers, shares listed
    const decoded = DataMsg.decode(bytes)
    const source = decoded.source as SourceDigest
    assert.equal(source.writers, 'all')
    assert.equal(source.records, 2)
    assert.equal(source.shares!.length, 2)
    assert.deepEqual(source, ret.source)
    // updates and deletes carry none: their bytes did not change
    assert.equal(producer.update({ key: 'a', n: 5 }).encode()[0]! & 0x80, 0)
  })

  test('malformed digests are InvalidMessageError and change nothing', () => {
    const set = (i: number, v: number) => {
      const out = bytes.slice()
      out[i] = v
      return out
    }
    refused(set(1, 0), /extension flag without extensions/)
    refused(set(1, 2), /newer DiffStream format/)
    refused(set(1, 0x81), /newer|integer|truncated|count|exceed|flags|digest|state vector/) // a longer varuint
    refused(set(at, 7), /unknown source digest flags/)
    refused(set(at + 1, 0x7f), /count 127 exceeds/)
    refused(bytes.slice(0, at + 3), /truncated|count/)
    // a share changed: the digest no longer matches
    const source = ret.source!
    const tampered = new DataMsg({
      cmd: 'ret',
      key: 'a',
      update: ret.update,
      checksum: ret.checksum,
      state: ret.state,
      source: { ...source, shares: [source.shares![0]! ^ 1, source.shares![1]!] },
    })
    assert.throws(() => tampered.encode(), /digest does not match the shares/)
    // the same in bytes: any bit of the digest (4 bytes) or of the two shares (8 bytes)
    let flipped = 0
    for (let i = at; i < bytes.length; i++) {
      const out = bytes.slice()
      out[i] = out[i]! ^ 0x10
      try {
        DataMsg.decode(out)
      } catch (err) {
        if (err instanceof InvalidMessageError && /does not match its shares/.test(err.message)) flipped++
      }
    }
    assert.ok(flipped >= 12, String(flipped))
    // a digest on another command
    const onUpd = bytes.slice()
    onUpd[0] = (onUpd[0]! & ~0b11) | 1
    refused(onUpd, /not a ret/)
    assert.throws(() => new DataMsg({ cmd: 'upd', key: 'a', update: ret.update, source }).encode(), InvalidMessageError)
    // a client twice in the state vector
    const twice = new DataMsg({ ...ret, source: { ...source, stateVector: new Map([[1, 2]]) } }).encode()
    // state vector "1 entry: client 1, clock 2" (3 bytes after the flags) → 2 entries, the same client twice
    const i = at + 1
    assert.deepEqual(Array.from(twice.subarray(i, i + 3)), [1, 1, 2])
    const withTwo = new Uint8Array(twice.length + 2)
    withTwo.set(twice.subarray(0, i))
    withTwo.set([2, 1, 2, 1, 2], i)
    withTwo.set(twice.subarray(i + 3), i + 5)
    refused(withTwo, /client twice/)
  })

  test('fields set by hand are checked before encoding', () => {
    const bad: unknown[] = [
      { ...ret.source!, stateVector: [[1, 2]] },
      { ...ret.source!, stateVector: new Map([[-1, 2]]) },
      { ...ret.source!, writers: 'some' },
      { ...ret.source!, records: 1.5 },
      { ...ret.source!, digest: 2 ** 32 },
      { ...ret.source!, shares: [1] },
      42,
    ]
    for (const source of bad) {
      const msg = new DataMsg({ cmd: 'ret', key: 'a', update: ret.update })
      ;(msg as { source: unknown }).source = source
      assert.throws(() => msg.encode(), InvalidMessageError, JSON.stringify(source))
      assert.throws(() => DiffCache.consumer().update(msg), InvalidMessageError)
    }
  })
})
