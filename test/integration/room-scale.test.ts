// Rooms without flooding, with real processes over real WebRTC: in a full mesh an update crosses
// each link about once (the consumers together receive about what the producer sends), and a
// partial mesh (maxConns: 2) still converges through relays.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess } from '../helpers/peer-process.js'
import { sortDeep } from '../helpers/sort-deep.js'
import type { RoomStats } from '../../core/src/net/types.js'

let server: SignalingProcess
const peers: PeerProcess[] = []
const start = (o: ConstructorParameters<typeof PeerProcess>[0]): PeerProcess => {
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

const stats = async (p: PeerProcess): Promise<RoomStats> => ((await p.dump()) as unknown as { stats: RoomStats }).stats
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * The producer streams `count` auction bids (chunks of 10 every 20 ms) over 40 lots; returns the
 * bytes the producer sent and the bytes all consumers received meanwhile, once all have converged.
 */
async function stream(producer: PeerProcess, consumers: PeerProcess[], count: number, tag: string) {
  const expected: Record<string, unknown> = {}
  const before = await Promise.all([producer, ...consumers].map(stats))
  for (let i = 0; i < count; i += 10) {
    const records = Array.from({ length: 10 }, (_, j) => {
      const n = i + j
      const r = {
        key: `${tag}-${n % 40}`,
        title: `Lot ${n % 40}`,
        last_bid: { user: `u${n}`, price: n, time: 1000 + n },
      }
      expected[r.key] = r
      return r
    })
    producer.send({ op: 'updateMany', records })
    await sleep(20)
  }
  const want = JSON.stringify(sortDeep(expected))
  const mine = (r: Record<string, unknown>): string =>
    JSON.stringify(sortDeep(Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith(`${tag}-`)))))
  await Promise.all(consumers.map((c) => c.until((r) => mine(r) === want, 60_000)))
  const after = await Promise.all([producer, ...consumers].map(stats))
  const sent = after[0]!.bytesSent - before[0]!.bytesSent
  const received = after.slice(1).reduce((a, s, i) => a + s.bytesReceived - before[i + 1]!.bytesReceived, 0)
  return { sent, received, ratio: received / sent }
}

describe('rooms without flooding', { timeout: 180_000 }, () => {
  test('1 producer and 6 consumers in a password room: the consumers receive at most 1.2x what the producer sends', async () => {
    const room = { room: 'scale-full-mesh', signaling: server.url, password: 'secret' }
    const producer = start({ ...room, role: 'producer', name: 'producer' })
    const consumers = Array.from({ length: 6 }, (_, i) => start({ ...room, role: 'consumer', name: `c${i + 1}` }))
    // A full mesh: everyone links to everyone (7 peers, under the default target of 8 links).
    await Promise.all([producer.peers(6, 60_000), ...consumers.map((c) => c.peers(6, 60_000))])
    // the first stream builds the trees; the second is measured
    await stream(producer, consumers, 100, 'warm')
    const { sent, received, ratio } = await stream(producer, consumers, 400, 'lot')
    console.log(`1 -> 6: producer sent ${sent} B, consumers received ${received} B together: ${ratio.toFixed(3)}x`)
    assert.ok(ratio <= 1.2, `consumers received ${ratio.toFixed(2)}x what the producer sent`)
  })

  test('1 producer and 3 consumers with maxConns 2 (a partial mesh): everyone converges', async () => {
    const room = { room: 'scale-partial', signaling: server.url, password: 'secret', maxConns: 2 }
    const producer = start({ ...room, role: 'producer', name: 'producer' })
    const consumers = Array.from({ length: 3 }, (_, i) => start({ ...room, role: 'consumer', name: `c${i + 1}` }))
    await Promise.all([producer, ...consumers].map((p) => p.peers(1, 60_000)))
    const { sent, received, ratio } = await stream(producer, consumers, 400, 'lot')
    console.log(
      `1 -> 3, maxConns 2: producer sent ${sent} B, consumers received ${received} B together: ${ratio.toFixed(3)}x`,
    )
    for (const p of [producer, ...consumers]) {
      const most = Math.max(...p.events.filter((e) => e.event === 'peers').map((e) => (e.peers as string[]).length))
      assert.ok(most <= 2, `${p.name} held ${most} links`)
    }
    const dumps = await Promise.all(consumers.map((c) => c.dump()))
    for (const d of dumps) assert.deepEqual(sortDeep(d.records), sortDeep(dumps[0]!.records))
  })
})
