// Signed rooms (docs/writers.md) below the network: the binding and signed-batch frames (types 24
// and 25) come from other machines, so malformed ones are typed errors; bindings for unlisted keys,
// bad signatures and structs of unbound clients are refused (UnauthorizedWriteError) and the sender
// dropped with nothing applied, while a listed writer's batches, relayed by a copy that never wrote,
// verify and apply.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as Y from 'yjs'
import { createWriterKey, type WriterKeyPair } from '@diffstream/core'
import { InvalidMessageError, UnauthorizedWriteError } from '../../core/src/errors.js'
import { decodeFrame, encodeUpdate } from '../../core/src/net/frames.js'
import { Replica, type ReplicaLink } from '../../core/src/net/replica.js'
import { BatchSigner } from '../../core/src/net/signed-batch.js'
import { WriterBindings } from '../../core/src/net/writer-binding.js'
import {
  encodeBinding,
  encodeSignedBatch,
  encodeBase,
  MESSAGE_BASE_SIGNATURE,
  MESSAGE_SIGNED_BASE,
  MESSAGE_SIGNED_BATCH,
  MESSAGE_WRITER_BINDING,
} from '../../core/src/net/writer-frames.js'
import { fromBase64Url } from '../../core/src/net/writer-key.js'

const ROOM = 'unit-room'

/** A Yjs update of one record written by `client`, at clock `at` (a future clock forges). */
function updateBy(client: number, key: string, value: number, at = 0): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = client
  const map = doc.getMap('diffstream')
  for (let i = 0; i < at; i++) map.set(`pad-${i}`, i)
  const sv = Y.encodeStateVector(doc)
  map.set(key, value)
  return Y.encodeStateAsUpdate(doc, sv)
}

