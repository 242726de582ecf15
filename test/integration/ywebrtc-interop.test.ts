// Interop with the real y-webrtc 10.x package: a y-webrtc WebrtcProvider in its own process
// (test/helpers/ywebrtc-peer.ts) and DiffStream room peers (test/helpers/room-peer.ts) sync over
// real WebRTC (loopback candidates only), through our signaling server and through y-webrtc's own.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'
import { PeerProcess } from '../helpers/peer-process.js'
import { LineProcess, type Records } from '../helpers/line-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const Y_PEER = fileURLToPath(new URL('../helpers/ywebrtc-peer.ts', import.meta.url))
// y-webrtc's exports hide package.json; its CommonJS entry is dist/y-webrtc.cjs, next to bin/.
const Y_SERVER = join(dirname(createRequire(import.meta.url).resolve('y-webrtc')), '..', 'bin', 'server.js')
const loopback = (candidate: string): boolean => / (127\.0\.0\.1|::1) /.test(candidate)

interface YDump {
  records: Records
  types: Record<string, unknown>
  peers: string[]
}

/** A y-webrtc peer process, driven like PeerProcess. */
class YPeer extends LineProcess<YDump> {
  constructor(readonly options: { room: string; signaling: string; password?: string; name: string }) {
    const args = ['--room', options.room, '--signaling', options.signaling]
    if (options.password) args.push('--password', options.password)
    super(options.name, Y_PEER, args)
  }
}

