/**
 * Invite codes: what another device needs to join a private room (its name, signaling servers,
 * secret and writers, and for a writer invite the writer key), as one compact base64url string,
 * a `diffstream://join?code=…` link, or a web-mode address with `#invite=…`. Codes arrive from
 * outside (pasted, clicked), so decoding trusts nothing and fails with an {@link InviteError}.
 * No DOM here: the unit tests run it in Node.
 */
import type { WriterKeyPair } from '@diffstream/core'

/** Everything an invite carries. */
export interface Invite {
  room: string
  /** Signaling URLs (ws: or wss:); empty: the joining device uses its own default. */
  signaling: string[]
  /** The room password: signaling is encrypted with it, and only holders find each other. */
  secret: string
  /** Public keys of the room's writers. */
  writers: string[]
  /** Present in a writer invite only: the key this device writes with. */
  writerKey?: WriterKeyPair
}

export type InviteProblem = 'empty' | 'too-long' | 'not-an-invite' | 'version' | 'field'

/** A code that is not a valid invite; `message` is meant for the user as it is. */
export class InviteError extends Error {
  override name = 'InviteError'
  constructor(
    readonly problem: InviteProblem,
    message: string,
  ) {
    super(message)
  }
}

const PREFIX = 'ds1.'
const VERSION = 1
/** Longest text accepted, link included: a real invite is well under 1 KiB. */
export const MAX_INVITE_CHARS = 8192
export const MAX_ROOM_NAME = 200
const MAX_SIGNALING = 8
const MAX_URL = 1000
const MAX_WRITERS = 32
const KEY_TEXT = /^[A-Za-z0-9_-]+$/
/** A raw Ed25519 public key: 32 bytes, 43 base64url characters. */
const PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/
/** A PKCS#8 Ed25519 private key: 48 bytes, 64 base64url characters, always with this header. */
const PRIVATE_KEY = /^MC4CAQAwBQYDK2VwBCIEI[A-Za-z0-9_-]{43}$/
const SECRET_MIN = 22
const SECRET_MAX = 128

/** The wire form: short names keep codes short. */
interface InviteWire {
  v: number
  r: string
  s: string[]
  p: string
  w: string[]
  k?: [publicKey: string, privateKey: string]
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!KEY_TEXT.test(text) || text.length % 4 === 1) throw new InviteError('not-an-invite', notAnInvite)
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

const notAnInvite = 'This is not a DiffStream invite code (it may be cut short: copy the whole code).'

/** A new room secret: 32 random bytes, base64url. */
export function newRoomSecret(): string {
  return toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(32)))
}

/** The invite as a compact code (`ds1.` and base64url JSON). Checks it first, as decoding would. */
export function encodeInvite(invite: Invite): string {
  const wire: InviteWire = { v: VERSION, r: invite.room, s: invite.signaling, p: invite.secret, w: invite.writers }
  if (invite.writerKey) wire.k = [invite.writerKey.publicKey, invite.writerKey.privateKey]
  checkWire(wire)
  return PREFIX + toBase64Url(new TextEncoder().encode(JSON.stringify(wire)))
}

/** A link the desktop app opens: `diffstream://join?code=…`. */
export function inviteLink(code: string): string {
  return `diffstream://join?code=${code}`
}

/** The web-mode address that opens the app on the invite (the code stays in the fragment, never sent to a server). */
export function webInviteUrl(appUrl: string, code: string): string {
  const base = appUrl.split('#')[0] ?? appUrl
  return `${base}#invite=${code}`
}

