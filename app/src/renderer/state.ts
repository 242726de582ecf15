/** The renderer's state: what the views read from the store, and the events they listen to. */
import type { Role } from '@diffstream/core'
import type { AppInfo } from '../shared/ipc.js'
import type { AccessState, RoomAccess } from './access.js'
import type { IceServerInput } from './network.js'
import type { RoomEntry } from './recent.js'

export type PeerState = 'self' | 'direct' | 'relayed' | 'left'
export interface PeerView {
  id: string
  name: string
  role: Role | 'unknown'
  color: string
  state: PeerState
  /** When it was last seen (for peers that left). */
  since: number
  /** For a peer connected to this one: straight to it, or through a TURN relay (null until known). */
  path: 'direct' | 'relay' | null
  /** Round-trip time of that connection in ms, when measured. */
  rttMs: number | null
}

/** Cumulative traffic at one moment, for the chart. */
export interface Sample {
  t: number
  diffBytes: number
  jsonBytes: number
  bytesSent: number
  bytesReceived: number
}

export type SavedState = 'saved' | 'saving' | 'memory' | 'unknown'

export interface StatusState {
  signaling: number
  peers: number
  synced: boolean
  online: boolean
  canGoOffline: boolean
  saved: SavedState
}

export interface Toast {
  id: number
  kind: 'info' | 'error' | 'warning'
  text: string
}

export interface Progress {
  label: string
  /** 0..1, or null when the end is unknown. */
  value: number | null
}

export interface RoomView {
  name: string
  signaling: string
  user: string
  color: string
  encrypted: boolean
  persistent: boolean
  /** Whether this device writes in the room (private room with its key, or open room) or only reads. */
  access: AccessState
}

export interface AppState {
  info: AppInfo | null
  phase: 'join' | 'joining' | 'room'
  joinError: string | null
  room: RoomView | null
  status: StatusState
  selected: string | null
  search: string
  editorMode: 'tree' | 'raw'
  passwordWarning: string | null
  toasts: Toast[]
  progress: Progress | null
  /** Bumped on every change of the records. */
  version: number
  peers: PeerView[]
  samples: Sample[]
  recent: RoomEntry[]
  /** An invite code shown in the invite dialog, or null when it is closed. */
  invite: InviteView | null
  /** An invite that arrived with the page (a `#invite=` link), to fill in the join screen. */
  pendingInvite: string | null
}

export interface InviteView {
  kind: 'writer' | 'reader'
  code: string
  /** `diffstream://join?code=…` */
  link: string
  /** The web-mode address that opens this app on the invite, when the app knows its address. */
  webUrl: string | null
}

export type AppEvents = {
  /** A record changed; `origin` says whether this window or another peer changed it. */
  change: { id: string; origin: 'local' | 'remote'; deleted: boolean; cmd: 'new' | 'upd' | 'del' }
  /** Focus the new-record or field-name input after an action created it. */
  focus: { testid: string }
}

export interface JoinParams {
  room: string
  /** A private room's secret, writers and key, or an open room's password. */
  access: RoomAccess
  /** Signaling URLs, one per line. */
  signaling: string
  name: string
  /** STUN/TURN servers; none: those the signaling servers hand out (`GET /ice`). */
  iceServers?: IceServerInput[]
  /** Connect only through TURN relays. */
  relayOnly?: boolean
}

export const INITIAL_STATUS: StatusState = {
  signaling: 0,
  peers: 0,
  synced: false,
  online: true,
  canGoOffline: false,
  saved: 'unknown',
}
