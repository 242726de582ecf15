// The signaling server, end to end: the real CLI in a child process, real WebSocket clients.
// Ordering across connections is never assumed; a ping/pong round trip on a connection proves the
// server has processed everything that connection sent before it.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

type Message = Record<string, unknown>

const WAIT_MS = 5_000

/** A WebSocket client that queues incoming JSON messages for the test to take in order. */
class Client {
  private readonly inbox: Message[] = []
  private readonly waiters: ((m: Message) => void)[] = []
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const message = JSON.parse(isBinary ? '{}' : String(data)) as Message
      const waiter = this.waiters.shift()
      if (waiter) waiter(message)
      else this.inbox.push(message)
    })
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    )
    ws.on('error', () => {})
  }

  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(new Client(ws)))
      ws.once('error', reject)
    })
  }

  send(message: Message | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  next(timeoutMs = WAIT_MS): Promise<Message> {
    const queued = this.inbox.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message in time')), timeoutMs)
      this.waiters.push((m) => {
        clearTimeout(timer)
        resolve(m)
      })
    })
  }

  /** Round trip that proves everything sent before it has been processed by the server. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' })
    assert.deepEqual(await this.next(), { type: 'pong' })
  }

  async subscribe(...topics: string[]): Promise<void> {
    this.send({ type: 'subscribe', topics })
    await this.sync()
  }

  async closedWith(timeoutMs = WAIT_MS): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('connection was not closed in time')), timeoutMs)
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  close(): void {
    this.ws.terminate()
  }
}

/** Resolves with the HTTP status a WebSocket upgrade is answered with (101 when it succeeds). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => {
      ws.terminate()
      resolve(101)
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      ws.terminate()
    })
    ws.once('error', (err) => {
      if (!String(err.message).includes('Unexpected server response')) reject(err)
    })
  })
}

async function health(server: SignalingProcess): Promise<{ status: string; connections: number; topics: number }> {
  const res = await fetch(`${server.httpUrl}/health`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /application\/json/)
  return (await res.json()) as { status: string; connections: number; topics: number }
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let topicCounter = 0
const freshTopic = (): string => `room-${++topicCounter}`

describe('signaling server (CLI process)', () => {
  let server: SignalingProcess
  const clients: Client[] = []
  const open = async (url = server.url): Promise<Client> => {
    const client = await Client.open(url)
    clients.push(client)
    return client
  }

  /** Two clients on a fresh topic; `check()` asserts a publish from one still reaches the other. */
  async function goodPair() {
    const topic = freshTopic()
    const a = await open()
    const b = await open()
    await a.subscribe(topic)
    await b.subscribe(topic)
    return {
      topic,
      a,
      b,
      async check(expectedClients = 2) {
        const data = { type: 'announce', from: `peer-${topicCounter}` }
        a.send({ type: 'publish', topic, data })
        for (const c of [a, b])
          assert.deepEqual(await c.next(), { type: 'publish', topic, data, clients: expectedClients })
      },
    }
  }

  /** Runs `abuse` on a fresh connection that joined a good pair's topic, then checks the pair. */
  async function assertKicked(abuse: (bad: Client) => void, code: number, reason: string | RegExp) {
    const pair = await goodPair()
    const bad = await open()
    await bad.subscribe(pair.topic)
    abuse(bad)
    const closed = await bad.closedWith()
    assert.equal(closed.code, code)
    if (typeof reason === 'string') assert.equal(closed.reason, reason)
    else assert.match(closed.reason, reason)
    // The pair still relays, and the kicked connection no longer counts as a subscriber.
    await pair.check(2)
  }

  before(async () => {
    server = await startSignalingProcess({
      args: [
        '--max-payload=2048',
        '--max-topics=4',
        '--max-topic-length=32',
        '--max-subscribers=3',
        '--rate=5',
        '--burst=30',
        '--log-level=debug',
      ],
    })
  })

  after(async () => {
    for (const c of clients) c.close()
    const { code } = await server.stop()
    assert.equal(code, 0)
  })

  test('prints its address and answers / like y-webrtc', async () => {
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(server.port > 0)
    const res = await fetch(`${server.httpUrl}/`)
    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'okay')
    assert.equal((await fetch(`${server.httpUrl}/nope`)).status, 404)
  })

  test('relays a publish verbatim to every subscriber, sender included, adding clients', async () => {
    const topic = freshTopic()
    const [a, b, c] = [await open(), await open(), await open()]
    await a.subscribe(topic)
    await b.subscribe(topic)
    await c.subscribe(freshTopic())
    const data = { to: 'peer-b', from: 'peer-a', type: 'signal', signal: { type: 'offer', sdp: 'v=0\r\n…' } }
    a.send({ type: 'publish', topic, data, extra: [1, { nested: true }] })
    const expected = { type: 'publish', topic, data, extra: [1, { nested: true }], clients: 2 }
    assert.deepEqual(await a.next(), expected)
    assert.deepEqual(await b.next(), expected)
    // c is on another topic: the next thing it sees is its own pong, not the publish.
    await c.sync()
  })

  test('answers ping with pong', async () => {
    const a = await open()
    a.send({ type: 'ping' })
    assert.deepEqual(await a.next(), { type: 'pong' })
  })

  test('unsubscribe stops delivery', async () => {
    const [t1, t2] = [freshTopic(), freshTopic()]
    const [a, b] = [await open(), await open()]
    await a.subscribe(t1, t2)
    await b.subscribe(t1, t2)
    b.send({ type: 'unsubscribe', topics: [t1] })
    await b.sync()
    // a's frames are handled in order: had b still been on t1, it would get that publish first.
    a.send({ type: 'publish', topic: t1, data: 'one' })
    a.send({ type: 'publish', topic: t2, data: 'two' })
    assert.deepEqual(await b.next(), { type: 'publish', topic: t2, data: 'two', clients: 2 })
    assert.deepEqual(await a.next(), { type: 'publish', topic: t1, data: 'one', clients: 1 })
  })

  test('speaks y-webrtc 10: repeated subscribes, empty topic lists, encrypted string data, unknown types', async () => {
    const topic = freshTopic()
    const [a, b] = [await open(), await open()]
    // What SignalingConn sends on connect (all rooms at once, possibly none), then what
    // announceSignalingInfo re-sends on every peer change.
    a.send({ type: 'subscribe', topics: [] })
    await a.subscribe(topic, topic)
    await a.subscribe(topic)
    await b.subscribe(topic)
    a.send({ type: 'some-future-type', anything: 1 })
    a.send({ type: 'publish', topic, data: 'aGVsbG8gZW5jcnlwdGVkIHdvcmxk' })
    assert.deepEqual(await b.next(), { type: 'publish', topic, data: 'aGVsbG8gZW5jcnlwdGVkIHdvcmxk', clients: 2 })
    // Publishing to a topic nobody is on is accepted and goes nowhere.
    a.send({ type: 'publish', topic: freshTopic(), data: { type: 'announce', from: 'x' } })
    await a.next() // its own echo of the first publish
    await a.sync()
    b.send({ type: 'unsubscribe', topics: [topic, 'never-subscribed'] })
    await b.sync()
  })

  test('/health reports connections and topics as JSON', async () => {
    for (const c of clients.splice(0)) c.close()
    await waitFor(async () => (await health(server)).connections === 0, 'earlier clients to go')
    assert.deepEqual(await health(server), { status: 'ok', connections: 0, topics: 0 })
    const shared = freshTopic()
    const [a, b] = [await open(), await open()]
    await a.subscribe(shared, freshTopic())
    await b.subscribe(shared)
    assert.deepEqual(await health(server), { status: 'ok', connections: 2, topics: 2 })
    a.close()
    await waitFor(async () => (await health(server)).connections === 1, 'the closed client to be dropped')
    assert.deepEqual(await health(server), { status: 'ok', connections: 1, topics: 1 })
  })

  test('malformed JSON closes the sender with 1007, others keep relaying', async () => {
    await assertKicked((bad) => bad.send('{"type":"publish",'), 1007, 'malformed JSON')
  })

  for (const [name, frame] of [
    ['an array', '[1,2]'],
    ['a string', '"subscribe"'],
    ['null', 'null'],
    ['a number', '42'],
  ] as const) {
    test(`a JSON frame that is ${name} closes the sender with 1008`, async () => {
      await assertKicked((bad) => bad.send(frame), 1008, 'invalid message: not a JSON object')
    })
  }

  for (const [name, message, reason] of [
    ['no type', { topics: ['x'] }, 'invalid message: type must be a string'],
    ['a numeric type', { type: 5 }, 'invalid message: type must be a string'],
    ['topics as a string', { type: 'subscribe', topics: 'x' }, 'invalid message: topics must be an array'],
    ['no topics', { type: 'unsubscribe' }, 'invalid message: topics must be an array'],
    [
      'a numeric topic in topics',
      { type: 'subscribe', topics: ['x', 1] },
      'invalid message: topic must be a non-empty string',
    ],
    [
      'a numeric publish topic',
      { type: 'publish', topic: 7, data: {} },
      'invalid message: topic must be a non-empty string',
    ],
    ['a publish without topic', { type: 'publish', data: {} }, 'invalid message: topic must be a non-empty string'],
    [
      'an empty publish topic',
      { type: 'publish', topic: '', data: {} },
      'invalid message: topic must be a non-empty string',
    ],
  ] as const) {
    test(`a message with ${name} closes the sender with 1008`, async () => {
      await assertKicked((bad) => bad.send(message), 1008, reason)
    })
  }

  test('a binary frame closes the sender with 1003', async () => {
    await assertKicked((bad) => bad.ws.send(Buffer.from('{"type":"ping"}')), 1003, 'binary frames are not accepted')
  })

  test('an oversized frame closes the sender with 1009', async () => {
    const big = JSON.stringify({ type: 'publish', topic: 'x', data: 'x'.repeat(4096) })
    await assertKicked((bad) => bad.send(big), 1009, /.*/)
  })

  test('too many topics at once closes the sender with 1008', async () => {
    await assertKicked(
      (bad) => bad.send({ type: 'subscribe', topics: ['t1', 't2', 't3', 't4', 't5'] }),
      1008,
      'too many topics',
    )
  })

  test('too many topics over several subscribes closes the sender with 1008', async () => {
    await assertKicked(
      (bad) => {
        // Already on one topic (the pair's); three more make four, the fifth is one too many.
        bad.send({ type: 'subscribe', topics: ['c1', 'c2', 'c3'] })
        bad.send({ type: 'subscribe', topics: ['c1', 'c4'] })
      },
      1008,
      'too many topics',
    )
  })

  test('a topic over the length limit closes the sender with 1008', async () => {
    await assertKicked((bad) => bad.send({ type: 'subscribe', topics: ['t'.repeat(33)] }), 1008, 'topic too long')
    await assertKicked((bad) => bad.send({ type: 'publish', topic: 'p'.repeat(33), data: {} }), 1008, 'topic too long')
  })

  test('a message flood closes the sender with 4029', async () => {
    await assertKicked(
      (bad) => {
        for (let i = 0; i < 200; i++) bad.send({ type: 'ping' })
      },
      4029,
      'rate limit exceeded',
    )
  })

  test('a full topic refuses the extra subscriber but keeps its connection', async () => {
    const topic = freshTopic()
    const own = freshTopic()
    const members = [await open(), await open(), await open()]
    for (const m of members) await m.subscribe(topic)
    const late = await open()
    await late.subscribe(topic, own)
    const a = members[0]!
    a.send({ type: 'publish', topic, data: 'full' })
    a.send({ type: 'publish', topic: own, data: 'own' })
    assert.deepEqual(await a.next(), { type: 'publish', topic, data: 'full', clients: 3 })
    // Had the late subscriber been let in, the first publish would reach it first.
    assert.deepEqual(await late.next(), { type: 'publish', topic: own, data: 'own', clients: 1 })
    await server.waitForLog((e) => e.event === 'reject' && e.reason === 'topic full')
  })

  test('logs are JSON lines with connects, subscribes, rejections and disconnects, never payloads', async () => {
    const logs = server.logs()
    const events = new Set(logs.map((e) => e.event))
    for (const event of ['listening', 'connect', 'subscribe', 'unsubscribe', 'reject', 'disconnect']) {
      assert.ok(events.has(event), `no ${event} entry`)
    }
    for (const e of logs) {
      assert.equal(typeof e['time'], 'string')
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(e.level)))
    }
    const text = server.stderr()
    // Payload contents and topic names used above must not have been logged.
    for (const secret of ['aGVsbG8gZW5jcnlwdGVkIHdvcmxk', 'peer-b', 'room-']) {
      assert.ok(!text.includes(secret), `log leaks ${secret}`)
    }
    assert.ok(logs.some((e) => e.event === 'reject' && e['code'] === 4029 && e['reason'] === 'rate limit exceeded'))
  })
})

