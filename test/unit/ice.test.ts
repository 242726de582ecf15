// STUN/TURN configuration end to end in one process: the signaling server's credentials and
// `/ice` endpoint, its CLI flags, and the room's side (the /ice URL, answer checking, caching and
// refreshing, duplicate suppression). coturn itself is in test/integration/turn.test.ts.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseCliArgs, UsageError } from '../../signaling/src/args.js'
import { iceResponse, resolveIce, turnCredentials } from '../../signaling/src/ice.js'
import { startSignalingServer } from '../../signaling/src/index.js'
import { parseBusMessage } from '../../signaling/src/redis-bus.js'
import { withoutClientCount } from '../../signaling/src/wire.js'
import { iceEndpoint, IceServerSource, parseIceAnswer, type FetchLike } from '../../core/src/net/ice.js'
import { IceProblems } from '../../core/src/net/ice-watch.js'
import { RecentSet } from '../../core/src/net/recent-set.js'
import { RoomIce } from '../../core/src/net/room-ice.js'
import { InvalidMessageError } from '../../core/src/errors.js'

describe('TURN REST API credentials', () => {
  test('username is "<expiry>:<id>", credential is base64(HMAC-SHA1(secret, username))', async () => {
    const now = Date.UTC(2030, 0, 1)
    const { username, credential } = turnCredentials('north', 3600, now, 'abc')
    assert.equal(username, `${now / 1000 + 3600}:abc`)
    // Computed again with WebCrypto, independently of node:crypto's createHmac.
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('north'),
      { name: 'HMAC', hash: 'SHA-1' },
      false,
      ['sign'],
    )
    const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(username))
    assert.equal(credential, Buffer.from(mac).toString('base64'))
    // Two answers never share a username.
    assert.notEqual(turnCredentials('north', 60).username, turnCredentials('north', 60).username)
  })

  test('resolveIce refuses wrong schemes, TURN without a secret and odd TTLs', () => {
    assert.deepEqual(resolveIce({}), { stun: [] })
    assert.throws(() => resolveIce({ stun: ['turn:x:1'] }), RangeError)
    assert.throws(() => resolveIce({ turn: { urls: ['stun:x:1'], secret: 's' } }), RangeError)
    assert.throws(() => resolveIce({ turn: { urls: ['turn:x:1'], secret: '' } }), RangeError)
    assert.throws(() => resolveIce({ turn: { urls: [], secret: 's' } }), RangeError)
    assert.throws(() => resolveIce({ turn: { urls: ['turn:x:1'], secret: 's', ttlSeconds: 0 } }), RangeError)
    assert.throws(() => resolveIce({ turn: { urls: ['turn:x:1'], secret: 's', ttlSeconds: 1.5 } }), RangeError)
    const ok = resolveIce({
      stun: ['stun:s:3478'],
      turn: { urls: ['turn:t:3478?transport=tcp', 'turns:t:5349'], secret: 's' },
    })
    assert.equal(ok.turn?.ttlSeconds, 86_400)
  })

  test('iceResponse lists STUN, then TURN with fresh credentials; STUN only without TURN', () => {
    const stunOnly = iceResponse(resolveIce({ stun: ['stun:s:3478'] }))
    assert.deepEqual(stunOnly, { iceServers: [{ urls: ['stun:s:3478'] }], ttl: 86_400 })
    const both = iceResponse(
      resolveIce({ stun: ['stun:s:1'], turn: { urls: ['turn:t:1'], secret: 'k', ttlSeconds: 60 } }),
    )
    assert.equal(both.ttl, 60)
    assert.deepEqual(both.iceServers[0], { urls: ['stun:s:1'] })
    assert.deepEqual(both.iceServers[1]!.urls, ['turn:t:1'])
    assert.match(both.iceServers[1]!.username!, /^\d+:[\w-]+$/)
    assert.equal(parseIceAnswer(both).iceServers.length, 2, 'what the server says, the room accepts')
  })
})

