// The signaling package's modules one by one, its in-process API, its CLI argument handling, and
// lib0's WebsocketClient (the transport y-webrtc's SignalingConn extends) against the server.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { parseCliArgs, UsageError } from '../../signaling/src/args.js'
import { tokenFromUrl, tokenMatches } from '../../signaling/src/auth.js'
import { CloseCode, DEFAULT_LIMITS, startSignalingServer, type LogEntry } from '../../signaling/src/index.js'
import { resolveLimits, TokenBucket } from '../../signaling/src/limits.js'
import { createLog } from '../../signaling/src/log.js'
import { TopicRegistry } from '../../signaling/src/topics.js'
import { parseFrame } from '../../signaling/src/validate.js'
import { withClientCount } from '../../signaling/src/wire.js'
import { ensureSignalingBuilt, SIGNALING_CLI } from '../helpers/signaling-process.js'

const topicLimits = { maxTopicLength: 8, maxTopicsPerConnection: 3 }

function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(poll, 10)
    }
    poll()
  })
}

function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

describe('TokenBucket', () => {
  test('allows a burst, then refills at the rate, never above capacity', () => {
    let now = 0
    const bucket = new TokenBucket(2, 3, () => now)
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false])
    now += 499
    assert.equal(bucket.take(), false)
    now += 1
    assert.deepEqual([bucket.take(), bucket.take()], [true, false])
    now += 60_000
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false])
  })
})

describe('resolveLimits', () => {
  test('fills in defaults and keeps overrides', () => {
    assert.deepEqual(resolveLimits(), DEFAULT_LIMITS)
    assert.equal(resolveLimits({ maxTopicLength: 10 }).maxTopicLength, 10)
    assert.equal(resolveLimits({ maxTopicLength: 10 }).maxPayload, DEFAULT_LIMITS.maxPayload)
  })

  test('refuses zero, negative and non-finite limits', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => resolveLimits({ maxConnections: bad }), RangeError)
    }
  })
})

describe('parseFrame', () => {
  test('accepts the four y-webrtc message types', () => {
    assert.deepEqual(parseFrame('{"type":"subscribe","topics":["a","b","a"]}', topicLimits), {
      ok: true,
      message: { kind: 'subscribe', topics: ['a', 'b'] },
    })
    assert.deepEqual(parseFrame('{"type":"unsubscribe","topics":[]}', topicLimits), {
      ok: true,
      message: { kind: 'unsubscribe', topics: [] },
    })
    const text = '{"type":"publish","topic":"a","data":{"x":1}}'
    assert.deepEqual(parseFrame(text, topicLimits), {
      ok: true,
      message: { kind: 'publish', topic: 'a', fields: { type: 'publish', topic: 'a', data: { x: 1 } }, text },
    })
    assert.deepEqual(parseFrame('{"type":"ping"}', topicLimits), { ok: true, message: { kind: 'ping' } })
    assert.deepEqual(parseFrame('{"type":"later"}', topicLimits), {
      ok: true,
      message: { kind: 'unknown', type: 'later' },
    })
  })

  test('turns every malformed frame into a close code and reason', () => {
    const cases: [string, number, string][] = [
      ['', CloseCode.InvalidPayload, 'malformed JSON'],
      ['{"type":', CloseCode.InvalidPayload, 'malformed JSON'],
      ['[]', CloseCode.PolicyViolation, 'invalid message: not a JSON object'],
      ['true', CloseCode.PolicyViolation, 'invalid message: not a JSON object'],
      ['{"type":null}', CloseCode.PolicyViolation, 'invalid message: type must be a string'],
      [
        '{"type":"subscribe","topics":{"0":"a"}}',
        CloseCode.PolicyViolation,
        'invalid message: topics must be an array',
      ],
      [
        '{"type":"subscribe","topics":[""]}',
        CloseCode.PolicyViolation,
        'invalid message: topic must be a non-empty string',
      ],
      [
        '{"type":"subscribe","topics":[null]}',
        CloseCode.PolicyViolation,
        'invalid message: topic must be a non-empty string',
      ],
      ['{"type":"subscribe","topics":["a","b","c","d"]}', CloseCode.PolicyViolation, 'too many topics'],
      ['{"type":"unsubscribe","topics":["123456789"]}', CloseCode.PolicyViolation, 'topic too long'],
      [
        '{"type":"publish","topic":["a"]}',
        CloseCode.PolicyViolation,
        'invalid message: topic must be a non-empty string',
      ],
      ['{"type":"publish","topic":"123456789"}', CloseCode.PolicyViolation, 'topic too long'],
    ]
    for (const [text, code, reason] of cases) {
      assert.deepEqual(parseFrame(text, topicLimits), { ok: false, violation: { code, reason } }, text)
    }
  })
})

