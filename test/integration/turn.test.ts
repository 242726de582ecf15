// TURN through Debian's coturn: the signaling server hands out short-lived credentials made with
// coturn's shared secret (GET /ice), and two peers in their own processes, relay only and given no
// iceServers, sync through coturn's relay. A wrong secret must say so, not hang.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { missing, startCoturn, type Daemon } from '../helpers/daemon.js'
import { freePort } from '../helpers/free-port.js'
import { PeerProcess } from '../helpers/peer-process.js'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

const skip = missing('turnserver')
if (skip) console.log(`# skipped: ${skip}`)

const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

async function setup(
  coturnSecret: string,
  signalingSecret: string,
): Promise<{ coturn: Daemon; signaling: SignalingProcess }> {
  const port = await freePort()
  const coturn = await startCoturn({ port, secret: coturnSecret })
  cleanups.push(() => coturn.stop())
  const signaling = await startSignalingProcess({
    args: ['--turn-url', `turn:127.0.0.1:${port}?transport=udp`, '--turn-ttl', '600'],
    env: { TURN_SECRET: signalingSecret },
  })
  cleanups.push(async () => void (await signaling.stop()))
  return { coturn, signaling }
}

function peer(options: ConstructorParameters<typeof PeerProcess>[0]): PeerProcess {
  const p = new PeerProcess(options)
  cleanups.push(() => p.kill())
  return p
}

describe('TURN with ephemeral credentials (coturn)', { skip, timeout: 90_000 }, () => {
  test('two relay-only peers sync through coturn with credentials from /ice', async () => {
    const secret = randomBytes(12).toString('hex')
    const { coturn, signaling } = await setup(secret, secret)

    const ice = (await (await fetch(`${signaling.httpUrl}/ice`)).json()) as {
      iceServers: Array<{ urls: string[]; username: string; credential: string }>
      ttl: number
    }
    assert.equal(ice.ttl, 600)
    const expiry = Number(ice.iceServers[0]!.username.split(':')[0])
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 600)) < 30, `username ${ice.iceServers[0]!.username}`)

    const room = `turn-${randomBytes(4).toString('hex')}`
    const a = peer({ room, signaling: signaling.url, relay: true, name: 'a' })
    const b = peer({ room, signaling: signaling.url, relay: true, name: 'b' })
    await Promise.all([a.peers(1, 30_000), b.peers(1, 30_000)])
    a.send({ op: 'update', data: { key: 'from-a', n: 1 } })
    b.send({ op: 'update', data: { key: 'from-b', n: 2 } })
    await a.until((r) => (r['from-b'] as { n?: number } | undefined)?.n === 2, 15_000)
    await b.until((r) => (r['from-a'] as { n?: number } | undefined)?.n === 1, 15_000)

    for (const p of [a, b]) {
      const paths = await p.paths()
      assert.equal(paths.length, 1, JSON.stringify(paths))
      assert.equal(paths[0]!.type, 'relay')
      assert.equal(paths[0]!.local, 'relay', 'relay only: this side sends through its TURN allocation')
      console.log(`# ${p.name}: path ${JSON.stringify(paths[0])}`)
    }
    // coturn saw the allocations, made with the signaling server's credentials.
    const allocations = coturn.output().match(/user <\d+:[\w-]+>: incoming packet ALLOCATE processed, success/g) ?? []
    assert.ok(allocations.length >= 2, `coturn's log shows ${allocations.length} allocations`)
    assert.equal(a.events.filter((e) => e.event === 'warning' && /TURN|ICE/.test(String(e.message))).length, 0)
  })

  test('a wrong TURN secret gives a clear warning, not a hang', async () => {
    const { coturn, signaling } = await setup('the-right-secret', 'a-wrong-secret')
    const room = `turn-bad-${randomBytes(4).toString('hex')}`
    const a = peer({ room, signaling: signaling.url, relay: true, name: 'a' })
    const b = peer({ room, signaling: signaling.url, relay: true, name: 'b' })
    const warning = (p: PeerProcess) =>
      p.waitFor((e) => e.event === 'warning' && /refused the credentials \(401/.test(String(e.message)), 20_000, true)
    const [wa] = await Promise.all([warning(a), warning(b)])
    console.log(`# warning: ${String(wa.message)}`)
    assert.match(String(wa.message), /--turn-secret must equal coturn's static-auth-secret/)
    assert.match(coturn.output(), /401/)
    assert.deepEqual((await a.dump()).peers, [], 'nothing connected without a relay')
    // Not a hang: the peer still answers and leaves at once.
    const exited = new Promise((resolve) => a.child.once('exit', resolve))
    a.send({ op: 'close' })
    await exited
  })
})
