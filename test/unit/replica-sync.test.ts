// A room's initial sync between two replicas over an in-memory link (docs/rooms.md): a large state
// travels once, in pieces, packed with raw DEFLATE when both sides read it; each piece applies in
// its own task; hostile packed frames are refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidMessageError } from '../../core/src/errors.js'
import { Replica, type ReplicaLink } from '../../core/src/net/replica.js'
import { decodeFrame, encodeSyncPacked, MESSAGE_SYNC_PACKED } from '../../core/src/net/frames.js'
import { packingImpl } from '../../core/src/net/environment.js'

interface Wire {
  frames: number
  bytes: number
  kinds: Map<number, number>
}

/** Two replicas joined by in-memory links; frames are delivered in order when `pump` runs. */
async function pair(packedA: boolean, packedB: boolean) {
  const packing = await packingImpl()
  assert.ok(packing, 'Node has zlib')
  const a = new Replica({ compacts: false })
  const b = new Replica({ compacts: false })
  if (packedA) a.packing = packing
  if (packedB) b.packing = packing
  const toB: Uint8Array[] = []
  const toA: Uint8Array[] = []
  const wire: Wire = { frames: 0, bytes: 0, kinds: new Map() }
  const note = (f: Uint8Array): void => {
    wire.frames++
    wire.bytes += f.length
    wire.kinds.set(f[0]!, (wire.kinds.get(f[0]!) ?? 0) + 1)
  }
  const linkA: ReplicaLink = {
    id: 'b',
    followsEpochs: true,
    send: (f) => (note(f), toB.push(f)),
    drop: () => undefined,
  }
  const linkB: ReplicaLink = {
    id: 'a',
    followsEpochs: true,
    send: (f) => (note(f), toA.push(f)),
    drop: () => undefined,
  }
  const pump = async (): Promise<void> => {
    for (let i = 0; i < 1000; i++) {
      await new Promise((r) => setTimeout(r, 0))
      if (toA.length === 0 && toB.length === 0) return
      for (const f of toB.splice(0)) b.receive(linkB, decodeFrame(f))
      for (const f of toA.splice(0)) a.receive(linkA, decodeFrame(f))
    }
  }
  return { a, b, linkA, linkB, wire, pump, packing }
}

function fill(r: Replica, n: number): void {
  for (let i = 0; i < n; i++) {
    r.write(
      `rec-${i}`,
      { key: `rec-${i}`, title: `record ${i}`, price: i % 100, seller: { name: `s${i % 9}` } },
      'test',
    )
  }
}

test('a large state travels once, in packed pieces, when both sides read them', async () => {
  const { a, b, linkA, linkB, wire, pump } = await pair(true, true)
  fill(a, 5000)
  await new Promise((r) => setTimeout(r, 0))
  a.open(linkA)
  b.open(linkB)
  await pump()
  assert.equal(b.mirror.size, 5000)
  assert.deepEqual(b.mirror.read('rec-4321'), a.mirror.read('rec-4321'))
  assert.ok(b.synced)
  const state = a.mirror.stateBytes()
  assert.ok((wire.kinds.get(MESSAGE_SYNC_PACKED) ?? 0) > 3, `packed pieces: ${JSON.stringify([...wire.kinds])}`)
  assert.ok(wire.bytes < state / 3, `${wire.bytes} bytes on the wire for a state of ${state}`)
  a.destroy()
  b.destroy()
})

test('a peer that does not read packed frames gets plain pieces, and the state once', async () => {
  const { a, b, linkA, linkB, wire, pump } = await pair(true, false)
  fill(a, 5000)
  await new Promise((r) => setTimeout(r, 0))
  a.open(linkA)
  b.open(linkB)
  await pump()
  assert.equal(b.mirror.size, 5000)
  assert.equal(wire.kinds.get(MESSAGE_SYNC_PACKED) ?? 0, 0)
  const state = a.mirror.stateBytes()
  assert.ok(wire.bytes < state * 1.2, `${wire.bytes} bytes on the wire for a state of ${state}: sent once`)
  assert.ok((wire.kinds.get(0) ?? 0) > 5, 'in pieces')
  a.destroy()
  b.destroy()
})

test('hostile packed frames are refused before anything is applied', async () => {
  const { a, b, linkA, linkB, pump, packing } = await pair(true, true)
  a.open(linkA)
  b.open(linkB)
  await pump()
  const update = new Uint8Array([0, 0])
  const refuse = (frame: Uint8Array): void =>
    assert.throws(() => b.receive(linkB, decodeFrame(frame)), InvalidMessageError)
  // declares fewer bytes than it inflates to, more, or a size above the limit
  refuse(encodeSyncPacked(false, 1, packing.deflate(update)))
  refuse(encodeSyncPacked(false, 3, packing.deflate(update)))
  refuse(encodeSyncPacked(false, 2 ** 40, packing.deflate(update)))
  // a bomb: 32 MiB of zeros declared as 1 KiB
  refuse(encodeSyncPacked(false, 1024, packing.deflate(new Uint8Array(32 * 1024 * 1024))))
  refuse(encodeSyncPacked(false, 2, Uint8Array.of(1, 2, 3)))
  assert.equal(b.mirror.size, 0)
  // a peer that never announced packing refuses packed frames
  const plain = new Replica({ compacts: false })
  const link: ReplicaLink = { id: 'x', followsEpochs: true, send: () => undefined, drop: () => undefined }
  plain.open(link)
  assert.throws(
    () => plain.receive(link, decodeFrame(encodeSyncPacked(true, 2, packing.deflate(update)))),
    InvalidMessageError,
  )
  a.destroy()
  b.destroy()
  plain.destroy()
})