describe('withClientCount', () => {
  test('appends clients to the frame as received, byte for byte', () => {
    const text = '{ "type" : "publish", "topic":"t", "data": {"sdp":"v=0\\r\\n"} }\n'
    const fields = JSON.parse(text) as Record<string, unknown>
    const out = withClientCount(text, fields, 3)
    assert.equal(out, '{ "type" : "publish", "topic":"t", "data": {"sdp":"v=0\\r\\n"} ,"clients":3}')
    assert.deepEqual(JSON.parse(out!), { ...fields, clients: 3 })
  })

  test('replaces a clients field the sender set, in place', () => {
    const text = '{"type":"publish","clients":99,"topic":"t"}'
    assert.equal(
      withClientCount(text, JSON.parse(text) as Record<string, unknown>, 2),
      '{"type":"publish","clients":2,"topic":"t"}',
    )
  })

  test('relays nesting too deep for JSON.stringify, and refuses it only when it must re-serialize', () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`
    const text = `{"type":"publish","topic":"t","data":${deep}}`
    const fields = JSON.parse(text) as Record<string, unknown>
    assert.ok(withClientCount(text, fields, 1)?.endsWith(',"clients":1}'))
    const withClients = `{"type":"publish","topic":"t","clients":0,"data":${deep}}`
    assert.equal(withClientCount(withClients, JSON.parse(withClients) as Record<string, unknown>, 1), undefined)
  })
})

describe('TopicRegistry', () => {
  test('tracks subscribers, refuses past the per-topic limit, forgets empty topics', () => {
    const registry = new TopicRegistry<string>(2)
    assert.equal(registry.subscribe('t', 'a'), 'added')
    assert.equal(registry.subscribe('t', 'a'), 'already')
    assert.equal(registry.subscribe('t', 'b'), 'added')
    assert.equal(registry.subscribe('t', 'c'), 'full')
    assert.deepEqual([...registry.subscribers('t')], ['a', 'b'])
    assert.equal(registry.size, 1)
    assert.equal(registry.unsubscribe('t', 'c'), false)
    assert.equal(registry.unsubscribe('t', 'a'), true)
    assert.equal(registry.unsubscribe('t', 'b'), true)
    assert.equal(registry.size, 0)
    assert.equal(registry.subscribers('t').size, 0)
  })
})

describe('auth', () => {
  test('matches only the exact token', () => {
    assert.equal(tokenMatches('secret', 'secret'), true)
    for (const other of [null, '', 'secre', 'secret ', 'SECRET', 'secretsecret'])
      assert.equal(tokenMatches('secret', other), false)
  })

  test('reads the token from the request URL', () => {
    assert.equal(tokenFromUrl('/?token=a%20b'), 'a b')
    assert.equal(tokenFromUrl('/room?x=1&token=t'), 't')
    assert.equal(tokenFromUrl('/'), null)
    assert.equal(tokenFromUrl(undefined), null)
  })
})

describe('createLog', () => {
  test('filters by level, keeps the head fields, survives a throwing sink', () => {
    const seen: LogEntry[] = []
    const log = createLog('warn', (e) => seen.push(e))
    log.debug('d')
    log.info('i')
    log.warn('w', { n: 1, event: 'forged', level: 'debug' })
    log.error('e')
    assert.deepEqual(
      seen.map((e) => [e.level, e.event, e['n']]),
      [
        ['warn', 'w', 1],
        ['error', 'e', undefined],
      ],
    )
    assert.deepEqual(Object.keys(seen[0]!).slice(0, 3), ['time', 'level', 'event'])
    const silent: LogEntry[] = []
    createLog('silent', (e) => silent.push(e)).error('e')
    assert.equal(silent.length, 0)
    assert.doesNotThrow(() =>
      createLog('info', () => {
        throw new Error('sink down')
      }).info('x'),
    )
  })
})

describe('parseCliArgs', () => {
  test('flags win over the environment, which wins over defaults', () => {
    assert.deepEqual(parseCliArgs([], {}), { kind: 'run', options: {} })
    assert.deepEqual(parseCliArgs([], { PORT: '0', HOST: '::1', TOKEN: 't', LOG_LEVEL: 'warn' }), {
      kind: 'run',
      options: { port: 0, host: '::1', token: 't', logLevel: 'warn' },
    })
    assert.deepEqual(
      parseCliArgs(['--port', '5555', '--host', '0.0.0.0', '--token', 'f', '--quiet'], { PORT: '1', TOKEN: 'e' }),
      {
        kind: 'run',
        options: { port: 5555, host: '0.0.0.0', token: 'f', logLevel: 'silent' },
      },
    )
  })

  test('maps every limit flag', () => {
    const command = parseCliArgs(
      [
        '--max-payload=1',
        '--max-topics=2',
        '--max-topic-length=3',
        '--max-subscribers=4',
        '--rate=5',
        '--burst=6',
        '--max-connections=7',
        '--max-buffered=8',
        '--heartbeat-interval=9',
      ],
      {},
    )
    assert.deepEqual(command, {
      kind: 'run',
      options: {
        heartbeatIntervalMs: 9,
        limits: {
          maxPayload: 1,
          maxTopicsPerConnection: 2,
          maxTopicLength: 3,
          maxSubscribersPerTopic: 4,
          messagesPerSecond: 5,
          messageBurst: 6,
          maxConnections: 7,
          maxBufferedAmount: 8,
        },
      },
    })
  })

  test('refuses unknown flags and unusable values', () => {
    for (const argv of [
      ['--prot', '1'],
      ['--port', 'abc'],
      ['--port', '-1'],
      ['--rate', '0'],
      ['--burst', '1e3'],
      ['--log-level', 'loud'],
      ['x'],
    ]) {
      assert.throws(() => parseCliArgs(argv, {}), UsageError, argv.join(' '))
    }
    assert.throws(() => parseCliArgs([], { PORT: 'http' }), UsageError)
    assert.deepEqual(parseCliArgs(['-h'], {}), { kind: 'help' })
  })
})

describe('CLI', () => {
  test('--help and --version exit 0; a bad flag exits 2 with the usage', () => {
    ensureSignalingBuilt()
    const help = spawnSync(process.execPath, [SIGNALING_CLI, '--help'], { encoding: 'utf8' })
    assert.equal(help.status, 0)
    assert.match(help.stdout, /^Usage: diffstream-signaling/)
    const version = spawnSync(process.execPath, [SIGNALING_CLI, '--version'], { encoding: 'utf8' })
    assert.equal(version.status, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    const bad = spawnSync(process.execPath, [SIGNALING_CLI, '--port', 'nope'], { encoding: 'utf8' })
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /--port needs a non-negative integer/)
    assert.equal(bad.stdout, '')
  })
})

describe('startSignalingServer (in process)', () => {
  test('reports its address and stats, and close() is idempotent and closes clients with 1001', async () => {
    const entries: LogEntry[] = []
    const server = await startSignalingServer({ port: 0, logger: (e) => entries.push(e) })
    assert.equal(server.url, `ws://127.0.0.1:${server.port}`)
    assert.equal(server.host, '127.0.0.1')
    const ws = await openWs(server.url)
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(JSON.stringify({ type: 'subscribe', topics: ['a', 'b'] }))
    await waitUntil(() => server.stats().topics === 2, 'the subscription')
    assert.deepEqual(server.stats(), { connections: 1, topics: 2 })
    const first = server.close()
    assert.equal(server.close(), first)
    await first
    assert.equal(await closed, 1001)
    assert.deepEqual(server.stats(), { connections: 0, topics: 0 })
    assert.deepEqual(
      entries.map((e) => e.event),
      ['listening', 'connect', 'subscribe', 'close', 'disconnect', 'closed'],
    )
  })

  test('rejects a taken port and invalid options', async () => {
    const server = await startSignalingServer({ port: 0, logLevel: 'silent' })
    try {
      await assert.rejects(startSignalingServer({ port: server.port, logLevel: 'silent' }), /EADDRINUSE/)
    } finally {
      await server.close()
    }
    await assert.rejects(startSignalingServer({ port: 70_000 }), RangeError)
    await assert.rejects(startSignalingServer({ port: 0, heartbeatIntervalMs: 0 }), RangeError)
    await assert.rejects(startSignalingServer({ port: 0, limits: { maxPayload: -5 } }), RangeError)
  })

  test('closes a subscriber that stops reading once its send buffer is full', async () => {
    const entries: LogEntry[] = []
    const server = await startSignalingServer({
      port: 0,
      logger: (e) => entries.push(e),
      limits: { maxBufferedAmount: 64 * 1024, messageBurst: 10_000, messagesPerSecond: 10_000 },
    })
    const [publisher, reader] = [await openWs(server.url), await openWs(server.url)]
    try {
      reader.send(JSON.stringify({ type: 'subscribe', topics: ['t'] }))
      await waitUntil(() => server.stats().topics === 1, 'the subscription')
      ;(reader as unknown as { _socket: Socket })._socket.pause()
      const frame = JSON.stringify({ type: 'publish', topic: 't', data: 'x'.repeat(60_000) })
      // Bounded: enough to fill loopback's kernel buffers many times over.
      for (let i = 0; i < 1000 && !entries.some((e) => e['reason'] === 'send buffer full'); i++) {
        publisher.send(frame)
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5))
      }
      await waitUntil(
        () => entries.some((e) => e.event === 'reject' && e['reason'] === 'send buffer full'),
        'the reject',
      )
      assert.equal(entries.find((e) => e['reason'] === 'send buffer full')?.['code'], CloseCode.TryAgainLater)
      assert.equal(server.stats().topics, 0)
    } finally {
      publisher.terminate()
      reader.terminate()
      await server.close()
    }
  })
})