describe('signaling CLI: ICE and Redis flags', () => {
  test('maps --stun, --turn-url (repeatable), --turn-secret or TURN_SECRET, --turn-ttl, --redis or REDIS_URL', () => {
    const command = parseCliArgs(
      [
        '--stun',
        'stun:a:1',
        '--stun',
        'stun:b:2',
        '--turn-url',
        'turn:t:3',
        '--turn-url',
        'turns:t:5349',
        '--turn-ttl',
        '600',
      ],
      { TURN_SECRET: 'env-secret', REDIS_URL: 'redis://r:6379' },
    )
    assert.deepEqual(command, {
      kind: 'run',
      options: {
        ice: {
          stun: ['stun:a:1', 'stun:b:2'],
          turn: { urls: ['turn:t:3', 'turns:t:5349'], secret: 'env-secret', ttlSeconds: 600 },
        },
        redis: 'redis://r:6379',
      },
    })
    const flagWins = parseCliArgs(['--turn-url', 'turn:t:3', '--turn-secret', 'flag', '--redis', 'redis://x:1'], {
      TURN_SECRET: 'env',
      REDIS_URL: 'redis://y:2',
    })
    assert.equal(flagWins.kind === 'run' && flagWins.options.ice?.turn?.secret, 'flag')
    assert.equal(flagWins.kind === 'run' && flagWins.options.redis, 'redis://x:1')
  })

  test('refuses TURN without a secret, a secret without TURN, bad URLs and a bad TTL', () => {
    for (const argv of [
      ['--turn-url', 'turn:t:3'],
      ['--turn-secret', 's'],
      ['--turn-url', 'http://t:3', '--turn-secret', 's'],
      ['--stun', 'turn:t:3'],
      ['--turn-url', 'turn:t:3', '--turn-secret', 's', '--turn-ttl', '0'],
      ['--redis', 'localhost:6379'],
    ])
      assert.throws(() => parseCliArgs(argv, {}), UsageError, argv.join(' '))
  })
})

describe('GET /ice', () => {
  test('answers with fresh credentials to anyone (CORS), or only with the token when there is one', async () => {
    const ice = { stun: ['stun:127.0.0.1:3478'], turn: { urls: ['turn:127.0.0.1:3478'], secret: 'k', ttlSeconds: 120 } }
    const open = await startSignalingServer({ port: 0, logLevel: 'silent', ice })
    const locked = await startSignalingServer({ port: 0, logLevel: 'silent', ice, token: 'tk' })
    try {
      const http = (s: { port: number }, path: string) => fetch(`http://127.0.0.1:${s.port}${path}`)
      const res = await http(open, '/ice')
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('access-control-allow-origin'), '*')
      assert.equal(res.headers.get('cache-control'), 'no-store')
      const body = parseIceAnswer(await res.json())
      assert.equal(body.ttl, 120)
      const second = parseIceAnswer(await (await http(open, '/ice')).json())
      assert.notEqual(second.iceServers[1]!.username, body.iceServers[1]!.username)

      assert.equal((await http(locked, '/ice')).status, 401)
      assert.equal((await http(locked, '/ice?token=wrong')).status, 401)
      assert.equal((await http(locked, '/ice?token=tk')).status, 200)
      assert.equal((await http(open, '/health')).status, 200)
    } finally {
      await Promise.all([open.close(), locked.close()])
    }
  })

  test('a server without ICE options answers an empty list', async () => {
    const s = await startSignalingServer({ port: 0, logLevel: 'silent' })
    try {
      const body = await (await fetch(`http://127.0.0.1:${s.port}/ice`)).json()
      assert.deepEqual(body, { iceServers: [], ttl: 86_400 })
    } finally {
      await s.close()
    }
  })
})

