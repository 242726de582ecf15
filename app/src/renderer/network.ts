/**
 * A room's network settings as the join screen takes them: the signaling servers, STUN/TURN
 * servers with their credentials, relay only. Checked here, turned into room options here, and
 * split here into what may be remembered in plain storage (no credential) and the credentials.
 */

/** One STUN/TURN row of the form. */
export interface IceServerInput {
  /** One URL, or several separated by spaces or commas (`turn:host:3478 turns:host:5349`). */
  urls: string
  username: string
  credential: string
}

/** The network part of the form. */
export interface NetworkInput {
  /** Signaling URLs, one per line (commas and spaces also separate). */
  signaling: string
  iceServers: IceServerInput[]
  relayOnly: boolean
}

/** What the room is joined with. */
export interface NetworkSettings {
  signaling: string[]
  /** Undefined when no row was given: the room then asks its signaling servers (`GET /ice`). */
  iceServers: RTCIceServer[] | undefined
  iceTransportPolicy: 'all' | 'relay'
}

/** What is kept in plain storage (recent rooms): everything but the credentials. */
export interface StoredNetwork {
  iceServers: Array<{ urls: string; username: string }>
  relayOnly: boolean
}

/** A setting the room cannot be joined with; the message is shown to the user as it is. */
export class NetworkError extends Error {
  override name = 'NetworkError'
}

const MAX_SERVERS = 8
const MAX_FIELD = 1000

function split(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** The signaling URLs of the form, checked. */
export function parseSignaling(text: string): string[] {
  const urls = split(text)
  if (urls.length === 0) throw new NetworkError('Give at least one signaling server, like ws://192.168.1.10:4444.')
  if (urls.length > MAX_SERVERS) throw new NetworkError(`At most ${MAX_SERVERS} signaling servers.`)
  for (const text of urls) {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new NetworkError(
        `"${text}" is not a URL: signaling servers are ws:// or wss:// URLs, like ws://192.168.1.10:4444.`,
      )
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw new NetworkError(`"${text}": signaling servers are ws:// or wss:// URLs.`)
  }
  return [...new Set(urls)]
}

/**
 * Checks the form's network part and turns it into room options.
 * @throws NetworkError with a message for the user
 */
export function parseNetwork(input: NetworkInput): NetworkSettings {
  const signaling = parseSignaling(input.signaling)
  const rows = input.iceServers.filter((r) => r.urls.trim() !== '' || r.username.trim() !== '' || r.credential !== '')
  if (rows.length > MAX_SERVERS) throw new NetworkError(`At most ${MAX_SERVERS} STUN/TURN servers.`)
  const iceServers = rows.map((row): RTCIceServer => {
    const urls = split(row.urls)
    if (urls.length === 0) throw new NetworkError('A STUN/TURN server needs a URL, like turn:turn.example.com:3478.')
    for (const url of urls) {
      if (url.length > MAX_FIELD || !/^(stuns?|turns?):\S+$/i.test(url))
        throw new NetworkError(`"${url}" is not a STUN or TURN URL (stun:, stuns:, turn: or turns:).`)
    }
    const turn = urls.some((u) => /^turns?:/i.test(u))
    const username = row.username.trim()
    if (turn && (username === '' || row.credential === ''))
      throw new NetworkError(`The TURN server ${urls[0]} needs a username and a credential.`)
    if (username.length > MAX_FIELD || row.credential.length > MAX_FIELD)
      throw new NetworkError('A username or credential is too long.')
    return turn || username ? { urls, username, credential: row.credential } : { urls }
  })
  if (
    input.relayOnly &&
    iceServers.length > 0 &&
    !iceServers.some((s) => (s.urls as string[]).some((u) => /^turns?:/i.test(u)))
  )
    throw new NetworkError(
      '"Relay only" needs a TURN server (or none listed, to use the ones the signaling server hands out).',
    )
  return {
    signaling,
    iceServers: iceServers.length > 0 ? iceServers : undefined,
    iceTransportPolicy: input.relayOnly ? 'relay' : 'all',
  }
}

/** The rows without their credentials, for plain storage. */
export function withoutCredentials(input: Pick<NetworkInput, 'iceServers' | 'relayOnly'>): StoredNetwork {
  return {
    iceServers: input.iceServers
      .filter((r) => r.urls.trim() !== '')
      .map((r) => ({ urls: r.urls.trim(), username: r.username.trim() })),
    relayOnly: input.relayOnly,
  }
}

/** The credentials of the rows kept by {@link withoutCredentials}, in the same order. */
export function credentialsOf(input: Pick<NetworkInput, 'iceServers'>): string[] {
  return input.iceServers.filter((r) => r.urls.trim() !== '').map((r) => r.credential)
}

/** Rows again from stored settings and credentials (missing credentials are empty). */
export function rowsFrom(stored: StoredNetwork | undefined, credentials: readonly string[] | null): IceServerInput[] {
  return (stored?.iceServers ?? []).map((s, i) => ({ ...s, credential: credentials?.[i] ?? '' }))
}

/** Whether `value` is a {@link StoredNetwork} (it comes from storage, which anything may have written). */
export function isStoredNetwork(value: unknown): value is StoredNetwork {
  const v = value as StoredNetwork
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.relayOnly === 'boolean' &&
    Array.isArray(v.iceServers) &&
    v.iceServers.length <= MAX_SERVERS &&
    v.iceServers.every(
      (s) => typeof s === 'object' && s !== null && typeof s.urls === 'string' && typeof s.username === 'string',
    )
  )
}

/** The key under which a room's credentials are kept: one set per room and signaling servers. */
export function credentialKey(room: string, signaling: string): string {
  return `${room}\n${split(signaling).join(' ')}`
}
