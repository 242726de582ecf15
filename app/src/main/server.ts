/**
 * The app's local server, used by both the Electron app and web mode: it serves the built renderer
 * with the strict security headers, answers `GET /api/info` (the default signaling URL and the LAN
 * addresses), and runs an embedded signaling server on its own port. Bound to 0.0.0.0 by default
 * so that other machines on the LAN can use both.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { extname, join, resolve, sep } from 'node:path'
import { startSignalingServer, type LogLevel, type SignalingServer } from '@diffstream/signaling'
import type { AppInfo } from '../shared/ipc.js'
import { DEFAULT_APP_PORT, DEFAULT_SIGNALING_PORT } from './defaults.js'
import { lanAddresses, signalingUrlFor } from './network.js'
import { SECURITY_HEADERS } from './security.js'

export { DEFAULT_APP_PORT, DEFAULT_SIGNALING_PORT } from './defaults.js'

export interface AppServerOptions {
  /** The built renderer (`app/dist/renderer`). */
  rendererDir: string
  /** Interface for both servers. Default `0.0.0.0` (reachable from the LAN). */
  host?: string
  /** HTTP port; 0 picks a free one. Default 4480. */
  port?: number
  /** Embedded signaling port (0 picks a free one), or null for no embedded server. Default 4444. */
  signalingPort?: number | null
  /** When a fixed port is taken, take a free one instead of failing. Default true. */
  fallbackToFreePort?: boolean
  mode?: AppInfo['mode']
  version?: string
  signalingLogLevel?: LogLevel | 'silent'
}

export interface AppServer {
  /** The app for this machine, e.g. `http://127.0.0.1:4480/`. */
  readonly url: string
  readonly origin: string
  readonly port: number
  readonly host: string
  readonly signaling: SignalingServer | null
  /** The embedded signaling server as this machine reaches it, or null. */
  readonly signalingUrl: string | null
  /** What `/api/info` answers to a page loaded through `hostHeader`. */
  info(hostHeader?: string): AppInfo
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE'
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error): void => reject(err)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolvePort((server.address() as AddressInfo).port)
    })
  })
}

/** A URL host for this machine: the loopback address when listening on every interface. */
function localHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

/** Whether a server listening on `host` answers on `address` (0.0.0.0 is every IPv4 address, :: every address). */
export function reachableOn(host: string, address: string): boolean {
  if (host === '::' || host === '') return true
  if (host === '0.0.0.0') return !address.includes(':')
  return host === address
}

/** Maps a request path to a file under `root`, or null for anything outside it. */
export function resolveStatic(root: string, requestUrl: string | undefined): string | null {
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(requestUrl ?? '/', 'http://app.invalid').pathname)
  } catch {
    return null
  }
  if (pathname.includes('\0')) return null
  if (pathname.endsWith('/')) pathname += 'index.html'
  const base = resolve(root)
  const file = resolve(join(base, pathname))
  return file.startsWith(base + sep) ? file : null
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const host = options.host ?? '0.0.0.0'
  const fallback = options.fallbackToFreePort ?? true
  const rendererDir = resolve(options.rendererDir)
  const mode = options.mode ?? 'web'
  const version = options.version ?? '0.0.0'

  const notices: string[] = []
  let signaling: SignalingServer | null = null
  const signalingPort = options.signalingPort === undefined ? DEFAULT_SIGNALING_PORT : options.signalingPort
  if (signalingPort !== null) {
    const start = (port: number) => startSignalingServer({ port, host, logLevel: options.signalingLogLevel ?? 'warn' })
    try {
      signaling = await start(signalingPort)
    } catch (err) {
      if (!fallback || !isAddressInUse(err) || signalingPort === 0) throw err
      signaling = await start(0)
      notices.push(
        `Port ${signalingPort} was taken (another signaling server?), so the embedded signaling server runs on port ${signaling.port}.`,
      )
    }
  }

  let port = 0
  const info = (hostHeader?: string): AppInfo => ({
    version,
    mode,
    signalingUrl: signaling ? signalingUrlFor(hostHeader ?? `${localHost(host)}:${port}`, signaling.port) : null,
    lan: lanAddresses(networkInterfaces(), port, signaling?.port ?? null).filter((a) => reachableOn(host, a.address)),
    notices,
  })

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-cache' })
    res.end(head ? undefined : body)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' }).end()
      return
    }
    if ((req.url ?? '').split('?')[0] === '/api/info') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(info(req.headers.host)), head)
      return
    }
    const file = resolveStatic(rendererDir, req.url)
    const type = file ? CONTENT_TYPES[extname(file)] : undefined
    if (!file || !type) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head)
    try {
      if (!(await stat(file)).isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head)
      send(res, 200, type, await readFile(file), head)
    } catch {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head)
    }
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  const askedPort = options.port ?? DEFAULT_APP_PORT
  try {
    try {
      port = await listen(http, askedPort, host)
    } catch (err) {
      if (!fallback || !isAddressInUse(err) || askedPort === 0) throw err
      port = await listen(http, 0, host)
      notices.push(
        `Port ${askedPort} was taken, so the app runs on port ${port}. Data is kept per address: rooms saved while the app ran on port ${askedPort} appear again when it runs there.`,
      )
    }
  } catch (err) {
    await signaling?.close()
    throw err
  }

  const origin = `http://${localHost(host)}:${port}`
  let closing: Promise<void> | null = null
  return {
    url: `${origin}/`,
    origin,
    port,
    host,
    signaling,
    signalingUrl: signaling ? `ws://${localHost(host)}:${signaling.port}` : null,
    info,
    close() {
      closing ??= Promise.all([
        new Promise<void>((done) => {
          http.close(() => done())
          http.closeAllConnections()
        }),
        signaling?.close(),
      ]).then(() => undefined)
      return closing
    },
  }
}
