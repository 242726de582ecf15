// Links that heal, with real processes over real WebRTC: going offline and back twenty times, and
// a process frozen with SIGSTOP (no close is ever reported: @roamhq/wrtc reports none) that the
// others drop by the heartbeat and that rejoins after SIGCONT.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess, type PeerEvent } from '../helpers/peer-process.js'

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
  for (const p of peers) if (p.child.pid !== undefined && p.child.exitCode === null) p.child.kill('SIGCONT')
  await Promise.all(peers.map((p) => p.kill()))
  await server.stop()
})

const remoteChange = (key: string) => (e: PeerEvent) => e.event === 'change' && e.key === key && e.origin === 'remote'
const peersAre = (n: number) => (e: PeerEvent) => e.event === 'peers' && Array.isArray(e.peers) && e.peers.length === n

describe('links that heal', { timeout: 180_000 }, () => {
  test('setOnline(false) / setOnline(true) twenty times: each time both reconnect and sync within 2 s', async () => {
    const room = { room: 'heal-online', signaling: server.url, password: 'pw', changes: true }
    const ann = start({ ...room, name: 'ann' })
    const bob = start({ ...room, name: 'bob' })
    await Promise.all([ann.peers(1), bob.peers(1)])
    const times: number[] = []
    for (let i = 0; i < 20; i++) {
      const bobAlone = bob.waitFor(peersAre(0), 10_000)
      ann.send({ op: 'online', online: false })
      // Ann says bye on her way out: Bob drops her at once, without a close event.
      await bobAlone
      ann.send({ op: 'update', data: { key: `ann-${i}`, text: `written offline ${i}` } })
      bob.send({ op: 'update', data: { key: `bob-${i}`, text: `written meanwhile ${i}` } })
      const annGets = ann.waitFor(remoteChange(`bob-${i}`), 15_000)
      const bobGets = bob.waitFor(remoteChange(`ann-${i}`), 15_000)
      const t0 = Date.now()
      ann.send({ op: 'online', online: true })
      await Promise.all([annGets, bobGets])
      times.push(Date.now() - t0)
    }
    console.log(`reconnect and sync after setOnline(true), ms: ${times.join(' ')}`)
    const [a, b] = await Promise.all([ann.dump(), bob.dump()])
    assert.equal(Object.keys(a.records).length, 40)
    assert.deepEqual(a.records, b.records)
    for (const [i, ms] of times.entries()) assert.ok(ms <= 2000, `round ${i + 1}: ${ms} ms to reconnect and sync`)
  })

  test('a process frozen with SIGSTOP is dropped within the heartbeat timeout; after SIGCONT it rejoins and syncs', async () => {
    const heartbeatMs = 3000
    const room = { room: 'heal-frozen', signaling: server.url, heartbeatMs, changes: true }
    const a = start({ ...room, name: 'a' })
    const b = start({ ...room, name: 'b' })
    const frozen = start({ ...room, name: 'frozen' })
    await Promise.all([a.peers(2), b.peers(2), frozen.peers(2)])
    const names = async (p: PeerProcess): Promise<string[]> =>
      ((await p.dump()) as unknown as { names: string[] }).names.slice().sort()
    await waitUntil(async () => (await names(a)).length === 3, 'a knows all three names')

    const aDrops = a.waitFor(peersAre(1), 20_000)
    const bDrops = b.waitFor(peersAre(1), 20_000)
    const t0 = Date.now()
    process.kill(frozen.child.pid!, 'SIGSTOP')
    await Promise.all([aDrops, bDrops])
    const dropMs = Date.now() - t0
    console.log(`the frozen peer was dropped ${dropMs} ms after SIGSTOP (heartbeat timeout ${heartbeatMs} ms)`)
    // Silence is counted from the frozen peer's last frame, which came before the freeze; the check
    // runs every tenth of the timeout.
    assert.ok(dropMs <= heartbeatMs * 1.1 + 250, `dropped after ${dropMs} ms`)
    // status and awareness follow
    const dumpA = (await a.dump()) as unknown as { status: { peers: number } }
    assert.equal(dumpA.status.peers, 1)
    await waitUntil(async () => (await names(a)).join() === 'a,b', 'awareness forgets the frozen peer', 3000)

    a.send({ op: 'update', data: { key: 'while-frozen', v: 1 } })
    await b.waitFor(remoteChange('while-frozen'), 10_000)
    const frozenGets = frozen.waitFor(remoteChange('while-frozen'), 30_000)
    const t1 = Date.now()
    process.kill(frozen.child.pid!, 'SIGCONT')
    await frozenGets
    console.log(`after SIGCONT the frozen peer had the write made meanwhile in ${Date.now() - t1} ms`)
    await Promise.all([a.peers(2), frozen.waitFor(peersAre(2), 30_000, true)])
    frozen.send({ op: 'update', data: { key: 'after-thaw', v: 2 } })
    await Promise.all([a.waitFor(remoteChange('after-thaw'), 10_000), b.waitFor(remoteChange('after-thaw'), 10_000)])
    await waitUntil(async () => (await names(a)).length === 3, 'awareness has the frozen peer again')
  })
})

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
