// Room behaviour that one process can show with real WebRTC between in-process rooms: awareness,
// change events, roles, batching within a tick, and a wrong password.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { joinRoom, ReadOnlyError, type Room, type RoomOptions } from '@diffstream/core'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

const loopback = (c: string) => / (127\.0\.0\.1|::1) /.test(c)
let server: SignalingProcess
const rooms: Room[] = []
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

before(async () => {
  server = await startSignalingProcess()
  process.on('unhandledRejection', onUnhandled)
})
after(async () => {
  await Promise.all(rooms.map((r) => r.close()))
  await server.stop()
  process.off('unhandledRejection', onUnhandled)
})

function join(name: string, options: RoomOptions = {}): Room {
  const room = joinRoom(name, { signaling: [server.url], candidateFilter: loopback, ...options })
  rooms.push(room)
  return room
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('awareness publishes each peer name and role; change events say local or remote', { timeout: 60_000 }, async () => {
  const a = join('presence', { name: 'Ann', role: 'producer' })
  const b = join('presence', { name: 'Bob', role: 'consumer' })
  await Promise.all([a.whenSynced(), b.whenSynced()])
  const names = (r: Room) =>
    Array.from(r.awareness.getStates().values())
      .map((s) => `${(s as { name: string }).name}/${(s as { role: string }).role}`)
      .sort()
  await waitUntil(() => names(a).length === 2 && names(b).length === 2, 'both presences')
  assert.deepEqual(names(a), ['Ann/producer', 'Bob/consumer'])
  assert.deepEqual(names(b), names(a))

  const seenA: string[] = []
  const seenB: string[] = []
  a.on('change', (c) => seenA.push(`${c.origin}:${c.cmd}:${c.key}`))
  b.on('change', (c) => seenB.push(`${c.origin}:${c.cmd}:${c.key}:${JSON.stringify(c.data)}`))
  a.cache.update({ key: 1, v: 'x' })
  await waitUntil(() => seenB.length === 1, 'remote change')
  assert.deepEqual(seenA, ['local:new:1'])
  assert.deepEqual(seenB, ['remote:new:1:{"key":1,"v":"x"}'])
  assert.throws(() => b.cache.update({ key: 2 }), ReadOnlyError)
  assert.throws(() => b.cache.delete(1), ReadOnlyError)

  await b.close()
  await waitUntil(() => names(a).length === 1, 'presence removed when the peer leaves')
})

test('updates made within one tick travel as one message', { timeout: 60_000 }, async () => {
  // compaction off: this is about batching, and a compaction would add its own epoch frames
  const a = join('batching', { compaction: false })
  const b = join('batching', { compaction: false })
  await Promise.all([a.whenSynced(), b.whenSynced()])
  const sentBefore = a.stats.messagesSent
  for (let i = 0; i < 500; i++) a.cache.update({ key: i % 50, n: i })
  await waitUntil(() => b.cache.size === 50 && (b.cache.get(49) as { n: number }).n === 499, 'all updates arrive')
  assert.equal(a.stats.messagesSent - sentBefore, 1)
  assert.deepEqual(b.cache.get(0), { key: 0, n: 450 })
})

test('a wrong password never connects and never rejects unhandled', { timeout: 60_000 }, async () => {
  const warnings: string[] = []
  const a = join('locked', { password: 'right' })
  const b = join('locked', { password: 'wrong' })
  b.on('warning', (w) => warnings.push(w))
  a.cache.update({ key: 'secret', v: 42 })
  const c = join('locked', { password: 'right' })
  await c.whenSynced() // the right password connects (and shows the room works)
  await waitUntil(() => c.cache.has('secret'), 'right password syncs')
  await waitUntil(() => warnings.some((w) => /did not decrypt/.test(w)), 'the wrong-password peer is told why')
  assert.equal(b.peers.length, 0)
  assert.equal(b.cache.size, 0)
  assert.deepEqual(unhandled, [])
})

test('a partial mesh converges by relaying: A takes one connection, so C reaches A only through B', { timeout: 90_000 }, async () => {
  const b = join('mesh', { name: 'B' })
  const a = join('mesh', { name: 'A', maxConns: 1 })
  await waitUntil(() => a.peers.length === 1 && b.peers.length === 1, 'A and B connect', 60_000)
  const c = join('mesh', { name: 'C' })
  await waitUntil(() => b.peers.length === 2 && c.peers.length === 1, 'C connects to B only', 60_000)
  assert.deepEqual(a.peers, [b.peerId])
  assert.deepEqual(c.peers, [b.peerId])
  a.cache.update({ key: 'from-a', v: 1 })
  c.cache.update({ key: 'from-c', v: 2 })
  await waitUntil(() => c.cache.has('from-a') && a.cache.has('from-c'), 'updates cross B')
  a.cache.update({ key: 'from-a', v: 3 })
  await waitUntil(() => (c.cache.get('from-a') as { v: number }).v === 3, 'later updates cross B too')
  assert.deepEqual(a.peers, [b.peerId])
})
