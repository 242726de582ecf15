import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { tokenFromUrl, tokenMatches } from './auth.js'
import { CloseCode } from './close-codes.js'
import type { ClusterBus } from './bus.js'
import { Hub } from './hub.js'
import { iceResponse, resolveIce } from './ice.js'
import { resolveLimits } from './limits.js'
import { createLog } from './log.js'
import type { SignalingServer, SignalingServerOptions } from './types.js'

export const DEFAULT_PORT = 4444
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_HEARTBEAT_MS = 30_000
/** How long close() waits for clients to answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000

/** Writes a bare HTTP response on a socket that asked to upgrade, then closes it. */
function refuseUpgrade(socket: Duplex, status: number, extraHeaders: string[] = []): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extraHeaders,
  ]
  socket.once('finish', () => socket.destroy())
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`)
}

function pathOf(requestUrl: string | undefined): string {
  try {
    return new URL(requestUrl ?? '/', 'http://localhost').pathname
  } catch {
    return ''
  }
}

function formatUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port ${port}`)
  return port
}

/**
 * Starts a y-webrtc compatible signaling server.
 *
 * Clients connect over WebSocket (any path) and exchange JSON text frames: `subscribe` /
 * `unsubscribe` with `topics`, `publish` with a `topic` (relayed to every subscriber of it,
 * the sender included, with `clients` set to the subscriber count), and `ping` (answered with
 * `pong`). `GET /health` reports the connection and topic counts as JSON, `GET /ice` the STUN
 * and TURN servers for rooms (with fresh TURN credentials). With `redis`, instances sharing one
 * Redis relay each other's publishes.
 *
 * @returns once the server listens; rejects when it cannot (e.g. the port is taken).
 * @throws RangeError for an invalid port, heartbeat interval, limit, ICE URL or TURN TTL.
 * @example
 * ```ts
 * import { startSignalingServer } from '@diffstream/signaling'
 *
 * const server = await startSignalingServer({ port: 0, logLevel: 'warn' }) // 0: any free port
 * console.log(server.url) // ws://127.0.0.1:PORT, for y-webrtc or joinRoom's `signaling`
 * await server.close()
 * ```
 */
export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits = resolveLimits(options.limits)
  const log = createLog(options.logLevel ?? 'info', options.logger)
  const host = options.host ?? DEFAULT_HOST
  const requestedPort = checkPort(options.port ?? DEFAULT_PORT)
  const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS
  if (!(heartbeatMs > 0) || !Number.isFinite(heartbeatMs))
    throw new RangeError(`invalid heartbeat interval ${heartbeatMs}`)
  const token = options.token || undefined
  const ice = resolveIce(options.ice)

  let bus: ClusterBus | undefined
  if (options.redis) {
    // Loaded only for a cluster, so a single instance does not pay for the Redis client.
    const { RedisBus } = await import('./redis-bus.js')
    bus = new RedisBus(options.redis, log)
  }
  const hub = new Hub(limits, log, bus)
  // perMessageDeflate stays off: inflating a small frame into a large one would let a client get
  // around maxPayload's intent and costs CPU on every relay.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayload, perMessageDeflate: false })
  let closing = false

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Method Not Allowed\n')
    } else if (path === '/health') {
      const stats = hub.stats()
      // Degraded, not failing: the instance still serves its own clients, and a 503 would make
      // probes restart or drain it while Redis is down.
      const status = closing ? 'closing' : stats.cluster?.redis === 'down' ? 'degraded' : 'ok'
      const body = JSON.stringify({ status, ...stats })
      res.writeHead(closing ? 503 : 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(body)
    } else if (path === '/ice') {
      // Fetched by pages of other origins (the app's), without cookies: any origin may read it,
      // and the token in the query is what protects it.
      const headers = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' }
      if (token !== undefined && !tokenMatches(token, tokenFromUrl(req.url))) {
        log.warn('reject', {
          ip: req.socket.remoteAddress ?? 'unknown',
          status: 401,
          reason: 'ice: missing or wrong token',
        })
        res.writeHead(401, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n')
      } else {
        res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(iceResponse(ice)))
      }
    } else if (path === '/') {
      // y-webrtc's server answers "okay" here, and existing uptime checks may probe it.
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('okay')
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n')
    }
  })

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake emits 'error' on the raw socket; unhandled, that would
    // crash the whole server.
    socket.on('error', () => socket.destroy())
    const ip = req.socket.remoteAddress ?? 'unknown'
    if (closing) return refuseUpgrade(socket, 503)
    // Authentication comes before the capacity check so unauthenticated clients learn nothing
    // about the server's load.
    if (token !== undefined && !tokenMatches(token, tokenFromUrl(req.url))) {
      log.warn('reject', { ip, status: 401, reason: 'missing or wrong token' })
      return refuseUpgrade(socket, 401)
    }
    // Exact without counting handshakes in flight: with no verifyClient, ws completes the
    // upgrade and calls back synchronously, so the count below is current.
    if (hub.stats().connections >= limits.maxConnections) {
      log.warn('reject', { ip, status: 503, reason: 'too many connections' })
      return refuseUpgrade(socket, 503, ['Retry-After: 5'])
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, ip))
  })

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(requestedPort, host, () => {
        http.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    // Redis reconnects forever: an instance that could not listen must not keep the process alive.
    await bus?.close()
    throw err
  }
  http.on('error', (err) => log.error('server-error', { message: err.message }))

  const { port } = http.address() as AddressInfo
  const url = formatUrl(host, port)
  const heartbeat = setInterval(() => hub.sweep(), heartbeatMs)
  log.info('listening', {
    url,
    host,
    port,
    auth: token !== undefined,
    stun: ice.stun.length,
    turn: ice.turn?.urls.length ?? 0,
    redis: bus !== undefined,
  })

  let closed: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true
      clearInterval(heartbeat)
      log.info('close', { connections: hub.stats().connections })
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()))
      // Idle keep-alive HTTP connections (health probes) would otherwise hold http.close() open.
      http.closeIdleConnections()
      await hub.closeAll(CloseCode.GoingAway, 'server shutting down', CLOSE_GRACE_MS)
      http.closeAllConnections()
      wss.close()
      await bus?.close()
      await stopped
      log.info('closed')
    })())

  return { url, port, host, stats: () => hub.stats(), close }
}