describe("the room's ICE servers", () => {
  test('iceEndpoint maps ws/wss to http/https /ice, keeping only the token', () => {
    assert.equal(iceEndpoint('ws://h:4444'), 'http://h:4444/ice')
    assert.equal(iceEndpoint('wss://sig.example.com/path?token=a%20b&x=1'), 'https://sig.example.com/ice?token=a+b')
    assert.equal(iceEndpoint('ws://[::1]:4444/'), 'http://[::1]:4444/ice')
    assert.equal(iceEndpoint('ftp://h'), null)
    assert.equal(iceEndpoint('not a url'), null)
  })

  test('parseIceAnswer refuses anything but the documented shape', () => {
    const bad: unknown[] = [
      null,
      [],
      { iceServers: 'x', ttl: 1 },
      { iceServers: [{ urls: 'http://x' }], ttl: 1 },
      { iceServers: [{ urls: [] }], ttl: 1 },
      { iceServers: [{ urls: 'turn:x', username: 5 }], ttl: 1 },
      { iceServers: [{ urls: 'stun:x' }], ttl: -1 },
      { iceServers: [{ urls: 'stun:x' }] },
      { iceServers: Array.from({ length: 17 }, () => ({ urls: 'stun:x' })), ttl: 1 },
      { iceServers: [{ urls: 'stun:' + 'x'.repeat(2000) }], ttl: 1 },
    ]
    for (const value of bad) assert.throws(() => parseIceAnswer(value), InvalidMessageError, JSON.stringify(value))
    assert.deepEqual(parseIceAnswer({ iceServers: [{ urls: 'stun:x:1', extra: 1 }], ttl: 1e12 }), {
      iceServers: [{ urls: ['stun:x:1'] }],
      ttl: 30 * 86_400,
    })
  })

  test('IceServerSource: one fetch for concurrent links, refreshed after half the TTL, kept when a refresh fails', async () => {
    let now = 0
    let calls = 0
    let failing = false
    const fetchImpl: FetchLike = async () => {
      calls++
      if (failing) throw new Error('connection refused')
      return { ok: true, status: 200, json: async () => ({ iceServers: [{ urls: [`stun:x:${calls}`] }], ttl: 100 }) }
    }
    const warnings: string[] = []
    const source = new IceServerSource(
      ['ws://a', 'ws://b?token=secret'],
      (w) => warnings.push(w),
      fetchImpl,
      () => now,
    )
    const [first, again] = await Promise.all([source.servers(), source.servers()])
    assert.deepEqual(first, again)
    assert.equal(calls, 2, 'both servers asked once, the first answer wins')
    now = 49_000
    assert.deepEqual(await source.servers(), first, 'still fresh')
    assert.equal(calls, 2)
    now = 51_000
    const refreshed = await source.servers()
    assert.notDeepEqual(refreshed, first)
    failing = true
    now = 200_000
    assert.deepEqual(await source.servers(), refreshed, 'a failed refresh keeps the previous answer')
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /GET \/ice.*keeping the servers it gave before.*connection refused/)
    assert.doesNotMatch(warnings[0]!, /secret/, 'tokens stay out of warnings')
    const before = calls
    now = 201_000
    await source.servers()
    assert.equal(calls, before, 'no new round within 5 s of a failed one')
  })

  test('IceServerSource against a real signaling server, and a server without /ice', async () => {
    const s = await startSignalingServer({
      port: 0,
      logLevel: 'silent',
      ice: { stun: ['stun:127.0.0.1:9'] },
      token: 't',
    })
    try {
      const warnings: string[] = []
      const good = new IceServerSource([`${s.url}/?token=t`], (w) => warnings.push(w))
      assert.deepEqual(await good.servers(), [{ urls: ['stun:127.0.0.1:9'] }])
      const noToken = new IceServerSource([s.url], (w) => warnings.push(w))
      assert.deepEqual(await noToken.servers(), [])
      assert.match(warnings.at(-1)!, /host candidates only.*HTTP 401 \(wrong or missing token\)/)
    } finally {
      await s.close()
    }
    // y-webrtc's reference server answers "okay" to any HTTP request.
    const okay = createServer((_req, res) => res.end('okay'))
    await new Promise<void>((resolve) => okay.listen(0, '127.0.0.1', resolve))
    try {
      const warnings: string[] = []
      const plain = new IceServerSource([`ws://127.0.0.1:${(okay.address() as AddressInfo).port}`], (w) =>
        warnings.push(w),
      )
      assert.deepEqual(await plain.servers(), [])
      assert.match(warnings[0]!, /not JSON \(a server without \/ice\?\)/)
    } finally {
      okay.close()
    }
  })
})

