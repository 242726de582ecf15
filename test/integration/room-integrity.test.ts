// Anti-entropy with real processes (docs/anti-entropy.md): a member forges updates under the
// producer's Yjs client id and sends them to ONE consumer only; that consumer notices, heals from
// the producer, and drops the forger's link, and the producer's writes keep flowing to everyone.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { sortDeep } from '../helpers/sort-deep.js'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess, type PeerEvent } from '../helpers/peer-process.js'
import { startForger, type Forger } from '../helpers/forger-peer.js'

let server: SignalingProcess
const peers: PeerProcess[] = []
const forgers: Forger[] = []
const start = (o: ConstructorParameters<typeof PeerProcess>[0]) => {
  const p = new PeerProcess(o)
  peers.push(p)
  return p
}

before(async () => {
  server = await startSignalingProcess()
})
after(async () => {
  for (const f of forgers) f.close()
  await Promise.all(peers.map((p) => p.kill()))
  await server.stop()
})

const same = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(sortDeep(a)) === JSON.stringify(sortDeep(b))

interface Stats {
  divergences: number
  heals: number
  forgedRefused: number
  forgersDropped: number
  droppedPeers: number
}

/** A producer with 5 lots and two consumers, all linked and holding the lots. */
async function room(name: string) {
  const base = { room: name, signaling: server.url, digestMs: 1000 }
  const producer = start({ ...base, role: 'producer', name: 'producer' })
  const c1 = start({ ...base, role: 'consumer', name: 'c1' })
  const c2 = start({ ...base, role: 'consumer', name: 'c2' })
  await Promise.all([producer.peers(2), c1.peers(2), c2.peers(2)])
  const lots = Array.from({ length: 5 }, (_, i) => ({ key: `lot-${i}`, title: `Lot ${i}`, price: 10 * i }))
  producer.send({ op: 'updateMany', records: lots })
  const all = (r: Record<string, unknown>) => Object.keys(r).length === 5
  await Promise.all([c1.until(all), c2.until(all)])
  const started = await c1.waitFor((e) => e.event === 'started', 1000, true)
  return { producer, c1, c2, c1Id: String(started.peerId), name }
}

/** The producer's Yjs client id, as the forger's copy of the document shows it (the only writer). */
function producerClient(doc: Y.Doc): number {
  const clients = Array.from(doc.store.clients.keys())
  assert.equal(clients.length, 1, 'one writer in the room')
  return clients[0]!
}

async function converged(producer: PeerProcess, consumers: PeerProcess[], check: (r: Record<string, unknown>) => boolean) {
  const { records: expected } = await producer.until(check)
  await Promise.all(consumers.map((c) => c.until((r) => same(r, expected), 20_000)))
  return expected
}