test('writer keys are 32-byte Ed25519 public keys and PKCS#8 private keys, base64url', async () => {
  const k = await createWriterKey()
  assert.match(k.publicKey, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(fromBase64Url(k.publicKey).length, 32)
  assert.ok(fromBase64Url(k.privateKey).length >= 48)
  assert.notEqual((await createWriterKey()).publicKey, k.publicKey)
})

test('the binding and signed-batch frames round-trip; malformed ones are InvalidMessageError', async () => {
  const key = await createWriterKey()
  const signer = new BatchSigner(ROOM, key)
  const binding = await signer.bind(1234567)
  const decoded = decodeFrame(encodeBinding(binding))
  assert.equal(decoded.kind, 'writer-binding')
  if (decoded.kind === 'writer-binding') {
    assert.equal(decoded.client, 1234567)
    assert.deepEqual(Array.from(decoded.publicKey), Array.from(binding.publicKey))
    assert.deepEqual(Array.from(decoded.signature), Array.from(binding.signature))
  }
  const batch = await signer.sign(3, 1234567, updateBy(1234567, 'a', 1))
  const frame = encodeSignedBatch(batch, true)
  const back = decodeFrame(frame)
  assert.equal(back.kind, 'signed-batch')
  if (back.kind === 'signed-batch') {
    assert.equal(back.answer, true)
    assert.equal(back.epoch, 3)
    assert.equal(back.signer, 1234567)
    assert.deepEqual(Array.from(back.update), Array.from(batch.update))
  }
  const bad: Array<[string, Uint8Array]> = [
    ['a binding cut in its key', Uint8Array.of(MESSAGE_WRITER_BINDING, 1, 2, 3)],
    ['a binding without its signature', encodeBinding(binding).subarray(0, 40)],
    ['a binding with trailing bytes', Uint8Array.from([...encodeBinding(binding), 0])],
    ['a batch with unknown flags', Uint8Array.from([MESSAGE_SIGNED_BATCH, 7, ...frame.subarray(2)])],
    ['a batch cut in its signature', frame.subarray(0, 30)],
    ['a batch without an update', frame.subarray(0, frame.length - batch.update.length)],
    ['a batch whose signer never ends', Uint8Array.of(MESSAGE_SIGNED_BATCH, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80)],
  ]
  const baseSig = await signer.signBase({ epoch: 5, parent: 2, cutState: 0xfeedbeef }, 1234567, Uint8Array.of(0, 0))
  const base = decodeFrame(encodeBase(baseSig, Uint8Array.of(0, 0)))
  assert.equal(base.kind, 'signed-base')
  if (base.kind === 'signed-base') assert.deepEqual([base.epoch, base.parent, base.cutState, base.signer], [5, 2, 0xfeedbeef, 1234567])
  assert.equal(decodeFrame(encodeBase(baseSig, null)).kind, 'base-signature')
  bad.push(
    ['a signed base without a state', Uint8Array.from([MESSAGE_SIGNED_BASE, ...encodeBase(baseSig, null).subarray(1)])],
    ['a base signature with trailing bytes', Uint8Array.from([...encodeBase(baseSig, null), 1])],
    ['a base whose parent is not older', encodeBase({ ...baseSig, parent: 5 }, null)],
  )
  for (const [what, bytes] of bad) assert.throws(() => decodeFrame(bytes), InvalidMessageError, what)
  fc.assert(
    fc.property(fc.integer({ min: MESSAGE_WRITER_BINDING, max: MESSAGE_BASE_SIGNATURE }), fc.uint8Array({ maxLength: 120 }), (type, rest) => {
      try {
        decodeFrame(Uint8Array.from([type, ...rest]))
      } catch (err) {
        assert.ok(err instanceof InvalidMessageError, String(err))
      }
    }),
    { numRuns: 2000 },
  )
})

test('bindings: unlisted keys, bad signatures and rebinding a client are refused', async () => {
  const writer = await createWriterKey()
  const stranger = await createWriterKey()
  const bindings = new WriterBindings(ROOM, [writer.publicKey])
  const good = await new BatchSigner(ROOM, writer).bind(42)
  assert.equal(await bindings.accept(good), true)
  assert.equal(await bindings.accept(good), false, 'held already')
  await assert.rejects(bindings.accept(await new BatchSigner(ROOM, stranger).bind(43)), UnauthorizedWriteError)
  const forged = { ...(await new BatchSigner(ROOM, writer).bind(44)), client: 45 }
  await assert.rejects(bindings.accept(forged), /bad signature/)
  // another room's binding does not count here
  await assert.rejects(bindings.accept(await new BatchSigner('other-room', writer).bind(46)), /bad signature/)
  const second = await createWriterKey()
  const both = new WriterBindings(ROOM, [writer.publicKey, second.publicKey])
  await both.accept(good)
  await assert.rejects(both.accept(await new BatchSigner(ROOM, second).bind(42)), /bound to another writer/)

  const signer = new BatchSigner(ROOM, writer)
  const batch = await signer.sign(0, 42, updateBy(42, 'a', 1))
  await bindings.verify(batch, bindings.check(batch, [42]))
  const flipped = { ...batch, signature: batch.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) }
  await assert.rejects(bindings.verify(flipped, bindings.check(flipped, [42])), UnauthorizedWriteError)
  const otherEpoch = { ...batch, epoch: 1 }
  await assert.rejects(bindings.verify(otherEpoch, bindings.check(otherEpoch, [42])), /bad signature/)
  assert.throws(() => bindings.check(batch, [42, 99]), /client 99, which no writer bound/)
  assert.throws(() => bindings.check({ ...batch, signer: 7 }, [42]), UnauthorizedWriteError)
})

interface Net {
  deliver(): Promise<void>
  links: Map<string, ReplicaLink>
  dropped: string[]
}

