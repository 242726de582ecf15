// Rooms over real WebRTC: the real signaling server process and one process per peer.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
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
      const record = { key: `lot-${i % 20}`, title: `Lot ${i % 20}`, last_bid: { user: `u${i}`, price: i, time: 1000 + i } }
      expected[record.key] = record
      producer.send({ op: 'update', data: record })
    }
    producer.send({ op: 'delete', key: 'lot-3' })
    delete expected['lot-3']
    const same = (r: Record<string, unknown>) => JSON.stringify(sorted(r)) === JSON.stringify(sorted(expected))
    const [r1, r2] = await Promise.all([c1.until(same), c2.until(same)])
    assert.deepEqual(r1, expected)
    assert.deepEqual(r2, expected)
    // a consumer cannot write
    c1.send({ op: 'update', data: { key: 'x' } })
    const err = await c1.waitFor((e) => e.event === 'error', 5000, true)
    assert.match(String(err.message), /ReadOnlyError|consumer cannot write/)
  })
})

function sorted(r: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1))
}