/** The code inside a pasted text: a bare code, a `diffstream://` link or a web address with `#invite=`. */
function codeIn(text: string): string {
  if (/^diffstream:/i.test(text)) {
    const m = /[?&]code=([^&#\s]*)/.exec(text)
    return m?.[1] ?? ''
  }
  if (/^https?:\/\//i.test(text)) {
    const m = /#(?:.*&)?invite=([^&\s]*)/.exec(text)
    return m?.[1] ?? ''
  }
  return text
}

/** Reads an invite from a code or link; throws {@link InviteError} for anything else. */
export function decodeInvite(text: unknown): Invite {
  if (typeof text !== 'string' || text.trim() === '') throw new InviteError('empty', 'Paste an invite code or link.')
  if (text.length > MAX_INVITE_CHARS)
    throw new InviteError('too-long', `This is too long to be an invite code (${MAX_INVITE_CHARS} characters at most).`)
  const code = codeIn(text.trim()).replace(/\s+/g, '')
  if (!code.startsWith(PREFIX)) throw new InviteError('not-an-invite', notAnInvite)
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(code.slice(PREFIX.length))))
  } catch (err) {
    if (err instanceof InviteError) throw err
    throw new InviteError('not-an-invite', notAnInvite)
  }
  const wire = checkWire(parsed)
  const invite: Invite = { room: wire.r, signaling: [...wire.s], secret: wire.p, writers: [...wire.w] }
  if (wire.k) invite.writerKey = { publicKey: wire.k[0], privateKey: wire.k[1] }
  return invite
}

function bad(what: string): never {
  throw new InviteError('field', `This invite is damaged: ${what}.`)
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

function checkWire(value: unknown): InviteWire {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InviteError('not-an-invite', notAnInvite)
  const w = value as Partial<InviteWire>
  if (typeof w.v !== 'number') throw new InviteError('not-an-invite', notAnInvite)
  if (w.v !== VERSION)
    throw new InviteError('version', 'This invite was made by another version of DiffStream; update the app to use it.')
  if (typeof w.r !== 'string' || w.r.trim() === '' || w.r.length > MAX_ROOM_NAME)
    bad('the room name is missing or too long')
  if (!isStringArray(w.s) || w.s.length > MAX_SIGNALING) bad('the signaling servers are not a list of addresses')
  for (const url of w.s)
    if (url.length > MAX_URL || !isWsUrl(url)) bad('a signaling server is not a ws:// or wss:// address')
  if (typeof w.p !== 'string' || w.p.length < SECRET_MIN || w.p.length > SECRET_MAX || !KEY_TEXT.test(w.p))
    bad('the room secret is missing or malformed')
  if (!isStringArray(w.w) || w.w.length === 0 || w.w.length > MAX_WRITERS) bad('the list of writers is missing')
  if (!w.w.every((k) => PUBLIC_KEY.test(k))) bad('a writer key is malformed')
  if (new Set(w.w).size !== w.w.length) bad('a writer is listed twice')
  if (w.k !== undefined) {
    if (!isStringArray(w.k) || w.k.length !== 2) bad('the writer key is malformed')
    const [pub, priv] = w.k
    if (!PUBLIC_KEY.test(pub) || !PRIVATE_KEY.test(priv)) bad('the writer key is malformed')
    if (!w.w.includes(pub)) bad('its writer key is not one of the room’s writers')
  }
  return w as InviteWire
}

function isWsUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== ''
  } catch {
    return false
  }
}

/**
 * Whether the private key of a writer invite really belongs to the public key it names (a code
 * that passed {@link decodeInvite} can still pair someone else's public key with another private
 * key: the room would then treat this device as read-only, silently). Throws {@link InviteError}.
 */
export async function checkWriterKey(key: WriterKeyPair): Promise<void> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle)
    throw new InviteError(
      'field',
      'Private rooms need WebCrypto: open the app through http://localhost or use the desktop app.',
    )
  let x: string | undefined
  try {
    const privateKey = await subtle.importKey('pkcs8', fromBase64Url(key.privateKey), { name: 'Ed25519' }, true, [
      'sign',
    ])
    x = (await subtle.exportKey('jwk', privateKey)).x
  } catch {
    bad('the writer key cannot be read')
  }
  if (x !== key.publicKey) bad('its private writer key does not match its public key')
}