describe('lib0 WebsocketClient (y-webrtc 10 SignalingConn transport)', () => {
  test('two clients find each other the way y-webrtc announces', async () => {
    // lib0's client uses the browser WebSocket global, which Node 20 lacks; ws implements the same API.
    const globals = globalThis as { WebSocket?: unknown }
    const previous = globals.WebSocket
    globals.WebSocket = WebSocket
    const { WebsocketClient } = await import('lib0/websocket')
    const server = await startSignalingServer({ port: 0, logLevel: 'silent' })
    const peers = ['peer-a', 'peer-b'].map((peerId) => {
      const client = new WebsocketClient(server.url)
      const seen: unknown[] = []
      // What SignalingConn does on connect: subscribe to every room, then announce in each.
      client.on('connect', () => {
        client.send({ type: 'subscribe', topics: ['demo-room'] })
        client.send({ type: 'publish', topic: 'demo-room', data: { type: 'announce', from: peerId } })
      })
      client.on('message', (m: unknown) => seen.push(m))
      return { peerId, client, seen }
    })
    try {
      const announcedBy = (seen: unknown[], from: string) =>
        seen.some((m) => {
          const msg = m as { type?: string; topic?: string; data?: { type?: string; from?: string }; clients?: number }
          return (
            msg.type === 'publish' &&
            msg.topic === 'demo-room' &&
            msg.data?.type === 'announce' &&
            msg.data.from === from
          )
        })
      // Whichever connects second is seen by both; the first one's announce reaches at least itself.
      await waitUntil(
        () => peers.some((p) => peers.every((q) => announcedBy(q.seen, p.peerId))),
        'an announce to reach both peers',
      )
      peers[0]!.client.send({ type: 'ping' })
      await waitUntil(() => peers[0]!.seen.some((m) => (m as { type?: string }).type === 'pong'), 'the pong')
      assert.ok(peers.every((p) => p.client.connected))
    } finally {
      for (const p of peers) p.client.destroy()
      await server.close()
      globals.WebSocket = previous
    }
  })
})