/** Replicas joined pairwise by in-memory links (`edges`), frames delivered in order by `deliver`. */
function connect(nodes: Record<string, Replica>, edges: Array<[string, string]>): Net {
  const queues: Array<{ to: string; from: string; frame: Uint8Array }> = []
  const links = new Map<string, ReplicaLink>()
  const dropped: string[] = []
  const closed = new Set<string>()
  for (const [a, b] of edges) {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      links.set(`${x}>${y}`, {
        id: y,
        followsEpochs: true,
        send: (frame) => {
          if (!closed.has(`${x}>${y}`)) queues.push({ to: y, from: x, frame })
        },
        drop: (reason) => {
          dropped.push(`${x} dropped ${y}: ${reason}`)
          closed.add(`${x}>${y}`).add(`${y}>${x}`)
        },
      })
    }
  }
  for (const [a, b] of edges) {
    nodes[a]!.open(links.get(`${a}>${b}`)!)
    nodes[b]!.open(links.get(`${b}>${a}`)!)
  }
  return {
    links,
    dropped,
    async deliver() {
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 2))
        const batch = queues.splice(0)
        if (batch.length === 0 && i > 5) return
        for (const m of batch) {
          if (closed.has(`${m.from}>${m.to}`)) continue
          nodes[m.to]!.receive(links.get(`${m.to}>${m.from}`)!, decodeFrame(m.frame))
        }
      }
    },
  }
}

const signedReplica = (writers: string[], writerKey?: WriterKeyPair): Replica =>
  new Replica({ compacts: false, compaction: false, signed: { room: ROOM, writers, writerKey } })

test('a writer’s batches reach a copy through a relay that never wrote; forged frames are refused and dropped', async () => {
  const key = await createWriterKey()
  const writer = signedReplica([key.publicKey], key)
  const relay = signedReplica([key.publicKey])
  const reader = signedReplica([key.publicKey])
  const refused: string[] = []
  for (const r of [writer, relay, reader]) r.on('refused', (peer, err) => refused.push(`${peer}: ${err.message}`))
  const net = connect({ writer, relay, reader }, [
    ['writer', 'relay'],
    ['relay', 'reader'],
  ])
  await net.deliver()
  writer.write('lot-1', { key: 'lot-1', price: 10 }, 'local')
  writer.write('lot-2', { key: 'lot-2', price: 20 }, 'local')
  await net.deliver()
  assert.deepEqual(reader.mirror.read('lot-1'), { key: 'lot-1', price: 10 })
  assert.deepEqual(reader.mirror.read('lot-2'), { key: 'lot-2', price: 20 })
  assert.deepEqual(refused, [])
  // a non-writer's write never leaves it (and the room's cache would throw ReadOnlyError before)
  relay.write('lot-3', { key: 'lot-3', price: 1 }, 'local')
  await net.deliver()
  assert.equal(reader.mirror.read('lot-3'), undefined)

  // A forger linked to the reader: an unsigned update, then (on a new link) a signed batch whose
  // signature was tampered with, then a batch from a client no writer bound.
  const before = JSON.stringify(reader.mirror.diff())
  const forge = async (frame: Uint8Array, expect: RegExp) => {
    const count = refused.length
    const link: ReplicaLink = { id: 'forger', followsEpochs: true, send: () => undefined, drop: (r) => net.dropped.push(r) }
    reader.open(link)
    reader.receive(link, decodeFrame(Uint8Array.of(11, 0, 0, 0, 0, 0, 0))) // epoch hello, epoch 0
    reader.receive(link, decodeFrame(frame))
    await new Promise((r) => setTimeout(r, 20))
    reader.close(link)
    assert.equal(refused.length, count + 1, String(expect))
    assert.match(refused.at(-1)!, expect)
    assert.match(net.dropped.at(-1)!, /UnauthorizedWriteError/)
    assert.equal(JSON.stringify(reader.mirror.diff()), before)
  }
  const writerClient = writer.mirror.doc.clientID
  await forge(encodeUpdate(updateBy(writerClient, 'forged', 1, 100)), /unsigned update/)
  const signer = new BatchSigner(ROOM, key)
  const good = await signer.sign(0, writerClient, updateBy(987654, 'forged', 2))
  await forge(encodeSignedBatch(good, false), /client 987654, which no writer bound/)
  const stranger = await createWriterKey()
  const theirs = await new BatchSigner(ROOM, stranger).sign(0, writerClient, updateBy(writerClient + 1, 'forged', 3))
  await forge(encodeSignedBatch(theirs, false), /no writer bound|bad signature/)
  const real = await signer.sign(0, writerClient, updateBy(writerClient, 'forged', 4, 100))
  await forge(encodeSignedBatch({ ...real, update: updateBy(writerClient, 'forged', 5, 100) }, false), /bad signature/)
  await forge(encodeBinding(await new BatchSigner(ROOM, stranger).bind(5)), /not a listed writer/)
  for (const r of [writer, relay, reader]) r.destroy()
})