describe('anti-entropy in a room over WebRTC', { timeout: 180_000 }, () => {
  test('a forged future clock under the producer\'s client id sent to one consumer: it notices, heals, drops the forger', async () => {
    const { producer, c1, c2, c1Id, name } = await room('integrity-clock')
    const forger = await startForger(server.url, name, c1Id)
    forgers.push(forger)
    const P = producerClient(forger.doc)
    const t0 = Date.now()
    forger.forge(P, (root) => {
      const lot = root.get('lot-1') as Y.Map<unknown>
      lot.set('price', 999_999)
      lot.set('forged', true)
    })
    // c1 takes it for the producer's write (nothing tells it otherwise yet), relays it to the
    // producer, which refuses it and sends c1 a digest: c1 is ahead of what the producer wrote.
    const diverged: PeerEvent = await c1.waitFor((e) => e.event === 'diverged', 15_000, true)
    assert.equal(diverged.reason, 'forged-clock')
    assert.deepEqual(diverged.records, ['lot-1'])
    assert.deepEqual(diverged.clients, [P])
    assert.equal(diverged.healing, true)
    await c1.waitFor((e) => e.event === 'healed', 15_000, true)
    const healedIn = Date.now() - t0
    assert.ok(healedIn < 10_000, `healed in ${healedIn} ms`)
    await converged(producer, [c1, c2], (r) => (r['lot-1'] as { price: number }).price === 10)
    // the producer's next writes arrive at every consumer (c1 no longer takes them for held)
    producer.send({ op: 'update', data: { key: 'lot-1', title: 'Lot 1', price: 11 } })
    producer.send({ op: 'update', data: { key: 'lot-9', title: 'Lot 9', price: 90 } })
    const expected = await converged(producer, [c1, c2], (r) => r['lot-9'] !== undefined)
    assert.deepEqual(expected['lot-1'], { key: 'lot-1', title: 'Lot 1', price: 11 })
    // the link the forgery came from was dropped and counted
    const deadline = Date.now() + 10_000
    while (!forger.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    assert.ok(forger.closed, 'the forger\'s link is closed')
    const s1 = (await c1.dump()) as unknown as { stats: Stats; peers: string[] }
    assert.ok(s1.stats.forgersDropped >= 1, JSON.stringify(s1.stats))
    assert.ok(s1.stats.divergences >= 1 && s1.stats.heals >= 1, JSON.stringify(s1.stats))
    assert.equal(s1.peers.length, 2, 'c1 keeps its links to the producer and c2')
    // the producer never took the forgery (c1 relayed it before it knew)
    const sp = (await producer.dump()) as unknown as { stats: Stats }
    assert.equal(sp.stats.heals, 0)
  })

  test('a forged write at the producer\'s own next clock (equal state vectors, other content) heals', async () => {
    const { producer, c1, c2, c1Id, name } = await room('integrity-content')
    const forger = await startForger(server.url, name, c1Id)
    forgers.push(forger)
    const P = producerClient(forger.doc)
    // The producer writes one field of lot-2 (one struct at its next clock); the forger sends c1 a
    // struct at the same clock with other content, which races it there. Whichever c1 takes first,
    // it must end with the producer's.
    forger.forge(P, (root) => (root.get('lot-2') as Y.Map<unknown>).set('price', 666))
    producer.send({ op: 'update', data: { key: 'lot-2', title: 'Lot 2', price: 21 } })
    const expected = await converged(producer, [c1, c2], (r) => (r['lot-2'] as { price: number }).price === 21)
    assert.deepEqual(expected['lot-2'], { key: 'lot-2', title: 'Lot 2', price: 21 })
    // When the forgery got there first, c1 said so: equal state vectors with the producer, other
    // records (or, had the producer's digest come before its write, a clock ahead of it).
    const said = c1.events.filter((e) => e.event === 'diverged' && e.healing === true)
    if (said.length > 0) {
      assert.ok(said.every((e) => e.reason === 'content' || e.reason === 'forged-clock'))
      assert.ok(said.some((e) => (e.records as string[]).includes('lot-2')))
      await c1.waitFor((e) => e.event === 'healed', 15_000, true)
      // the heal showed which item was forged, and so the link it came from
      const deadline = Date.now() + 10_000
      while (!forger.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      assert.ok(forger.closed, 'the forger\'s link is closed')
    }
    producer.send({ op: 'update', data: { key: 'lot-2', title: 'Lot 2', price: 22 } })
    await converged(producer, [c1, c2], (r) => (r['lot-2'] as { price: number }).price === 22)
  })

  test('honest writers racing on the same keys: digests report nothing and nobody is dropped', async () => {
    const base = { room: 'integrity-honest', signaling: server.url, digestMs: 300 }
    const writers = ['a', 'b', 'c'].map((name) => start({ ...base, role: 'peer', name }))
    await Promise.all(writers.map((w) => w.peers(2)))
    for (let i = 0; i < 300; i++)
      for (const [n, w] of writers.entries())
        w.send({ op: 'update', data: { key: `k${i % 7}`, [`f${(i + n) % 3}`]: `${n}:${i}`, by: n } })
    const done = (r: Record<string, unknown>) => Object.keys(r).length === 7
    await Promise.all(writers.map((w) => w.until(done)))
    let dumps: Array<Record<string, unknown>> = []
    for (let tries = 0; tries < 100; tries++) {
      dumps = await Promise.all(writers.map((w) => w.dump().then((d) => d.records)))
      if (dumps.every((d) => same(d, dumps[0]!))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(dumps.every((d) => same(d, dumps[0]!)), 'converged')
    // a few more digest rounds on equal states
    await new Promise((r) => setTimeout(r, 1500))
    for (const w of writers) {
      assert.deepEqual(w.events.filter((e) => e.event === 'diverged' || e.event === 'healed'), [], w.name)
      const { stats } = (await w.dump()) as unknown as { stats: Stats }
      assert.equal(stats.droppedPeers, 0, w.name)
      assert.equal(stats.forgedRefused, 0, w.name)
    }
  })
})
