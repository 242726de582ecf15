// Signed rooms (docs/writers.md) with real processes over real WebRTC: only the listed writer's
// writes are accepted anywhere. A consumer that writes anyway (a DiffStream peer that thinks the room
// is open), an outsider with an unlisted key and a y-webrtc peer with the password are each refused by
// every copy and dropped, nothing changes; the producer's writes still flow, relayed with their
// signatures across a partial mesh to consumers that never linked to the producer, a compaction's
// base is signed by the producer, and a late joiner catches up from copies that never wrote.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { createWriterKey, type WriterKeyPair } from '@diffstream/core'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess, type PeerOptions } from '../helpers/peer-process.js'
import { LineProcess, type Records } from '../helpers/line-process.js'
import type { RoomStats } from '../../core/src/net/types.js'
import { sortDeep } from '../helpers/sort-deep.js'

const Y_PEER = fileURLToPath(new URL('../helpers/ywebrtc-peer.ts', import.meta.url))

class YPeer extends LineProcess<{ records: Records; peers: string[] }> {
  constructor(room: string, signaling: string, password: string) {
    super('y-webrtc', Y_PEER, ['--room', room, '--signaling', signaling, '--password', password])
  }
}

let server: SignalingProcess
const procs: Array<LineProcess<{ records: Records }>> = []
let key: WriterKeyPair
let outsiderKey: WriterKeyPair

before(async () => {
  server = await startSignalingProcess()
  key = await createWriterKey()
  outsiderKey = await createWriterKey()
})
after(async () => {
  await Promise.all(procs.map((p) => p.kill()))
  await server.stop()
})

function start(o: Omit<PeerOptions, 'signaling' | 'password'>): PeerProcess {
  const p = new PeerProcess({ signaling: server.url, password: 'pw', ...o })
  procs.push(p)
  return p
}

type Dump = { records: Records; peers: string[]; stats: RoomStats }
const dump = async (p: PeerProcess): Promise<Dump> => (await p.dump()) as unknown as Dump
// field order is not part of a record (a compaction's base writes fields sorted)
const sorted = (r: Records): string => JSON.stringify(sortDeep(r))

test('a signed room refuses the writes of a consumer, an unlisted key and a y-webrtc peer everywhere', { timeout: 180_000 }, async () => {
  const room = 'signed-room'
  const signed = { room, writers: [key.publicKey] }
  const producer = start({ ...signed, name: 'producer', role: 'producer', writerKey: key })
  const consumers = [1, 2].map((i) => start({ ...signed, name: `consumer-${i}`, role: 'consumer' }))
  const copies = [producer, ...consumers]
  await Promise.all(copies.map((p) => p.peers(2)))
  producer.send({ op: 'update', data: { key: 'lot-1', price: 10 } })
  await Promise.all(consumers.map((c) => c.until((r) => (r['lot-1'] as { price?: number })?.price === 10)))
  const base = sorted((await dump(producer)).records)

  /** Starts an attacker, waits until every copy refused it, and checks that nothing changed. */
  async function refusedEverywhere(what: string, attacker: LineProcess<{ records: Records }>, write: () => void) {
    const refusals = copies.map((c) => c.waitFor((e) => e.event === 'refused', 60_000))
    await attacker
      .waitFor((e) => e.event === 'peers' && Array.isArray(e.peers) && e.peers.length >= 3, 45_000, true)
      .catch((err: Error) => {
        throw new Error(`${what}: ${err.message}\n${JSON.stringify(attacker.events).slice(-3000)}`)
      })
    write()
    const seen = await Promise.all(refusals)
    for (const e of seen) assert.equal(e.error, 'UnauthorizedWriteError', `${what}: ${JSON.stringify(e)}`)
    for (const c of copies) {
      const d = await dump(c)
      assert.equal(sorted(d.records), base, `${what}: ${c.name} changed`)
      assert.ok(d.stats.refused >= 1 && d.stats.droppedPeers >= 1, `${what}: ${c.name} ${JSON.stringify(d.stats)}`)
    }
  }

  // A DiffStream peer with the password that takes the room for open: its plain updates are refused.
  const open = start({ room, name: 'open-peer', role: 'peer' })
  await refusedEverywhere('unsigned DiffStream write', open, () =>
    open.send({ op: 'update', data: { key: 'forged-open', price: 1 } }),
  )
  await open.kill()

  // A peer that lists its own key too: its binding is for a key the others do not list.
  const outsider = start({ room, writers: [key.publicKey, outsiderKey.publicKey], writerKey: outsiderKey, name: 'outsider' })
  await refusedEverywhere('unlisted key', outsider, () =>
    outsider.send({ op: 'update', data: { key: 'forged-key', price: 2 } }),
  )
  const refusedKey = copies.map((c) => c.events.filter((e) => e.event === 'refused').at(-1)!)
  for (const e of refusedKey) assert.match(String(e.message), /not a listed writer/)
  await outsider.kill()

  // A real y-webrtc peer with the password: it reads, but its write is refused.
  const y = new YPeer(room, server.url, 'pw')
  procs.push(y)
  await y.until((r) => (r['lot-1'] as { price?: number } | undefined)?.price === 10, 45_000)
  await refusedEverywhere('y-webrtc write', y, () => y.send({ op: 'set', key: 'forged-y', fields: { price: 3 } }))
  for (const c of copies)
    assert.ok(c.events.some((e) => e.event === 'warning' && /y-webrtc: in a signed room it can read but not write/.test(String(e.message))))
  await y.kill()

  // The producer's writes still flow; a consumer cannot write locally either.
  producer.send({ op: 'update', data: { key: 'lot-1', price: 11 } })
  producer.send({ op: 'update', data: { key: 'lot-2', price: 20 } })
  await Promise.all(consumers.map((c) => c.until((r) => (r['lot-1'] as { price?: number })?.price === 11 && r['lot-2'] !== undefined)))
  const err = consumers[0]!.waitFor((e) => e.event === 'error')
  consumers[0]!.send({ op: 'update', data: { key: 'x', price: 0 } })
  assert.match(String((await err).message), /ReadOnlyError/)
  const final = await Promise.all(copies.map(dump))
  for (const d of final) {
    assert.equal(sorted(d.records), sorted(final[0]!.records))
    assert.deepEqual(Object.keys(d.records).sort(), ['lot-1', 'lot-2'])
  }
})