describe('signaling server heartbeat', () => {
  test('reaps a client that stops answering pings', async () => {
    // Only the stuck client is on this server, so a stalled test process cannot make it reap
    // anyone the assertions depend on.
    const server = await startSignalingProcess({ args: ['--heartbeat-interval', '100'] })
    const stuck = await Client.open(server.url)
    try {
      await stuck.subscribe('room')
      assert.deepEqual(await health(server), { status: 'ok', connections: 1, topics: 1 })
      // A paused socket reads nothing, so ws never sees the server's pings and never answers.
      ;(stuck.ws as unknown as { _socket: Socket })._socket.pause()
      const entry = await server.waitForLog((e) => e.event === 'disconnect' && e.reason === 'heartbeat timeout')
      assert.equal(entry['level'], 'info')
      assert.deepEqual(await health(server), { status: 'ok', connections: 0, topics: 0 })
    } finally {
      stuck.close()
      assert.equal((await server.stop()).code, 0)
    }
  })
})

describe('signaling server with a token', () => {
  let server: SignalingProcess
  before(async () => {
    server = await startSignalingProcess({ env: { TOKEN: 's3cret' }, args: ['--quiet'] })
  })
  after(async () => {
    assert.equal((await server.stop()).code, 0)
  })

  test('refuses upgrades without the right token with 401', async () => {
    assert.equal(await upgradeStatus(server.url), 401)
    assert.equal(await upgradeStatus(`${server.url}/?token=wrong`), 401)
    assert.equal(await upgradeStatus(`${server.url}/?token=s3cret-and-more`), 401)
    assert.equal(server.stderr(), '', '--quiet logs nothing')
  })

  test('accepts the right token, and /health needs none', async () => {
    const topic = 'room'
    const a = await Client.open(`${server.url}/?token=s3cret`)
    const b = await Client.open(`${server.url}/some/path?token=s3cret`)
    try {
      await a.subscribe(topic)
      await b.subscribe(topic)
      a.send({ type: 'publish', topic, data: 1 })
      assert.deepEqual(await b.next(), { type: 'publish', topic, data: 1, clients: 2 })
      assert.equal((await health(server)).connections, 2)
    } finally {
      a.close()
      b.close()
    }
  })
})

