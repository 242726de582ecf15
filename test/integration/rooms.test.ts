// Rooms over real WebRTC: the real signaling server process and one process per peer.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { sortDeep } from '../helpers/sort-deep.js'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess } from '../helpers/peer-process.js'

let server: SignalingProcess
const peers: PeerProcess[] = []
const start = (o: ConstructorParameters<typeof PeerProcess>[0]) => {
  const p = new PeerProcess(o)
  peers.push(p)
  return p
}

before(async () => {
  server = await startSignalingProcess()
})
after(async () => {
  await Promise.all(peers.map((p) => p.kill()))
  await server.stop()
})

describe('rooms over WebRTC', { timeout: 120_000 }, () => {
  test('a producer and two consumers in a password room: 200 updates and a delete arrive exactly', async () => {
    const room = { room: 'auctions-1', signaling: server.url, password: 'secret' }
    const producer = start({ ...room, role: 'producer', name: 'producer' })
    const c1 = start({ ...room, role: 'consumer', name: 'c1' })
    const c2 = start({ ...room, role: 'consumer', name: 'c2' })
    await Promise.all([producer.peers(2), c1.peers(1), c2.peers(1)])
    const expected: Record<string, unknown> = {}
    for (let i = 0; i < 200; i++) {
      const record = {
        key: `lot-${i % 20}`,
        title: `Lot ${i % 20}`,
        last_bid: { user: `u${i}`, price: i, time: 1000 + i },
      }
      expected[record.key] = record
      producer.send({ op: 'update', data: record })
    }
    producer.send({ op: 'delete', key: 'lot-3' })
    delete expected['lot-3']
    const same = (r: Record<string, unknown>) => JSON.stringify(sortDeep(r)) === JSON.stringify(sortDeep(expected))
    const [{ records: r1 }, { records: r2 }] = await Promise.all([c1.until(same), c2.until(same)])
    assert.deepEqual(r1, expected)
    assert.deepEqual(r2, expected)
    // a consumer cannot write
    c1.send({ op: 'update', data: { key: 'x' } })
    const err = await c1.waitFor((e) => e.event === 'error', 5000, true)
    assert.match(String(err.message), /ReadOnlyError|consumer cannot write/)
  })

  test('a consumer killed and restarted catches up', async () => {
    const room = { room: 'restart-1', signaling: server.url }
    const producer = start({ ...room, role: 'producer', name: 'producer' })
    let consumer = start({ ...room, role: 'consumer', name: 'consumer' })
    await producer.peers(1)
    producer.send({ op: 'updateMany', records: Array.from({ length: 50 }, (_, i) => ({ key: i, v: `first ${i}` })) })
    await consumer.until((r) => Object.keys(r).length === 50)
    await consumer.kill()
    producer.send({ op: 'updateMany', records: Array.from({ length: 50 }, (_, i) => ({ key: i, v: `second ${i}` })) })
    producer.send({ op: 'delete', key: 7 })
    consumer = start({ ...room, role: 'consumer', name: 'consumer again' })
    const { records } = await consumer.until(
      (r) => Object.keys(r).length === 49 && (r['0'] as { v: string }).v === 'second 0',
    )
    assert.deepEqual(records['10'], { key: 10, v: 'second 10' })
    assert.equal(records['7'], undefined)
  })

  test('two producers writing the same keys concurrently converge', async () => {
    const room = { room: 'two-writers', signaling: server.url, password: 'pw' }
    const a = start({ ...room, role: 'producer', name: 'a' })
    const b = start({ ...room, role: 'producer', name: 'b' })
    await Promise.all([a.peers(1), b.peers(1)])
    for (let i = 0; i < 100; i++) {
      a.send({ op: 'update', data: { key: `k${i % 10}`, from: 'a', i, [`a${i % 3}`]: i } })
      b.send({ op: 'update', data: { key: `k${i % 10}`, from: 'b', i, [`b${i % 3}`]: i } })
    }
    const done = (r: Record<string, unknown>) => Object.keys(r).length === 10
    await Promise.all([a.until(done), b.until(done)])
    // keep comparing until both hold the same (they converge once every update has arrived)
    let ra: Record<string, unknown> = {}
    let rb: Record<string, unknown> = {}
    for (let tries = 0; tries < 100; tries++) {
      ;[ra, rb] = await Promise.all([a.dump().then((d) => d.records), b.dump().then((d) => d.records)])
      if (JSON.stringify(sortDeep(ra)) === JSON.stringify(sortDeep(rb))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.deepEqual(ra, rb)
    assert.equal((ra.k0 as { i: number }).i, 90)
  })

  test('a 5 MB record syncs to a newcomer in chunks', async () => {
    const room = { room: 'big-1', signaling: server.url }
    const a = start({ ...room, role: 'producer', name: 'big producer' })
    const blob = Array.from({ length: 5 * 1024 }, (_, i) => `${i}:`.padEnd(1024, String.fromCharCode(97 + (i % 26))))
    a.send({ op: 'update', data: { key: 'big', blob } })
    await a.until((r) => r.big !== undefined)
    const b = start({ ...room, role: 'consumer', name: 'newcomer' })
    const { records } = await b.until((r) => r.big !== undefined, 60_000)
    assert.deepEqual((records.big as { blob: string[] }).blob, blob)
  })

  test('the signaling server restarted mid-session: peers reconnect and keep syncing', async () => {
    const own = await startSignalingProcess()
    const room = { room: 'restart-signaling', signaling: own.url }
    const a = start({ ...room, role: 'producer', name: 'a' })
    const b = start({ ...room, role: 'consumer', name: 'b' })
    await Promise.all([a.peers(1), b.peers(1)])
    a.send({ op: 'update', data: { key: 'x', v: 1 } })
    await b.until((r) => (r.x as { v: number } | undefined)?.v === 1)
    await own.stop()
    a.send({ op: 'update', data: { key: 'x', v: 2 } }) // the WebRTC link does not need the server
    await b.until((r) => (r.x as { v: number } | undefined)?.v === 2)
    const again = await startSignalingProcess({ args: ['--port', String(own.port)] })
    try {
      // a newcomer finds both through the restarted server (their clients reconnected by themselves)
      await again.waitForLog((e) => e.event === 'subscribe' || e.event === 'subscribed', 20_000).catch(() => undefined)
      const c = start({ ...room, role: 'consumer', name: 'c' })
      await c.peers(2, 30_000)
      a.send({ op: 'update', data: { key: 'x', v: 3 } })
      await Promise.all([
        b.until((r) => (r.x as { v: number }).v === 3),
        c.until((r) => (r.x as { v: number } | undefined)?.v === 3),
      ])
    } finally {
      await again.stop()
    }
  })
})