test('signatures are relayed across a partial mesh; after a signed compaction a late joiner catches up from consumers', { timeout: 180_000 }, async () => {
  const room = 'signed-mesh'
  const signed = { room, writers: [key.publicKey], maxConns: 3 }
  const producer = start({ ...signed, name: 'producer', role: 'producer', writerKey: key })
  // One at a time, each into the connected part (a random partial mesh can leave two newcomers that
  // meet first as an island of their own, which is not what this test is about).
  const consumers: PeerProcess[] = []
  for (const i of [1, 2, 3, 4, 5]) {
    const c = start({ ...signed, name: `consumer-${i}`, role: 'consumer' })
    consumers.push(c)
    await c.peers(1)
  }
  const expected: Records = {}
  for (let i = 0; i < 60; i++) {
    const r = { key: `lot-${i % 15}`, last_bid: { user: `u${i}`, price: i } }
    expected[r.key] = r
    producer.send({ op: 'update', data: r })
    if (i % 10 === 9) await new Promise((res) => setTimeout(res, 50))
  }
  const want = sorted(expected)
  await Promise.all(consumers.map((c) => c.until((r) => sorted(r) === want, 60_000))).catch(async (err: Error) => {
    const all = await Promise.all([producer, ...consumers].map(async (p) => [p.name, p.events.find((e) => e.event === 'started')?.peerId, (await dump(p)).peers, (await dump(p)).stats]))
    throw new Error(`${err.message.slice(0, 300)}\n${JSON.stringify(all)}`)
  })
  const producerId = String(producer.events.find((e) => e.event === 'started')!.peerId)
  const dumps = await Promise.all(consumers.map(dump))
  // maxConns 3: at most three consumers hold a link to the producer; the others got its writes relayed.
  const far = dumps.filter((d) => !d.peers.includes(producerId))
  assert.ok(far.length >= 2, `consumers not linked to the producer: ${far.length}`)
  for (const d of dumps) assert.equal(d.stats.refused, 0)

  // The producer compacts: it signs the new epoch's base, and every consumer follows.
  producer.send({ op: 'compact' })
  for (let i = 60; i < 80; i++) {
    const r = { key: `lot-${i % 15}`, last_bid: { user: `u${i}`, price: i } }
    expected[r.key] = r
    producer.send({ op: 'update', data: r })
  }
  const after = sorted(expected)
  await Promise.all(consumers.map((c) => c.until((r) => sorted(r) === after, 60_000)))
  const epoch = ((await producer.dump()) as unknown as { epoch: number }).epoch
  assert.ok(epoch > 0)
  for (const c of consumers) assert.equal(((await c.dump()) as unknown as { epoch: number }).epoch, epoch)

  // The producer leaves; a late joiner catches up from consumers alone: the writer-signed base of
  // the epoch, then the signed batches since, each verified.
  await producer.kill()
  const late = start({ ...signed, name: 'late', role: 'consumer' })
  const caught = await late.until((r) => sorted(r) === after, 60_000)
  assert.equal((caught as unknown as { epoch: number }).epoch, epoch)
  assert.equal((await dump(late)).stats.refused, 0)
})

test('a writer restarted from its store signs what it restored: a fresh consumer gets it', { timeout: 180_000 }, async () => {
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'ds-signed-store-'))
  const room = 'signed-store'
  const signed = { room, writers: [key.publicKey] }
  const first = start({ ...signed, name: 'producer', role: 'producer', writerKey: key, store: dir })
  await first.waitFor((e) => e.event === 'started')
  first.send({ op: 'update', data: { key: 'kept', price: 1 } })
  await first.waitFor((e) => e.event === 'stored')
  await first.kill('SIGTERM')
  const again = start({ ...signed, name: 'producer-again', role: 'producer', writerKey: key, store: dir })
  const consumer = start({ ...signed, name: 'fresh', role: 'consumer' })
  await consumer.until((r) => (r['kept'] as { price?: number } | undefined)?.price === 1, 60_000)
  assert.equal((await dump(consumer)).stats.refused, 0)
  assert.deepEqual(Object.keys((await dump(again)).records), ['kept'])
})
