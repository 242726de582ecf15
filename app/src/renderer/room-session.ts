/**
 * Joining and leaving a room: checks the settings, opens the room's store, joins with the room's
 * access (a private room's keys, or an open room's password), remembers the room (recent rooms,
 * the tab's session, the credential store) and hands the room to the monitor.
 */
import { joinRoom, type JsonObject, type Room } from '@diffstream/core'
import { accessKey, accessOptions, accessState, parseAccess, passwordOf, type RoomAccess } from './access.js'
import {
  canPersist,
  canReportStored,
  openStore,
  roomOptionsWithStore,
  setOnline,
  type StoreHandle,
} from './core-compat.js'
import { colorFor } from './format.js'
import { errorText, type Host } from './host.js'
import {
  credentialKey,
  credentialsOf,
  NetworkError,
  parseNetwork,
  rowsFrom,
  withoutCredentials,
  type NetworkSettings,
} from './network.js'
import { forgetRoom, loadSession, rememberRoom, saveSession, type RoomEntry } from './recent.js'
import { KEY_NAME } from './records-actions.js'
import type { RoomMonitor } from './room-monitor.js'
import { INITIAL_STATUS, type JoinParams } from './state.js'

/** The room joined, with what it was joined with. */
export interface Joined {
  room: Room<JsonObject>
  docStore: StoreHandle | null
  access: RoomAccess
  /** The signaling URLs, one per line. */
  signaling: string
}

export class RoomSession {
  current: Joined | null = null

  constructor(
    private readonly host: Host,
    private readonly monitor: RoomMonitor,
    private readonly local: Storage,
    private readonly session: Storage,
  ) {}

  /** Rejoins the room this tab was in before a reload. */
  async resume(): Promise<void> {
    const previous = loadSession(this.session)
    if (previous)
      await this.join({
        ...previous,
        iceServers: rowsFrom(previous.network, previous.credentials ?? null),
        relayOnly: previous.network?.relayOnly ?? false,
      })
  }

  /** Joins; the outcome is in the store (`phase`, `joinError`). Resolves true once in the room. */
  async join(params: JoinParams): Promise<boolean> {
    const store = this.host.store
    const room = params.room.trim()
    const name = params.name.trim() || 'Anonymous'
    const rows = params.iceServers ?? []
    const relayOnly = params.relayOnly ?? false
    let network: NetworkSettings
    try {
      network = parseNetwork({ signaling: params.signaling, iceServers: rows, relayOnly })
    } catch (err) {
      store.set({ joinError: err instanceof NetworkError ? err.message : errorText(err) })
      return false
    }
    const signaling = network.signaling.join('\n')
    const error = checkJoin(room, params.access)
    if (error) {
      store.set({ joinError: error })
      return false
    }
    if (this.current) await this.leave()
    store.set({ phase: 'joining', joinError: null })

    const { docStore, problem } = await openRoomStore(storeName(room, params.access))
    let joined: Room<JsonObject>
    try {
      const options = {
        ...accessOptions(params.access),
        signaling: network.signaling,
        name,
        keyName: KEY_NAME,
        iceServers: network.iceServers,
        iceTransportPolicy: network.iceTransportPolicy,
      }
      joined = joinRoom<JsonObject>(room, roomOptionsWithStore(options, docStore))
    } catch (err) {
      await docStore?.close().catch(() => undefined)
      store.set({ phase: 'join', joinError: `Could not join: ${errorText(err)}` })
      return false
    }
    let kept = docStore
    if (kept && !canReportStored(joined)) {
      // This core takes no store yet: holding the database open would only block other tabs.
      await kept.close().catch(() => undefined)
      kept = null
    }
    this.current = { room: joined, docStore: kept, access: params.access, signaling }
    const color = colorFor(`${name}:${joined.awareness.clientID}`)
    // Shown by other peers: which signaling id belongs to which name, and the colour to draw it in.
    joined.awareness.setLocalStateField('peerId', joined.peerId)
    joined.awareness.setLocalStateField('color', color)
    this.monitor.attach(joined, kept)

    const isPrivate = params.access.kind === 'private'
    const entry: RoomEntry = {
      room,
      signaling,
      name,
      network: withoutCredentials({ iceServers: rows, relayOnly }),
      ...(isPrivate ? { private: true as const } : {}),
    }
    const credentials = credentialsOf({ iceServers: rows })
    saveSession(this.session, { ...entry, access: params.access, credentials })
    if (credentials.some((c) => c !== '')) void this.keepCredentials(credentialKey(room, signaling), credentials)
    if (isPrivate) void this.keepAccess(accessKey(room, signaling), params.access)
    store.set({
      phase: 'room',
      room: {
        name: room,
        signaling: network.signaling.join(', '),
        user: name,
        color,
        encrypted: passwordOf(params.access) !== '',
        persistent: kept !== null,
        access: accessState(params.access),
      },
      recent: rememberRoom(this.local, entry),
      selected: null,
      search: '',
      editorMode: 'tree',
      passwordWarning: null,
      samples: [],
      invite: null,
      version: store.state.version + 1,
    })
    this.monitor.updateStatus()
    this.monitor.updatePeers()
    this.monitor.markSaving()
    if (problem) this.host.toast('warning', problem)
    else if (!kept)
      this.host.toast(
        'info',
        'This build keeps rooms in memory only: a reload starts empty until peers resend the data.',
      )
    return true
  }

