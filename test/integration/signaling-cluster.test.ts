// A signaling cluster on a real redis-server: instances relay each other's publishes once per
// publish, peers on different instances meet, peers listing two instances survive one being
// killed, and a Redis restart is survived.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { missing, startRedis, type Daemon } from '../helpers/daemon.js'
import { freePort, waitUntil } from '../helpers/free-port.js'
import { PeerProcess } from '../helpers/peer-process.js'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

const skip = missing('redis-server')
if (skip) console.log(`# skipped: ${skip}`)

const cleanups: Array<() => Promise<unknown>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

interface Health {
  status: string
  cluster?: { redis: string; published: number; received: number; dropped: number }
}

async function health(s: SignalingProcess): Promise<Health> {
  return (await (await fetch(`${s.httpUrl}/health`)).json()) as Health
}

async function instance(redisUrl: string): Promise<SignalingProcess> {
  const s = await startSignalingProcess({ args: ['--redis', redisUrl] })
  cleanups.push(() => s.stop('SIGKILL'))
  return s
}

function peer(options: ConstructorParameters<typeof PeerProcess>[0]): PeerProcess {
  const p = new PeerProcess(options)
  cleanups.push(() => p.kill())
  return p
}

const roomName = (what: string) => `cluster-${what}-${randomBytes(3).toString('hex')}`
const has = (key: string, n: number) => (r: Record<string, unknown>) => (r[key] as { n?: number })?.n === n

/** A raw y-webrtc protocol client: every frame it receives, parsed. */
async function rawClient(url: string, topic: string): Promise<{ ws: WebSocket; frames: Record<string, unknown>[] }> {
  const ws = new WebSocket(url)
  const frames: Record<string, unknown>[] = []
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
  cleanups.push(async () => ws.terminate())
  return { ws, frames }
}

describe('signaling cluster over Redis', { skip, timeout: 180_000 }, () => {
  let redisPort = 0
  let redis: Daemon
  let redisUrl = ''
  let s1: SignalingProcess
  let s2: SignalingProcess

  test('two instances: a publish crosses Redis once, whatever the subscribers elsewhere', async () => {
    redisPort = await freePort()
    redisUrl = `redis://127.0.0.1:${redisPort}`
    redis = await startRedis(redisPort)
    cleanups.push(() => redis.stop('SIGKILL'))
    ;[s1, s2] = await Promise.all([instance(redisUrl), instance(redisUrl)])
    await waitUntil(
      async () => (await health(s1)).status === 'ok' && (await health(s2)).status === 'ok',
      10_000,
      'Redis up',
    )

    const topic = roomName('raw')
    const sender = await rawClient(s1.url, topic)
    const others = await Promise.all([1, 2, 3].map(() => rawClient(s2.url, topic)))
    // The subscriptions are in place once a publish from s2 reaches the sender on s1.
    await waitUntil(
      () => {
        others[0]!.ws.send(JSON.stringify({ type: 'publish', topic, data: 'probe' }))
        return sender.frames.some((f) => f.data === 'probe')
      },
      5_000,
      'the subscription to reach Redis',
    )
    const [before1, before2] = [(await health(s1)).cluster!, (await health(s2)).cluster!]
    sender.ws.send(JSON.stringify({ type: 'publish', topic, data: { hello: 'cluster' } }))
    await waitUntil(
      () => others.every((o) => o.frames.some((f) => (f.data as { hello?: string })?.hello)),
      5_000,
      'delivery',
    )
    const [after1, after2] = [(await health(s1)).cluster!, (await health(s2)).cluster!]
    assert.equal(after1.published - before1.published, 1, 'one publish to Redis for three remote subscribers')
    assert.equal(after2.received - before2.received, 1)
    for (const o of others) {
      const frame = o.frames.find((f) => (f.data as { hello?: string })?.hello)!
      assert.deepEqual(frame, { type: 'publish', topic, data: { hello: 'cluster' }, clients: 3 })
    }
  })

  test('peers connected to different instances meet and sync', async () => {
    const room = roomName('two')
    const a = peer({ room, signaling: s1.url, name: 'a' })
    const b = peer({ room, signaling: s2.url, name: 'b' })
    await Promise.all([a.peers(1), b.peers(1)])
    a.send({ op: 'update', data: { key: 'x', n: 1 } })
    await b.until(has('x', 1))
    await Promise.all([a.kill(), b.kill()])
  })

  test('peers listing both instances get each signal twice, handle it once, and keep meeting through the survivor of a SIGKILL', async () => {
    const room = roomName('survive')
    const both = [s1.url, s2.url]
    const c = peer({ room, signaling: both, name: 'c' })
    const d = peer({ room, signaling: both, name: 'd' })
    await Promise.all([c.peers(1), d.peers(1)])
    await s1.stop('SIGKILL')
    const e = peer({ room, signaling: both, name: 'e' })
    await Promise.all([e.peers(2), c.peers(2), d.peers(2)])
    e.send({ op: 'update', data: { key: 'from-e', n: 5 } })
    c.send({ op: 'update', data: { key: 'from-c', n: 3 } })
    await Promise.all([c.until(has('from-e', 5)), d.until(has('from-e', 5)), e.until(has('from-c', 3))])
    const warnings = [c, d, e].flatMap((p) => p.events.filter((ev) => ev.event === 'error'))
    assert.deepEqual(warnings, [])
    await Promise.all([c.kill(), d.kill(), e.kill()])
  })

  test('Redis restarted: instances serve their own clients meanwhile, recover, and new peers meet', async () => {
    const s3 = await instance(redisUrl)
    await waitUntil(async () => (await health(s3)).status === 'ok', 10_000, 's3 up')
    await redis.stop('SIGKILL')
    await waitUntil(async () => (await health(s2)).status === 'degraded', 10_000, 's2 to notice')
    assert.equal((await health(s2)).cluster!.redis, 'down')
    assert.match(s2.stderr(), /"event":"redis-down"/)

    // Without Redis an instance still serves its own clients.
    const local = roomName('local')
    const f = peer({ room: local, signaling: s2.url, name: 'f' })
    const g = peer({ room: local, signaling: s2.url, name: 'g' })
    await Promise.all([f.peers(1), g.peers(1)])
    await Promise.all([f.kill(), g.kill()])

    redis = await startRedis(redisPort)
    await waitUntil(
      async () => (await health(s2)).status === 'ok' && (await health(s3)).status === 'ok',
      15_000,
      'the instances to reconnect',
    )
    assert.match(s2.stderr(), /"event":"redis-up"[^\n]*\n[^]*"event":"redis-down"[^\n]*\n[^]*"event":"redis-up"/)
    const room = roomName('after')
    const h = peer({ room, signaling: s2.url, name: 'h' })
    const i = peer({ room, signaling: s3.url, name: 'i' })
    await Promise.all([h.peers(1), i.peers(1)])
    i.send({ op: 'update', data: { key: 'y', n: 7 } })
    await h.until(has('y', 7))
  })
})
