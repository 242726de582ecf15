// Two peers on different networks: each in its own network namespace behind its own NAT
// namespace (masquerading), with signaling and coturn in a "public" namespace. The peers get
// their STUN/TURN servers from the signaling server's /ice, connect, sync, and report which path
// ICE chose. Skipped, with the reason, where namespaces cannot be made.
// A STUN-only variant did not connect here (tried for 40 s): between two Linux masquerading NATs
// hole punching fails, most likely because the first probe of one side reaches the other NAT
// before that side has sent, conntrack records it, and the other side's own packet then gets a
// new source port (symmetric behaviour). With TURN too, ICE settled on a relay on one side and
// the other side's server-reflexive address.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { missing, startCoturn } from '../helpers/daemon.js'
import { createNatTopology, netnsUnavailable, PUBLIC_IP, type NatTopology } from '../helpers/netns.js'
import { PeerProcess } from '../helpers/peer-process.js'
import { startSignalingProcess } from '../helpers/signaling-process.js'

const skip = missing('turnserver') || netnsUnavailable()
if (skip) console.log(`# skipped: ${skip}`)

const cleanups: Array<() => Promise<unknown>> = []
let topology: NatTopology | undefined
after(async () => {
  // Processes first (they live in the namespaces), then the namespaces, whatever failed before.
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
  topology?.destroy()
})

describe('peers behind two NATs (network namespaces)', { skip, timeout: 90_000 }, () => {
  const cases = [
    { name: 'STUN and TURN: the peers connect and sync, reporting the path ICE chose', relay: false },
    { name: 'relay only: the peers connect through coturn', relay: true },
  ]
  for (const [n, { name, relay }] of cases.entries()) {
    test(name, async () => {
      topology ??= createNatTopology(2)
      const net = topology
      const secret = randomBytes(12).toString('hex')
      const turnPort = 3478 + 10 * n
      const port = 4444 + n
      const coturn = await startCoturn({
        ip: PUBLIC_IP,
        port: turnPort,
        secret,
        allowLoopback: false,
        wrap: net.wrap(net.pub),
      })
      cleanups.push(() => coturn.stop())
      const signaling = await startSignalingProcess({
        wrap: net.wrap(net.pub),
        host: PUBLIC_IP,
        port,
        args: ['--stun', `stun:${PUBLIC_IP}:${turnPort}`, '--turn-url', `turn:${PUBLIC_IP}:${turnPort}`],
        env: { TURN_SECRET: secret },
      })
      cleanups.push(() => signaling.stop('SIGKILL'))

      const room = `nat-${randomBytes(3).toString('hex')}`
      const [a, b] = net.peers.map((ns, i) => {
        const p = new PeerProcess({
          room,
          signaling: signaling.url,
          name: `peer-${i + 1}`,
          anyCandidates: true,
          relay,
          wrap: net.wrap(ns),
        })
        cleanups.push(() => p.kill())
        return p
      }) as [PeerProcess, PeerProcess]
      await Promise.all([a.peers(1, 40_000), b.peers(1, 40_000)])
      a.send({ op: 'update', data: { key: 'home', n: 1 } })
      b.send({ op: 'update', data: { key: 'office', n: 2 } })
      await b.until((r) => (r.home as { n?: number } | undefined)?.n === 1, 15_000)
      await a.until((r) => (r.office as { n?: number } | undefined)?.n === 2, 15_000)

      for (const p of [a, b]) {
        const [path] = await p.paths()
        assert.ok(path, `${p.name} reports a path`)
        console.log(`# ${name.split(':')[0]}: ${p.name} reached its peer by ${JSON.stringify(path)}`)
        // Each LAN is private to its NAT: host to host cannot work, ICE must have crossed a NAT.
        assert.notEqual(path.type, 'host')
        if (relay) assert.equal(path.type, 'relay')
      }
      await Promise.all([a.kill(), b.kill(), signaling.stop('SIGKILL'), coturn.stop()])
    })
  }
})
