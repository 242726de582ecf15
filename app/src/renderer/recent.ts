/**
 * The rooms joined recently (without their passwords, keys and TURN credentials), kept in
 * localStorage, and the room this tab is in (with its password or keys and credentials, in
 * sessionStorage, which lives only as long as the tab) so that a reload rejoins it.
 */
import { parseAccess, type RoomAccess } from './access.js'
import { isStoredNetwork, type StoredNetwork } from './network.js'

export interface RoomEntry {
  room: string
  /** The signaling URLs, one per line. */
  signaling: string
  name: string
  /** STUN/TURN servers (without credentials) and relay only. */
  network?: StoredNetwork
  /** A private room (its keys are in the credential store, if anywhere); absent: an open room. */
  private?: true
}

export interface SessionEntry extends RoomEntry {
  access: RoomAccess
  /** The TURN credentials of `network.iceServers`, in order. */
  credentials?: string[]
}

const RECENT = 'diffstream.recent'
const CURRENT = 'diffstream.session'
const MAX_RECENT = 8

function parse(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text)
  } catch {
    return null
  }
}

function isEntry(v: unknown): v is RoomEntry {
  const e = v as RoomEntry
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof e.room === 'string' &&
    typeof e.signaling === 'string' &&
    typeof e.name === 'string'
  )
}

/** An entry with exactly the known fields, or its network settings dropped when they are malformed. */
function cleanEntry(e: RoomEntry): RoomEntry {
  const clean: RoomEntry = { room: e.room, signaling: e.signaling, name: e.name }
  if (e.private === true) clean.private = true
  if (isStoredNetwork(e.network))
    clean.network = {
      iceServers: e.network.iceServers.map((s) => ({ urls: s.urls, username: s.username })),
      relayOnly: e.network.relayOnly,
    }
  return clean
}

export function loadRecent(storage: Storage): RoomEntry[] {
  const list = parse(storage.getItem(RECENT))
  return Array.isArray(list) ? list.filter(isEntry).map(cleanEntry).slice(0, MAX_RECENT) : []
}

export function rememberRoom(storage: Storage, entry: RoomEntry): RoomEntry[] {
  const clean = cleanEntry(entry)
  const list = [
    clean,
    ...loadRecent(storage).filter((e) => !(e.room === clean.room && e.signaling === clean.signaling)),
  ].slice(0, MAX_RECENT)
  storage.setItem(RECENT, JSON.stringify(list))
  return list
}

export function forgetRoom(storage: Storage, entry: RoomEntry): RoomEntry[] {
  const list = loadRecent(storage).filter((e) => !(e.room === entry.room && e.signaling === entry.signaling))
  storage.setItem(RECENT, JSON.stringify(list))
  return list
}

export function loadSession(storage: Storage): SessionEntry | null {
  const s = parse(storage.getItem(CURRENT))
  if (!isEntry(s)) return null
  // Sessions saved before private rooms hold a password: an open room.
  const old = (s as { password?: unknown }).password
  const access = parseAccess(typeof old === 'string' ? { kind: 'open', password: old } : (s as SessionEntry).access)
  if (!access) return null
  const credentials = (s as SessionEntry).credentials
  const entry: SessionEntry = { ...cleanEntry(s), access }
  if (Array.isArray(credentials) && credentials.every((c) => typeof c === 'string')) entry.credentials = credentials
  return entry
}

export function saveSession(storage: Storage, entry: SessionEntry | null): void {
  if (entry) storage.setItem(CURRENT, JSON.stringify(entry))
  else storage.removeItem(CURRENT)
}
