import { createHmac, randomBytes } from 'node:crypto'
import type { IceOptions, IceServerEntry, IceResponse } from './types.js'

/** Default lifetime of TURN credentials: a day, as coturn's documentation suggests. */
export const DEFAULT_TURN_TTL_SECONDS = 86_400
/** Lifetime reported when no TURN server is configured (STUN needs no credentials). */
const STUN_ONLY_TTL_SECONDS = 86_400
const MAX_TTL_SECONDS = 30 * 86_400

const STUN_URL = /^stuns?:[^\s?#]+(\?transport=(udp|tcp))?$/i
const TURN_URL = /^turns?:[^\s?#]+(\?transport=(udp|tcp))?$/i

/**
 * Checks the ICE part of the server options; returns them normalised.
 * @throws RangeError for a URL of the wrong scheme, TURN URLs without a secret (or the reverse),
 * or a TTL that is not a positive whole number of seconds (at most 30 days).
 */
export function resolveIce(options: IceOptions = {}): Required<Pick<IceOptions, 'stun'>> & IceOptions {
  const stun = [...(options.stun ?? [])]
  for (const url of stun) if (!STUN_URL.test(url)) throw new RangeError(`not a stun: or stuns: URL: "${url}"`)
  const turn = options.turn
  if (!turn) return { stun }
  if (turn.urls.length === 0) throw new RangeError('a TURN secret needs at least one TURN URL')
  for (const url of turn.urls) if (!TURN_URL.test(url)) throw new RangeError(`not a turn: or turns: URL: "${url}"`)
  if (!turn.secret) throw new RangeError('TURN URLs need the shared secret (coturn static-auth-secret)')
  const ttlSeconds = turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS)
    throw new RangeError(`the TURN TTL must be 1 to ${MAX_TTL_SECONDS} seconds, got ${ttlSeconds}`)
  return { stun, turn: { urls: [...turn.urls], secret: turn.secret, ttlSeconds } }
}

/**
 * Short-lived TURN credentials in the TURN REST API scheme that coturn checks with
 * `use-auth-secret`: the username is `<unix expiry>:<id>`, the credential
 * base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC and refuses expired usernames.
 *
 * @param nowMs current time (ms since the epoch), a parameter so that tests can fix it
 * @param id the part after the colon; random by default, so two answers never share a username
 */
export function turnCredentials(
  secret: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
  id: string = randomBytes(9).toString('base64url'),
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${id}`
  const credential = createHmac('sha1', secret).update(username, 'utf8').digest('base64')
  return { username, credential }
}

/** The body of `GET /ice`: the STUN servers, then the TURN servers with fresh credentials. */
export function iceResponse(ice: ReturnType<typeof resolveIce>, nowMs: number = Date.now()): IceResponse {
  const iceServers: IceServerEntry[] = []
  if (ice.stun.length > 0) iceServers.push({ urls: [...ice.stun] })
  if (ice.turn) {
    const ttl = ice.turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS
    iceServers.push({ urls: [...ice.turn.urls], ...turnCredentials(ice.turn.secret, ttl, nowMs) })
    return { iceServers, ttl }
  }
  return { iceServers, ttl: STUN_ONLY_TTL_SECONDS }
}