describe('signaling server connection limit', () => {
  test('refuses connections past --max-connections with 503 and recovers when one leaves', async () => {
    const server = await startSignalingProcess({ args: ['--max-connections', '2', '--quiet'] })
    try {
      const a = await Client.open(server.url)
      const b = await Client.open(server.url)
      assert.equal(await upgradeStatus(server.url), 503)
      a.close()
      await waitFor(async () => (await health(server)).connections === 1, 'the closed client to be dropped')
      const c = await Client.open(server.url)
      await c.sync()
      b.close()
      c.close()
    } finally {
      assert.equal((await server.stop()).code, 0)
    }
  })
})

describe('signaling server shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} closes connections with 1001 and exits 0`, async () => {
      const server = await startSignalingProcess()
      const a = await Client.open(server.url)
      await a.subscribe('room')
      const exit = await server.stop(signal)
      assert.deepEqual(exit, { code: 0, signal: null })
      assert.deepEqual(await a.closedWith(), { code: 1001, reason: 'server shutting down' })
      assert.ok(server.logs().some((e) => e.event === 'closed'))
    })
  }

  test('refuses to start on a taken port, exiting 1', async () => {
    const first = await startSignalingProcess({ args: ['--quiet'] })
    try {
      await assert.rejects(startSignalingProcess({ args: ['--port', String(first.port)] }), /exited \(code 1/)
    } finally {
      await first.stop()
    }
  })
})