test('compaction in a signed room: the writer signs the base, copies that never wrote hand it to a late joiner', async () => {
  const key = await createWriterKey()
  const writer = signedReplica([key.publicKey], key)
  const relay = signedReplica([key.publicKey])
  const reader = signedReplica([key.publicKey])
  const late = signedReplica([key.publicKey])
  const refused: string[] = []
  for (const r of [writer, relay, reader, late]) r.on('refused', (peer, err) => refused.push(`${peer}: ${err.message}`))
  const net = connect({ writer, relay, reader }, [
    ['writer', 'relay'],
    ['relay', 'reader'],
  ])
  await net.deliver()
  for (let i = 0; i < 40; i++) writer.write(`lot-${i % 7}`, { key: `lot-${i % 7}`, price: i }, 'local')
  await net.deliver()
  writer.compact()
  await net.deliver()
  await writer.gate!.idle()
  await net.deliver()
  assert.ok(writer.epoch > 0)
  assert.equal(relay.epoch, writer.epoch)
  assert.equal(reader.epoch, writer.epoch)
  writer.write('lot-after', { key: 'lot-after', price: 1 }, 'local')
  await net.deliver()
  assert.deepEqual(reader.mirror.read('lot-after'), { key: 'lot-after', price: 1 })

  // a newcomer linked only to the reader: it wants the base, the reader sends the writer-signed one
  const net2 = connect({ reader, late }, [['reader', 'late']])
  await net2.deliver()
  assert.equal(late.epoch, writer.epoch)
  assert.equal(late.mirror.fingerprint(), writer.mirror.fingerprint())
  assert.deepEqual(late.mirror.read('lot-3'), writer.mirror.read('lot-3'))
  assert.deepEqual(refused, [])

  // an unsigned epoch base (type 13) is refused
  const link: ReplicaLink = { id: 'forger', followsEpochs: true, send: () => undefined, drop: (r) => net.dropped.push(r) }
  late.open(link)
  const { encodeEpochBase } = await import('../../core/src/net/frames.js')
  late.receive(link, decodeFrame(encodeEpochBase({ epoch: late.epoch + 5, parent: late.epoch, cutState: 0 }, late.mirror.diff())))
  await new Promise((r) => setTimeout(r, 20))
  assert.match(refused.at(-1)!, /epoch base/)
  for (const r of [writer, relay, reader, late]) r.destroy()
})

test('two listed writers: each one’s writes, and their concurrent writes of one record, converge on every copy', async () => {
  const keyA = await createWriterKey()
  const keyB = await createWriterKey()
  const writers = [keyA.publicKey, keyB.publicKey]
  const a = signedReplica(writers, keyA)
  const b = signedReplica(writers, keyB)
  const reader = signedReplica(writers)
  const refused: string[] = []
  for (const r of [a, b, reader]) r.on('refused', (peer, err) => refused.push(`${peer}: ${err.message}`))
  const net = connect({ a, b, reader }, [
    ['a', 'reader'],
    ['reader', 'b'],
  ])
  await net.deliver()
  a.write('from-a', { key: 'from-a', v: 1 }, 'local')
  b.write('from-b', { key: 'from-b', v: 2 }, 'local')
  await net.deliver()
  // concurrent writes of one record: neither saw the other's
  a.write('both', { key: 'both', v: 'a' }, 'local')
  b.write('both', { key: 'both', v: 'b' }, 'local')
  await net.deliver()
  await net.deliver()
  for (const r of [a, b, reader]) {
    assert.deepEqual(r.mirror.read('from-a'), { key: 'from-a', v: 1 })
    assert.deepEqual(r.mirror.read('from-b'), { key: 'from-b', v: 2 })
    assert.deepEqual(r.mirror.read('both'), a.mirror.read('both'))
  }
  assert.deepEqual(refused, [])
  assert.deepEqual(net.dropped, [])
  for (const r of [a, b, reader]) r.destroy()
})