describe("a room's ICE configuration", () => {
  test('given servers and policy pass through; relay only without a TURN server warns once', async () => {
    const warnings: string[] = []
    const stunOnly = new RoomIce({ iceServers: [{ urls: 'stun:s:1' }], iceTransportPolicy: 'relay' }, [], (w) =>
      warnings.push(w),
    )
    assert.deepEqual(await stunOnly.config(), { iceServers: [{ urls: 'stun:s:1' }], iceTransportPolicy: 'relay' })
    await stunOnly.config()
    assert.deepEqual(warnings, ['relay only, but no TURN server is configured: no peer can connect'])
    const turn = new RoomIce({ iceServers: [{ urls: ['turns:t:5349'], username: 'u', credential: 'c' }] }, [], (w) =>
      warnings.push(w),
    )
    assert.equal((await turn.config()).iceTransportPolicy, 'all')
    assert.equal(warnings.length, 1)
  })

  test('without iceServers the room asks its signaling servers', async () => {
    const s = await startSignalingServer({ port: 0, logLevel: 'silent', ice: { stun: ['stun:127.0.0.1:9'] } })
    try {
      const ice = new RoomIce({}, [s.url], (w) => assert.fail(w))
      assert.deepEqual(await ice.config(), { iceServers: [{ urls: ['stun:127.0.0.1:9'] }], iceTransportPolicy: 'all' })
    } finally {
      await s.close()
    }
  })
})

describe('duplicate signals', () => {
  test('RecentSet sees a repeat within the window only, and stays bounded', () => {
    let now = 0
    const set = new RecentSet(1000, 3, () => now)
    assert.equal(set.check('offer-1'), false)
    assert.equal(set.check('offer-1'), true)
    now = 1500
    assert.equal(set.check('offer-1'), false, 'expired')
    for (const s of ['a', 'b', 'c', 'd']) set.check(s)
    assert.equal(set.check('offer-1'), false, 'pushed out by capacity')
  })

  test('bus messages: our format only, clients stripped before they cross', () => {
    assert.deepEqual(parseBusMessage('abc {"type":"publish"}'), { instance: 'abc', body: '{"type":"publish"}' })
    for (const m of ['', 'abc', ' {"a":1}', 'abc not-json', 'abc {}', 'abc { }', `${'x'.repeat(65)} {"a":1}`])
      assert.equal(parseBusMessage(m), undefined)
    assert.equal(
      withoutClientCount(' {"type":"publish","topic":"t"} ', { type: 'publish' }),
      '{"type":"publish","topic":"t"}',
    )
    assert.equal(
      withoutClientCount('{"clients":9,"type":"publish"}', { clients: 9, type: 'publish' }),
      '{"type":"publish"}',
    )
  })
})

describe('ICE problems', () => {
  test('a 401 from TURN, and relay-only gathering without a relay candidate, become warnings at most every 30 s', () => {
    let now = 0
    const said: string[] = []
    const problems = new IceProblems(
      (m) => said.push(m),
      true,
      () => now,
    )
    const listeners = new Map<string, (e: Event) => void>()
    const pc = {
      iceGatheringState: 'gathering' as RTCIceGatheringState,
      addEventListener: (type: string, l: (e: Event) => void) => void listeners.set(type, l),
    }
    problems.watch(pc)
    const fire = (type: string, e: object) => listeners.get(type)!(e as Event)
    fire('icecandidateerror', { errorCode: 701, errorText: 'STUN server address is incompatible.', url: 'stun:x' })
    assert.deepEqual(said, [], '701 "incompatible" is expected on dual-stack hosts')
    fire('icecandidateerror', { errorCode: 401, errorText: 'Unauthorized', url: 'turn:t:3478' })
    fire('icecandidateerror', { errorCode: 401, errorText: 'Unauthorized', url: 'turn:t:3478' })
    pc.iceGatheringState = 'complete'
    fire('icegatheringstatechange', {})
    assert.equal(said.length, 2)
    assert.match(said[0]!, /turn:t:3478 refused the credentials \(401/)
    assert.match(said[1]!, /no TURN server gave a relay candidate/)
    now = 31_000
    fire('icecandidateerror', { errorCode: 401, errorText: 'Unauthorized', url: 'turn:t:3478' })
    assert.equal(said.length, 3)
  })
})
