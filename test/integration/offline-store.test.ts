// Offline first, end to end: a peer with a file store edits while the signaling server is down,
// is killed, restarts, and when the server comes back its edits reach the other peer and the
// other's concurrent edits (made across a compaction) reach it. Real processes, real WebRTC.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerProcess, type PeerOptions } from '../helpers/peer-process.js'
import { sortDeep } from '../helpers/sort-deep.js'
import { startSignalingProcess } from '../helpers/signaling-process.js'

const peers: PeerProcess[] = []
const dirs: string[] = []
after(async () => {
  await Promise.all(peers.map((p) => p.kill()))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function start(options: PeerOptions): PeerProcess {
  const p = new PeerProcess(options)
  peers.push(p)
  return p
}

function storeDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'diffstream-offline-'))
  dirs.push(d)
  return d
}

type Rec = Record<string, unknown>
const field = (r: Rec, key: string, f: string): unknown => (r[key] as Rec | undefined)?.[f]

test(
  'edits made offline survive a restart and merge with concurrent edits when the server comes back',
  { timeout: 180_000 },
  async () => {
    let server = await startSignalingProcess()
    const port = server.port
    const room = { room: 'offline-first', signaling: server.url, password: 'pw' }
    const dirA = storeDir()
    let a = start({ ...room, name: 'A', store: dirA })
    const b = start({ ...room, name: 'B', store: storeDir() })
    await Promise.all([a.peers(1), b.peers(1)])
    a.send({ op: 'update', data: { key: 'lot', title: 'Lamp', price: 10, note: 'none' } })
    await b.until((r) => field(r, 'lot', 'price') === 10)

    // A leaves; the server goes down; A comes back alone and edits offline, durably, then is killed
    await a.kill()
    await server.stop()
    a = start({ ...room, name: 'A again', store: dirA })
    await a.until((r) => field(r, 'lot', 'price') === 10) // its store had the data
    a.send({ op: 'update', data: { key: 'lot', title: 'Lamp', price: 25, note: 'none' } })
    a.send({ op: 'update', data: { key: 'offline-only', by: 'A' } })
    await a.waitFor((e) => e.event === 'stored' && e.key === 'offline-only')
    await a.kill('SIGKILL')

    // meanwhile B edits another field of the same record, and compacts (a new epoch A has not seen)
    b.send({ op: 'update', data: { key: 'lot', title: 'Lamp', price: 10, note: 'scratched' } })
    b.send({ op: 'update', data: { key: 'by-b', by: 'B' } })
    b.send({ op: 'compact' })
    const epochB = (await b.dump()).epoch
    assert.notEqual(epochB, 0)

    // A restarts (server still down), then the server comes back on the same port
    a = start({ ...room, name: 'A third', store: dirA })
    const loaded = await a.until((r) => field(r, 'offline-only', 'by') === 'A')
    assert.equal(field(loaded.records, 'lot', 'price'), 25)
    server = await startSignalingProcess({ args: ['--port', String(port)] })
    try {
      const expected = {
        lot: { key: 'lot', title: 'Lamp', price: 25, note: 'scratched' },
        'offline-only': { key: 'offline-only', by: 'A' },
        'by-b': { key: 'by-b', by: 'B' },
      }
      const same = (r: Rec) => JSON.stringify(sortDeep(r)) === JSON.stringify(sortDeep(expected))
      const [ra, rb] = await Promise.all([a.until(same, 60_000), b.until(same, 60_000)])
      assert.equal(ra.epoch, rb.epoch)
    } finally {
      await server.stop()
    }
  },
)

test('a peer killed after it compacted keeps the writes it made (and acknowledged) after the compaction', { timeout: 60_000 }, async () => {
  const server = await startSignalingProcess()
  after(() => server.stop())
  const options: PeerOptions = { room: `compact-kill-${Date.now()}`, signaling: server.url, password: 'x', name: 'P', store: storeDir() }
  let p = start(options)
  let next = 0
  const edit = async (key: string, f: string, value: string): Promise<void> => {
    const id = next++
    const edited = p.waitFor((e) => e.event === 'edited' && e.id === id, 20_000)
    p.send({ op: 'edit', id, key, field: f, value })
    await edited
  }
  await edit('c1', 'b', 'before')
  await edit('c3', 'b', 'replaced')
  const epochBefore = (await p.dump()).epoch
  p.send({ op: 'compact' })
  await edit('c3', 'b', 'after')
  await edit('c0', 'a', 'new record')
  const durable = p.waitFor((e) => e.event === 'stored' && e.key === '*')
  p.send({ op: 'whenStored' })
  await durable
  const held = await p.dump()
  assert.notEqual(held.epoch, epochBefore, 'the peer compacted')
  await p.kill('SIGKILL')
  p = start(options)
  const restored = await p.dump()
  // Before the fix the snapshot recorded the old epoch, and the writes logged after it were dropped
  // on load as another epoch's: c3/b came back as 'replaced' and c0 was gone.
  assert.deepEqual(sortDeep(restored.records), sortDeep(held.records))
  assert.equal(restored.epoch, held.epoch)
})