  /** Rejoins a recent private room with the keys this device kept, or says there are none. */
  async rejoin(entry: RoomEntry, name: string): Promise<void> {
    const stored = await this.host.platform.loadSecret(accessKey(entry.room, entry.signaling)).catch(() => null)
    let access: RoomAccess | null = null
    try {
      access = stored === null ? null : parseAccess(JSON.parse(stored))
    } catch {
      access = null
    }
    if (!access) {
      this.host.store.set({
        joinError: `This device no longer has the keys of room "${entry.room}"${
          this.host.platform.mode === 'web' ? ' (a browser keeps them for the tab only)' : ''
        }: join it again with an invite.`,
      })
      return
    }
    const credentials = await this.loadCredentials(entry)
    await this.join({
      room: entry.room,
      signaling: entry.signaling,
      name,
      access,
      iceServers: rowsFrom(entry.network, credentials),
      relayOnly: entry.network?.relayOnly ?? false,
    })
  }

  /** Stores the TURN credentials where the platform keeps them safe; says so when it cannot. */
  private async keepCredentials(key: string, credentials: string[]): Promise<void> {
    try {
      const result = await this.host.platform.saveCredentials(key, credentials)
      if (!result.saved && this.host.platform.mode === 'electron')
        this.host.toast('info', `The TURN credentials are kept for this session only: ${result.reason}.`)
    } catch (err) {
      this.host.toast('warning', `Could not store the TURN credentials: ${errorText(err)}`)
    }
  }

  /** Stores a private room's keys like the credentials: encrypted by the system, or for this session only. */
  private async keepAccess(key: string, access: RoomAccess): Promise<void> {
    try {
      const result = await this.host.platform.saveSecret(key, JSON.stringify(access))
      if (!result.saved && this.host.platform.mode === 'electron')
        this.host.toast(
          'info',
          `This room's keys are kept for this session only (${result.reason}): keep an invite to come back to it.`,
        )
    } catch (err) {
      this.host.toast('warning', `Could not store this room's keys: ${errorText(err)}`)
    }
  }

  /** The stored TURN credentials of a recent room (null when none were kept). */
  loadCredentials(entry: RoomEntry): Promise<string[] | null> {
    return this.host.platform.loadCredentials(credentialKey(entry.room, entry.signaling)).catch(() => null)
  }

  async leave(): Promise<void> {
    const current = this.current
    this.current = null
    this.monitor.detach()
    saveSession(this.session, null)
    this.host.store.set({
      phase: 'join',
      room: null,
      status: INITIAL_STATUS,
      peers: [],
      selected: null,
      passwordWarning: null,
      progress: null,
      samples: [],
      invite: null,
    })
    await current?.room.close()
    // The room may already have closed its store; a second close is harmless.
    await current?.docStore?.close().catch(() => undefined)
  }

  /** Closes the room as the page goes away, keeping the tab's session so that a reload rejoins. */
  async closeForUnload(): Promise<void> {
    const current = this.current
    this.current = null
    this.monitor.detach()
    await current?.room.close()
  }

  /** Forgets a recent room, and its stored keys. */
  forgetRecent(entry: RoomEntry): void {
    this.host.store.set({ recent: forgetRoom(this.local, entry) })
    if (entry.private)
      void this.host.platform.saveSecret(accessKey(entry.room, entry.signaling), null).catch(() => undefined)
  }

  toggleOnline(): void {
    const room = this.current?.room
    if (!room) return
    const online = !this.host.store.state.status.online
    try {
      setOnline(room, online)
    } catch (err) {
      this.host.fail(errorText(err))
      return
    }
    this.monitor.localOnline = online
    this.monitor.updateStatus()
    this.monitor.updatePeers()
  }
}

function checkJoin(room: string, access: RoomAccess): string | null {
  if (!room) return 'Give the room a name.'
  if (room.length > 200) return 'The room name is too long (200 characters at most).'
  if (passwordOf(access) && !globalThis.crypto?.subtle) {
    return access.kind === 'private'
      ? 'Private rooms need a secure page (WebCrypto): open the app through http://localhost on this machine, or use the desktop app.'
      : 'Password rooms need a secure page (WebCrypto): open the app through http://localhost on this machine, or use the desktop app.'
  }
  return null
}

/**
 * A private room keeps its data apart from an open room of the same name (and from another private
 * room of that name): its store is named after its first writer too.
 */
function storeName(room: string, access: RoomAccess): string {
  return access.kind === 'private' ? `${room}#${access.writers[0]!.slice(0, 16)}` : room
}

/** Opens the room's store on this device, or says why the room is kept in memory only. */
async function openRoomStore(room: string): Promise<{ docStore: StoreHandle | null; problem: string | null }> {
  if (!canPersist()) return { docStore: null, problem: null }
  try {
    return { docStore: await openStoreWithRetry(room), problem: null }
  } catch (err) {
    return {
      docStore: null,
      problem:
        (err as { name?: unknown }).name === 'StoreLockedError'
          ? `Room "${room}" is open in another tab or window of this app, which holds its saved data; here it is kept in memory only.`
          : `Could not open this room's storage on this device (${errorText(err)}); its data is kept in memory only.`,
    }
  }
}

/** A reload can race the previous page's release of the store's lock: try a few times. */
async function openStoreWithRetry(room: string): Promise<StoreHandle | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore(room)
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'StoreLockedError' || attempt >= 5) throw err
      await new Promise((r) => setTimeout(r, 200 * attempt))
    }
  }
}
