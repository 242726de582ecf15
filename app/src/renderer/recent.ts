/**
 * The rooms joined recently (without their passwords), kept in localStorage, and the room this tab
 * is in (with its password, in sessionStorage, which lives only as long as the tab) so that a
 * reload rejoins it.
 */
export interface RoomEntry {
  room: string
  signaling: string
  name: string
}

export interface SessionEntry extends RoomEntry {
  password: string
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

export function loadRecent(storage: Storage): RoomEntry[] {
  const list = parse(storage.getItem(RECENT))
  return Array.isArray(list) ? list.filter(isEntry).slice(0, MAX_RECENT) : []
}

export function rememberRoom(storage: Storage, entry: RoomEntry): RoomEntry[] {
  const clean: RoomEntry = { room: entry.room, signaling: entry.signaling, name: entry.name }
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
  return isEntry(s) && typeof (s as SessionEntry).password === 'string' ? (s as SessionEntry) : null
}

export function saveSession(storage: Storage, entry: SessionEntry | null): void {
  if (entry) storage.setItem(CURRENT, JSON.stringify(entry))
  else storage.removeItem(CURRENT)
}
