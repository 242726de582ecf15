/**
 * How this device is in a room: a private room (a random secret and a writer list; this device
 * writes when it holds a listed writer key, else it only reads) or an open room (a name and a
 * password anyone can type, kept for y-webrtc interop). Also the stored form of a private room's
 * keys, which are read back from storage and so checked like any outside input.
 */
import type { RoomOptions, WriterKeyPair } from '@diffstream/core'
import { credentialKey } from './network.js'

export type RoomAccess =
  { kind: 'open'; password: string } | { kind: 'private'; secret: string; writers: string[]; writerKey?: WriterKeyPair }

/** What the UI shows: `writer` and `open` write, `read-only` does not. */
export type AccessState = 'writer' | 'read-only' | 'open'

export function accessState(access: RoomAccess): AccessState {
  if (access.kind === 'open') return 'open'
  const key = access.writerKey
  return key && access.writers.includes(key.publicKey) ? 'writer' : 'read-only'
}

/** The room options that carry the access: the password, and for a private room its writers and key. */
export function accessOptions(access: RoomAccess): Pick<RoomOptions, 'password' | 'role' | 'writers' | 'writerKey'> {
  if (access.kind === 'open') return { password: access.password || undefined, role: 'peer' }
  const writer = accessState(access) === 'writer'
  return {
    password: access.secret,
    writers: [...access.writers],
    // A reader joins as a consumer: its writes are refused here already, not only by the others.
    role: writer ? 'peer' : 'consumer',
    ...(writer && access.writerKey ? { writerKey: { ...access.writerKey } } : {}),
  }
}

/** The room password the access stands for (a private room's secret is its password). */
export function passwordOf(access: RoomAccess): string {
  return access.kind === 'open' ? access.password : access.secret
}

const TEXT = /^[A-Za-z0-9_-]{1,200}$/

function isKeyPair(v: unknown): v is WriterKeyPair {
  const k = v as WriterKeyPair
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof k.publicKey === 'string' &&
    TEXT.test(k.publicKey) &&
    typeof k.privateKey === 'string' &&
    TEXT.test(k.privateKey)
  )
}

/** A stored access (session storage, the credential store), or null when it is not one. */
export function parseAccess(value: unknown): RoomAccess | null {
  if (typeof value !== 'object' || value === null) return null
  const a = value as Record<string, unknown>
  if (a.kind === 'open') return typeof a.password === 'string' ? { kind: 'open', password: a.password } : null
  if (a.kind !== 'private' || typeof a.secret !== 'string' || !TEXT.test(a.secret)) return null
  if (
    !Array.isArray(a.writers) ||
    a.writers.length === 0 ||
    !a.writers.every((w) => typeof w === 'string' && TEXT.test(w))
  )
    return null
  const access: RoomAccess = { kind: 'private', secret: a.secret, writers: [...(a.writers as string[])] }
  if (a.writerKey !== undefined) {
    if (!isKeyPair(a.writerKey)) return null
    access.writerKey = { publicKey: a.writerKey.publicKey, privateKey: a.writerKey.privateKey }
  }
  return access
}

/** Where a private room's keys are stored (next to, and apart from, its TURN credentials). */
export function accessKey(room: string, signaling: string): string {
  return `room-keys\n${credentialKey(room, signaling)}`
}
