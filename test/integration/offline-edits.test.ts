// Offline edits are never lost (docs/compaction.md), with real processes over real WebRTC:
// - the scenario that lost data before stamps: Ann goes offline, creates a record and edits it
//   again, Bob compacts (once, twelve times), Ann comes back: the record is on both copies;
// - a peer with a file store edits offline (creates, edits, removes fields, deletes records) while
//   the others compact twenty times, is restarted from its store, and comes back: every offline
//   edit is merged field by field with what the others wrote.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerProcess, type PeerOptions } from '../helpers/peer-process.js'
import { sortDeep } from '../helpers/sort-deep.js'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

const peers: PeerProcess[] = []
const dirs: string[] = []
const servers: SignalingProcess[] = []
after(async () => {
  await Promise.all(peers.map((p) => p.kill()))
  await Promise.all(servers.map((s) => s.stop()))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function start(options: PeerOptions): PeerProcess {
  const p = new PeerProcess(options)
  peers.push(p)
  return p
}

function storeDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'diffstream-offline-edits-'))
  dirs.push(d)
  return d
}

type Rec = Record<string, unknown>
const same = (expected: Rec) => (r: Rec) => JSON.stringify(sortDeep(r)) === JSON.stringify(sortDeep(expected))

describe('offline edits survive compactions elsewhere (real processes, WebRTC)', () => {
  for (const compactions of [1, 12]) {
    test(`created offline and edited again, while the other peer compacts ${compactions} time(s)`, { timeout: 120_000 }, async () => {
      const server = await startSignalingProcess()
      servers.push(server)
      const room = { room: `offline-edits-${compactions}`, signaling: server.url, password: 'pw' }
      const ann = start({ ...room, name: 'Ann' })
      const bob = start({ ...room, name: 'Bob' })
      await Promise.all([ann.peers(1), bob.peers(1)])
      bob.send({ op: 'update', data: { key: 'shared', n: 0 } })
      await ann.until((r) => (r['shared'] as Rec | undefined)?.['n'] === 0)

      ann.send({ op: 'online', online: false })
      ann.send({ op: 'update', data: { key: 'ann-note', text: 'draft' } })
      ann.send({ op: 'update', data: { key: 'ann-note', text: 'written offline' } })
      for (let i = 1; i <= compactions; i++) {
        bob.send({ op: 'update', data: { key: 'shared', n: i } })
        bob.send({ op: 'compact' })
      }
      bob.send({ op: 'update', data: { key: 'bob-note', text: 'hello' } })
      const bobBefore = await bob.dump()
      assert.notEqual(bobBefore.epoch, 0)
      ann.send({ op: 'online', online: true })

      const expected = {
        'ann-note': { key: 'ann-note', text: 'written offline' },
        'bob-note': { key: 'bob-note', text: 'hello' },
        shared: { key: 'shared', n: compactions },
      }
      const [ra, rb] = await Promise.all([ann.until(same(expected), 60_000), bob.until(same(expected), 60_000)])
      assert.equal(ra.epoch, rb.epoch)
    })
  }

  test(
    'a peer offline while the others compact 20 times, restarted from its store, keeps every offline edit',
    { timeout: 180_000 },
    async () => {
      const server = await startSignalingProcess()
      servers.push(server)
      const room = { room: 'offline-edits-store', signaling: server.url, password: 'pw' }
      const dirC = storeDir()
      let carol = start({ ...room, name: 'Carol', store: dirC })
      const dave = start({ ...room, name: 'Dave', store: storeDir() })
      const erin = start({ ...room, name: 'Erin', store: storeDir() })
      await Promise.all([carol.peers(2), dave.peers(2), erin.peers(2)])
      for (const key of ['a', 'b', 'c', 'd'])
        dave.send({ op: 'update', data: { key, x: 1, y: 1, z: 1 } })
      await carol.until((r) => Object.keys(r).length === 4)

      // Carol goes offline and edits: a field the others do not touch, a removed field, a deleted
      // record, a record created and edited again; then she is restarted from her store.
      carol.send({ op: 'online', online: false })
      carol.send({ op: 'update', data: { key: 'a', x: 'carol', y: 1, z: 1 } })
      carol.send({ op: 'update', data: { key: 'b', x: 1, z: 1 } })
      carol.send({ op: 'delete', key: 'c' })
      carol.send({ op: 'update', data: { key: 'new', text: 'draft' } })
      carol.send({ op: 'update', data: { key: 'new', text: 'written offline', more: true } })
      const durable = carol.waitFor((e) => e.event === 'stored' && e.key === '*')
      carol.send({ op: 'whenStored' })
      await durable
      await carol.kill('SIGKILL')

      // Meanwhile the others write other fields and compact twenty times.
      for (let i = 1; i <= 20; i++) {
        dave.send({ op: 'update', data: { key: 'a', x: 1, y: i, z: 1 } })
        erin.send({ op: 'update', data: { key: 'd', x: 1, y: 1, z: i } })
        dave.send({ op: 'compact' })
      }
      await dave.until((r) => (r['d'] as Rec | undefined)?.['z'] === 20)
      await erin.until((r) => (r['a'] as Rec | undefined)?.['y'] === 20)
      const gen = Math.floor((await dave.dump()).epoch / 2 ** 20)
      assert.ok(gen >= 20, `the others are ${gen} generations on`)

      carol = start({ ...room, name: 'Carol again', store: dirC })
      const expected = {
        a: { key: 'a', x: 'carol', y: 20, z: 1 },
        b: { key: 'b', x: 1, z: 1 },
        d: { key: 'd', x: 1, y: 1, z: 20 },
        new: { key: 'new', text: 'written offline', more: true },
      }
      const results = await Promise.all([carol, dave, erin].map((p) => p.until(same(expected), 90_000)))
      assert.equal(new Set(results.map((r) => r.epoch)).size, 1, 'every copy in the same epoch')
    },
  )
})