/** y-webrtc's own signaling server (bin/server.js), bound to 127.0.0.1 on a free port. */
async function startYWebrtcServer(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
  // server.js calls `server.listen(PORT)` (all interfaces); this preload adds the host 127.0.0.1.
  const preload =
    'data:text/javascript,' +
    encodeURIComponent(
      "import net from 'node:net';const l=net.Server.prototype.listen;" +
        "net.Server.prototype.listen=function(...a){if(a.length===1&&typeof a[0]!=='object')a.push('127.0.0.1');return l.apply(this,a)}",
    )
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) }
  const child = spawn(process.execPath, ['--import', preload, Y_SERVER], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const stop = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => {
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        })
  // It prints "Signaling server running on localhost: PORT" right after calling listen(), which
  // may be before the socket is bound: wait for the line, then poll the port.
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`y-webrtc server exited: ${output}`)
    if (output.includes('Signaling server running')) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)))
        s.once('error', () => resolve(false))
      })
      if (ok) return { url: `ws://127.0.0.1:${port}`, child, stop }
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`y-webrtc server not ready: ${output}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

let server: SignalingProcess
const processes: Array<{ kill(): Promise<void> }> = []
const ds = (o: ConstructorParameters<typeof PeerProcess>[0]): PeerProcess => {
  const p = new PeerProcess(o)
  processes.push(p)
  return p
}
const yw = (o: ConstructorParameters<typeof YPeer>[0]): YPeer => {
  const p = new YPeer(o)
  processes.push(p)
  return p
}
const json = (v: unknown): string => JSON.stringify(v)
const same = (a: unknown, b: unknown): boolean => {
  try {
    assert.deepStrictEqual(a, b)
    return true
  } catch {
    return false
  }
}

/** Every candidate the y-webrtc peer let out (trickled or in an SDP) is a loopback one, and some did. */
function assertLoopbackOnly(peer: YPeer): void {
  const trickled = peer.events.filter((e) => e.event === 'ice' && e.sent).map((e) => String(e.candidate))
  const inSdp = peer.events.filter((e) => e.event === 'sdp').flatMap((e) => e.candidates as string[])
  assert.ok(trickled.length + inSdp.length > 0, `${peer.options.name} sent no candidate at all`)
  for (const c of [...trickled, ...inSdp])
    assert.ok(loopback(c), `${peer.options.name} sent a non-loopback candidate: ${c}`)
  const used = peer.events.filter((e) => e.event === 'remote-ice' && e.used).map((e) => String(e.candidate))
  const remoteSdp = peer.events.filter((e) => e.event === 'remote-sdp').flatMap((e) => e.candidates as string[])
  for (const c of [...used, ...remoteSdp])
    assert.ok(loopback(c), `${peer.options.name} used a non-loopback remote candidate: ${c}`)
}

before(async () => {
  server = await startSignalingProcess()
})
after(async () => {
  await Promise.allSettled(processes.map((p) => p.kill()))
  await server.stop()
})

describe('interop with a real y-webrtc 10.x peer', { timeout: 60_000 }, () => {
  test('through our signaling server with a password: records, edits and deletes sync both ways', async () => {
    const room = { room: 'yw-interop-1', signaling: server.url, password: 'interop secret' }
    const d = ds({ ...room, role: 'peer', name: 'diffstream' })
    const y = yw({ ...room, name: 'y-webrtc' })
    await Promise.all([d.peers(1), y.peers(1)])

    // DiffStream -> y-webrtc: the record arrives as a Y.Map with nested Y.Map and Y.Array
    const fromDs = { key: 'lot-1', title: 'Lot 1', last_bid: { user: 'u1', price: 10 }, tags: ['red', 'big'] }
    d.send({ op: 'update', data: fromDs })
    const seen = await y.until((r) => same(r['lot-1'], fromDs))
    assert.deepEqual(seen.types['lot-1'], {
      type: 'Y.Map',
      fields: {
        key: 'string',
        title: 'string',
        last_bid: { type: 'Y.Map', fields: { user: 'string', price: 'number' } },
        tags: { type: 'Y.Array', items: ['string', 'string'] },
      },
    })

    // y-webrtc -> DiffStream: Y.Map / Y.Array written by y-webrtc read back as the plain object
    const fields = { title: 'from y', meta: { n: 1, deep: { ok: true } }, list: [1, 'two', { three: 3 }, [4]] }
    y.send({ op: 'set', key: 'y-1', fields })
    const fromY = { key: 'y-1', ...fields }
    await d.until((r) => same(r['y-1'], fromY))

    // edits both ways
    d.send({ op: 'update', data: { ...fromDs, last_bid: { user: 'u2', price: 11 } } })
    await y.until((r) => same((r['lot-1'] as { last_bid?: unknown } | undefined)?.last_bid, { user: 'u2', price: 11 }))
    y.send({ op: 'field', key: 'y-1', path: ['meta', 'n'], value: 2 })
    await d.until((r) => same(r['y-1'], { ...fromY, meta: { n: 2, deep: { ok: true } } }))

    // deletes both ways: each deletes the record the other wrote
    d.send({ op: 'delete', key: 'y-1' })
    await y.until((r) => !('y-1' in r))
    y.send({ op: 'delete', key: 'lot-1' })
    await d.until((r) => !('lot-1' in r))

    // both end with the same (empty) dict, and nobody was dropped or complained
    assert.deepEqual((await d.dump()).records, {})
    assert.deepEqual((await y.dump()).records, {})
    const dump = (await d.dump()) as unknown as { stats: { droppedPeers: number } }
    assert.equal(dump.stats.droppedPeers, 0)
    assert.deepEqual(
      d.events.filter((e) => e.event === 'warning' || e.event === 'error'),
      [],
    )
    assert.deepEqual(
      y.events.filter((e) => e.event === 'error' || e.event === 'rejection'),
      [],
    )
    assertLoopbackOnly(y)
  })

  test("through y-webrtc's own signaling server: DiffStream and y-webrtc peers sync", async () => {
    const own = await startYWebrtcServer()
    processes.push({ kill: own.stop })
    const room = { room: 'yw-interop-own-server', signaling: own.url }
    const d = ds({ ...room, role: 'peer', name: 'diffstream' })
    const y = yw({ ...room, name: 'y-webrtc' })
    const c = ds({ ...room, role: 'consumer', name: 'diffstream consumer' })
    await Promise.all([d.peers(2), y.peers(2), c.peers(2)])

    d.send({ op: 'update', data: { key: 1, from: 'diffstream', nested: { list: [1, 2] } } })
    y.send({ op: 'set', key: 'y', fields: { from: 'y-webrtc', nested: { map: { a: 1 } } } })
    const expected = {
      '1': { key: 1, from: 'diffstream', nested: { list: [1, 2] } },
      y: { key: 'y', from: 'y-webrtc', nested: { map: { a: 1 } } },
    }
    await Promise.all([
      d.until((r) => same(r, expected)),
      c.until((r) => same(r, expected)),
      y.until((r) => same(r, expected)),
    ])

    y.send({ op: 'field', key: 'y', path: ['nested', 'map', 'a'], value: 2 })
    d.send({ op: 'delete', key: 1 })
    const after = { y: { key: 'y', from: 'y-webrtc', nested: { map: { a: 2 } } } }
    await Promise.all([d.until((r) => same(r, after)), c.until((r) => same(r, after)), y.until((r) => same(r, after))])
    assertLoopbackOnly(y)
    await own.stop()
  })

  test('records over 16 KiB: y-webrtc -> DiffStream arrives', async () => {
    const room = { room: 'yw-interop-big', signaling: server.url }
    const d = ds({ ...room, role: 'peer', name: 'diffstream' })
    const y = yw({ ...room, name: 'y-webrtc' })
    await Promise.all([d.peers(1), y.peers(1)])
    // y-webrtc sends one whole 40 KB data-channel message; DiffStream takes it.
    const blob = 'y'.repeat(40_000)
    y.send({ op: 'set', key: 'big-from-y', fields: { blob } })
    await d.until((r) => same(r['big-from-y'], { key: 'big-from-y', blob }))
  })

  test(
    'a DiffStream record over 16 KiB reaches a y-webrtc peer, and so do later writes',
    async () => {
      const room = { room: 'yw-interop-big-ds', signaling: server.url }
      const d = ds({ ...room, role: 'peer', name: 'diffstream' })
      const y = yw({ ...room, name: 'y-webrtc' })
      await Promise.all([d.peers(1), y.peers(1)])
      const blob = 'd'.repeat(40_000)
      d.send({ op: 'update', data: { key: 'big-from-ds', blob } })
      await d.until((r) => r['big-from-ds'] !== undefined) // flushed on its own, before the next write
      d.send({ op: 'update', data: { key: 'small-after', v: 1 } })
      await y.until(
        (r) =>
          same(r['big-from-ds'], { key: 'big-from-ds', blob }) && same(r['small-after'], { key: 'small-after', v: 1 }),
        5_000,
      )
    },
  )

  test(
    "DiffStream's candidateFilter also covers the candidates inside its offer/answer SDP",
    async () => {
      // y-webrtc joins first, so the DiffStream peer answers; its answer is built after gathering started.
      const room = { room: 'yw-interop-sdp', signaling: server.url }
      const subscribes = (): number => server.logs().filter((e) => e.event === 'subscribe').length
      const before = subscribes()
      const y = yw({ ...room, name: 'y-webrtc' })
      for (const deadline = Date.now() + 20_000; subscribes() === before;) {
        if (Date.now() > deadline) throw new Error('the y-webrtc peer did not subscribe')
        await new Promise((r) => setTimeout(r, 20))
      }
      const d = ds({ ...room, role: 'peer', name: 'diffstream' })
      await Promise.all([d.peers(1), y.peers(1)])
      const fromDs = y.events
        .filter((e) => e.event === 'remote-sdp' || e.event === 'remote-ice')
        .flatMap((e) => (e.event === 'remote-ice' ? [String(e.candidate)] : (e.dropped as string[])))
      assert.deepEqual(
        fromDs.filter((c) => !loopback(c)),
        [],
        `non-loopback candidates published by DiffStream (${json(y.events.filter((e) => e.event === 'sdp').map((e) => e.type))} sent by y-webrtc)`,
      )
    },
  )

  test('a y-webrtc peer with the wrong password gets nothing; DiffStream stays up and keeps syncing', async () => {
    const room = { room: 'yw-interop-password', signaling: server.url }
    const d = ds({ ...room, password: 'right', role: 'peer', name: 'diffstream' })
    const r = yw({ ...room, password: 'right', name: 'y-webrtc right' })
    await Promise.all([d.peers(1), r.peers(1)])
    d.send({ op: 'update', data: { key: 'before', v: 1 } })
    await r.until((recs) => same(recs.before, { key: 'before', v: 1 }))

    // The intruder announces under another key: DiffStream and y-webrtc both fail to decrypt it.
    const w = yw({ ...room, password: 'wrong', name: 'y-webrtc wrong' })
    await d.waitFor((e) => e.event === 'warning' && /did not decrypt/.test(String(e.message)), 20_000, true)
    await r.waitFor((e) => e.event === 'rejection' && /OperationError/.test(String(e.message)), 20_000, true)

    // Traffic goes on between the right-password peers, and a newcomer with the right password
    // joins (its announce and signals also reach the intruder, which cannot read them).
    d.send({ op: 'update', data: { key: 'after', v: 2 } })
    r.send({ op: 'set', key: 'from-r', fields: { v: 3 } })
    const c = ds({ ...room, password: 'right', role: 'consumer', name: 'late consumer' })
    const expected = {
      before: { key: 'before', v: 1 },
      after: { key: 'after', v: 2 },
      'from-r': { key: 'from-r', v: 3 },
    }
    await Promise.all([
      d.until((x) => same(x, expected)),
      r.until((x) => same(x, expected)),
      c.until((x) => same(x, expected)),
    ])
    await w.waitFor((e) => e.event === 'rejection' && /OperationError/.test(String(e.message)), 20_000, true)

    const wd = await w.dump()
    assert.deepEqual(wd.records, {})
    assert.deepEqual(wd.peers, [])
    assert.equal(w.events.filter((e) => e.event === 'peers' && (e.peers as string[]).length > 0).length, 0)
    assert.equal(
      w.events.filter((e) => e.event === 'ice').length,
      0,
      'the intruder never even started a WebRTC connection',
    )
    assert.equal(d.child.exitCode, null, 'the DiffStream process is alive')
    assert.doesNotMatch(d.stderr, /error|unhandled/i, 'DiffStream reported no crash')
    assert.deepEqual(
      d.events.filter((e) => e.event === 'error'),
      [],
    )
    await d.peers(2) // the right-password y-webrtc peer and the late consumer, never the intruder
    const { peers } = await d.dump()
    assert.equal(peers.length, 2, `DiffStream peers: ${json(peers)}`)
    assert.ok(!peers.includes(String(w.events.find((e) => e.event === 'started')?.peerId)))
  })
})

describe('y-webrtc peers and compaction', { timeout: 90_000 }, () => {
  test(
    'a peer linked to a y-webrtc peer holds automatic compaction; when another compacts, the room moves on, closes its y-webrtc links, and a y-webrtc peer that rejoins empty gets everything',
    async () => {
      const room = { room: 'yw-compaction', signaling: server.url, password: 'pw' }
      const eager = { ratio: 1.2, minBytes: 256 }
      const d1 = ds({ ...room, name: 'ds-1', compaction: eager })
      const y = yw({ ...room, name: 'y-webrtc' })
      await Promise.all([d1.peers(1), y.peers(1)])
      // Far past the eager policy's threshold: with a y-webrtc peer linked, no compaction.
      for (let i = 0; i < 300; i++) d1.send({ op: 'update', data: { key: 'lot', price: i, bidder: `b${i % 7}` } })
      await y.until((r) => same(r['lot'], { key: 'lot', price: 299, bidder: 'b5' }))
      assert.equal((await d1.dump()).epoch, 0, 'compaction is held while a y-webrtc peer is linked')
      y.send({ op: 'set', key: 'from-y', fields: { n: 1 } })
      await d1.until((r) => same(r['from-y'], { key: 'from-y', n: 1 }))

      // A second DiffStream peer compacts explicitly: everyone moves to its epoch, and the peers
      // that were linked to the y-webrtc peer close those links (it cannot follow).
      const d2 = ds({ ...room, name: 'ds-2' })
      await d2.until((r) => same(r['from-y'], { key: 'from-y', n: 1 }))
      d2.send({ op: 'compact' })
      const epoch = (await d2.dump()).epoch
      assert.notEqual(epoch, 0)
      const deadline = Date.now() + 20_000
      while ((await d1.dump()).epoch !== epoch) {
        assert.ok(Date.now() < deadline, 'ds-1 did not follow the compaction')
        await new Promise((r) => setTimeout(r, 100))
      }
      await d1.waitFor((e) => e.event === 'warning' && /y-webrtc peer cannot follow/.test(String(e.message)), 20_000, true)

      // A y-webrtc peer that joins with an empty document gets the whole dict, and can edit it.
      await y.kill()
      const fresh = yw({ ...room, name: 'y-webrtc again' })
      const expected = { lot: { key: 'lot', price: 299, bidder: 'b5' }, 'from-y': { key: 'from-y', n: 1 } }
      await fresh.until((r) => same(r, expected))
      fresh.send({ op: 'field', key: 'lot', path: ['price'], value: 300 })
      await d2.until((r) => same(r['lot'], { key: 'lot', price: 300, bidder: 'b5' }))
    },
  )
})
