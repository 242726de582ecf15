import { InvalidMessageError } from '../errors.js'

/** What a signaling server's `GET /ice` answers (see docs/signaling.md). */
export interface IceAnswer {
  /** STUN servers, and TURN servers with their short-lived username and credential. */
  iceServers: RTCIceServer[]
  /** Seconds the TURN credentials in it stay valid. */
  ttl: number
}

const MAX_SERVERS = 16
const MAX_URLS = 16
const MAX_FIELD = 1024
const MAX_TTL_S = 30 * 86_400
const FETCH_TIMEOUT_MS = 4_000
/** After a failed round, ask again no sooner than this, however many links are being made. */
const RETRY_AFTER_MS = 5_000
const ICE_URL = /^(stuns?|turns?):[^\s]+$/i

/**
 * The `/ice` URL of a signaling server: `ws://h:p/x?token=t` → `http://h:p/ice?token=t` (`wss:` →
 * `https:`). Only the token travels along, and only when the signaling URL has one.
 * @returns null for a URL that is not ws:, wss:, http: or https:
 */
export function iceEndpoint(signalingUrl: string): string | null {
  let url: URL
  try {
    url = new URL(signalingUrl)
  } catch {
    return null
  }
  const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[url.protocol]
  if (!scheme) return null
  const token = url.searchParams.get('token')
  const out = new URL(`${scheme}//${url.host}/ice`)
  if (token !== null) out.searchParams.set('token', token)
  return out.href
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD)
    throw new InvalidMessageError(`/ice: ${what} must be a string of 1 to ${MAX_FIELD} characters`)
  return value
}

/**
 * Checks an `/ice` answer (it comes from the network: bounded, typed, nothing else kept).
 * @throws InvalidMessageError when it is not `{ iceServers: [{ urls, username?, credential? }], ttl }`
 */
export function parseIceAnswer(value: unknown): IceAnswer {
  const body = value as { iceServers?: unknown; ttl?: unknown } | null
  if (typeof body !== 'object' || body === null || !Array.isArray(body.iceServers))
    throw new InvalidMessageError('/ice: the answer has no iceServers list')
  if (body.iceServers.length > MAX_SERVERS) throw new InvalidMessageError(`/ice: more than ${MAX_SERVERS} servers`)
  const iceServers = body.iceServers.map((raw: unknown): RTCIceServer => {
    const entry = raw as { urls?: unknown; username?: unknown; credential?: unknown } | null
    if (typeof entry !== 'object' || entry === null) throw new InvalidMessageError('/ice: a server is not an object')
    const urls = (Array.isArray(entry.urls) ? entry.urls : [entry.urls]).map((u) => text(u, 'a URL'))
    if (urls.length === 0 || urls.length > MAX_URLS)
      throw new InvalidMessageError(`/ice: 1 to ${MAX_URLS} URLs a server`)
    for (const u of urls) if (!ICE_URL.test(u)) throw new InvalidMessageError(`/ice: not a STUN or TURN URL: ${u}`)
    const server: RTCIceServer = { urls }
    if (entry.username !== undefined) server.username = text(entry.username, 'username')
    if (entry.credential !== undefined) server.credential = text(entry.credential, 'credential')
    return server
  })
  const ttl = body.ttl
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)
    throw new InvalidMessageError('/ice: ttl must be a positive number of seconds')
  return { iceServers, ttl: Math.min(ttl, MAX_TTL_S) }
}

/** Whether any of `servers` is a TURN server (so that `iceTransportPolicy: 'relay'` can work). */
export function hasTurn(servers: readonly RTCIceServer[]): boolean {
  return servers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(u)))
}

/** The `fetch` a source uses; the platform's by default. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>

/**
 * A room's STUN/TURN servers when it was not given any: asked of its signaling servers
 * (`GET /ice`), all at once, the first valid answer winning. The answer is kept until half its
 * TTL has passed, so links made later get credentials with plenty of life left; a failed round
 * keeps the previous answer (or none: host candidates only) and is retried a few seconds later.
 */
export class IceServerSource {
  private answer: { servers: RTCIceServer[]; refreshAt: number } | null = null
  private pending: Promise<RTCIceServer[]> | null = null
  private retryAt = 0

  /**
   * @param signalingUrls the room's signaling servers
   * @param warn told once per failed round, with every server's reason
   */
  constructor(
    private readonly signalingUrls: readonly string[],
    private readonly warn: (message: string) => void,
    private readonly fetchImpl: FetchLike | undefined = platformFetch(),
    private readonly now: () => number = Date.now,
  ) {}

  /** The servers to make the next connection with; never rejects. */
  servers(): Promise<RTCIceServer[]> {
    const t = this.now()
    if (this.answer && t < this.answer.refreshAt) return Promise.resolve(this.answer.servers)
    if (this.pending) return this.pending
    if (t < this.retryAt) return Promise.resolve(this.answer?.servers ?? [])
    this.pending = this.fetchAll().finally(() => {
      this.pending = null
    })
    return this.pending
  }

  private async fetchAll(): Promise<RTCIceServer[]> {
    const endpoints = this.signalingUrls.map((u) => ({ signaling: u, ice: iceEndpoint(u) }))
    try {
      const fetchImpl = this.fetchImpl ?? noFetch
      const answer = await Promise.any(
        endpoints.map(async ({ signaling, ice }) => {
          try {
            if (!ice) throw new Error('not a ws:// or wss:// URL')
            return await fetchAnswer(fetchImpl, ice)
          } catch (err) {
            throw new Error(`${redact(signaling)}: ${err instanceof Error ? err.message : String(err)}`)
          }
        }),
      )
      const started = this.now()
      this.answer = { servers: answer.iceServers, refreshAt: started + (answer.ttl * 1000) / 2 }
      return answer.iceServers
    } catch (err) {
      this.retryAt = this.now() + RETRY_AFTER_MS
      const reasons: unknown[] = err instanceof AggregateError ? err.errors : [err]
      const kept = this.answer ? 'keeping the servers it gave before' : 'using host candidates only'
      this.warn(
        `could not get STUN/TURN servers from the signaling servers (GET /ice), ${kept}: ${reasons
          .map((r: unknown) => (r instanceof Error ? r.message : String(r)))
          .join('; ')}`,
      )
      return this.answer?.servers ?? []
    }
  }
}

async function fetchAnswer(fetchImpl: FetchLike, url: string): Promise<IceAnswer> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS)
  try {
    const res = await fetchImpl(url, { signal: abort.signal })
    if (!res.ok) throw new Error(`HTTP ${res.status}${res.status === 401 ? ' (wrong or missing token)' : ''}`)
    let body: unknown
    try {
      body = await res.json()
    } catch {
      throw new Error('the answer is not JSON (a server without /ice?)')
    }
    return parseIceAnswer(body)
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`no answer within ${FETCH_TIMEOUT_MS} ms`)
    // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, …) is in its cause.
    const cause = (err as { cause?: { code?: unknown } }).cause?.code
    if (typeof cause === 'string' && err instanceof Error) throw new Error(`${err.message} (${cause})`)
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/** The platform's fetch, called as a plain function of the global (browsers refuse another `this`). */
function platformFetch(): FetchLike | undefined {
  const f = (globalThis as { fetch?: FetchLike }).fetch
  return f ? (url, init) => f.call(globalThis, url, init) : undefined
}

const noFetch: FetchLike = () => Promise.reject(new Error('this platform has no fetch()'))

/** A signaling URL for messages: without its token. */
function redact(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/i, '$1…')
}
