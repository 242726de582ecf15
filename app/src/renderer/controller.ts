/**
 * The renderer's state and everything that changes it: joining and leaving a room, writing
 * records, going offline, import and export. Views read the store, listen on the bus and call the
 * actions; only this module touches the room.
 */
import { joinRoom, type JsonObject, type PeerPath, type Role, type Room } from '@diffstream/core'
import type { AppInfo } from '../shared/ipc.js'
import { Bus } from './bus.js'
import {
  canGoOffline,
  canPersist,
  canReportStored,
  openStore,
  roomOptionsWithStore,
  setOnline,
  statusOf,
  whenStored,
  type StoreHandle,
} from './core-compat.js'
import { colorFor, formatBytes } from './format.js'
import { TreeError } from './json-tree.js'
import type { Platform } from './platform.js'
import { exportFileName, exportJson, ImportError, parseImport } from './records-io.js'
import {
  credentialKey,
  credentialsOf,
  NetworkError,
  parseNetwork,
  rowsFrom,
  withoutCredentials,
  type IceServerInput,
  type NetworkSettings,
} from './network.js'
import { loadRecent, loadSession, rememberRoom, forgetRoom, saveSession, type RoomEntry } from './recent.js'
import { SortedIds } from './sort-ids.js'
import { Store } from './store.js'

export const KEY_NAME = 'key'
/** How many imported records are written per task: one merged update per batch, and the page stays responsive. */
const IMPORT_BATCH = 250
const SAMPLE_EVERY_MS = 1000
const MAX_SAMPLES = 120

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
}

export type AppEvents = {
  /** A record changed; `origin` says whether this window or another peer changed it. */
  change: { id: string; origin: 'local' | 'remote'; deleted: boolean }
  /** Focus the new-record or field-name input after an action created it. */
  focus: { testid: string }
}

export interface JoinParams {
  room: string
  password: string
  /** Signaling URLs, one per line. */
  signaling: string
  name: string
  /** STUN/TURN servers; none: those the signaling servers hand out (`GET /ice`). */
  iceServers?: IceServerInput[]
  /** Connect only through TURN relays. */
  relayOnly?: boolean
}

const INITIAL_STATUS: StatusState = {
  signaling: 0,
  peers: 0,
  synced: false,
  online: true,
  canGoOffline: false,
  saved: 'unknown',
}

export class Controller {
  readonly store: Store<AppState>
  readonly bus = new Bus<AppEvents>()
  private room: Room<JsonObject> | null = null
  private docStore: StoreHandle | null = null
  private disposers: Array<() => void> = []
  private sampler: ReturnType<typeof setInterval> | null = null
  private saveGeneration = 0
  private localOnline = true
  private nextToast = 1
  private importing = false
  private left = new Map<string, PeerView>()
  /** The selected ICE path to each connected peer, by signaling id, refreshed with the samples. */
  private paths = new Map<string, PeerPath>()
  private lastWarning = ''

  constructor(
    readonly platform: Platform,
    private readonly local: Storage,
    private readonly session: Storage,
  ) {
    this.store = new Store<AppState>({
      info: null,
      phase: 'join',
      joinError: null,
      room: null,
      status: INITIAL_STATUS,
      selected: null,
      search: '',
      editorMode: 'tree',
      passwordWarning: null,
      toasts: [],
      progress: null,
      version: 0,
      peers: [],
      samples: [],
      recent: loadRecent(local),
    })
  }

  get state(): AppState {
    return this.store.state
  }

  /** Loads the host's info and rejoins the room this tab was in before a reload. */
  async start(): Promise<void> {
    const info = await this.platform.info()
    this.store.set({ info })
    const previous = loadSession(this.session)
    if (previous)
      await this.join({
        ...previous,
        iceServers: rowsFrom(previous.network, previous.credentials ?? null),
        relayOnly: previous.network?.relayOnly ?? false,
      })
  }

  // --- joining and leaving ------------------------------------------------------------------

  async join(params: JoinParams): Promise<void> {
    const room = params.room.trim()
    const name = params.name.trim() || 'Anonymous'
    const rows = params.iceServers ?? []
    const relayOnly = params.relayOnly ?? false
    let network: NetworkSettings
    try {
      network = parseNetwork({ signaling: params.signaling, iceServers: rows, relayOnly })
    } catch (err) {
      return this.store.set({ joinError: err instanceof NetworkError ? err.message : errorText(err) })
    }
    const signaling = network.signaling.join('\n')
    const error = this.checkJoin(room, params.password)
    if (error) return this.store.set({ joinError: error })
    if (this.room) await this.leave()
    this.store.set({ phase: 'joining', joinError: null })

    let docStore: StoreHandle | null = null
    let storeProblem: string | null = null
    if (canPersist()) {
      try {
        docStore = await openStoreWithRetry(room)
      } catch (err) {
        storeProblem =
          (err as { name?: unknown }).name === 'StoreLockedError'
            ? `Room "${room}" is open in another tab or window of this app, which holds its saved data; here it is kept in memory only.`
            : `Could not open this room's storage on this device (${errorText(err)}); its data is kept in memory only.`
      }
    }
    let joined: Room<JsonObject>
    try {
      joined = joinRoom<JsonObject>(
        room,
        roomOptionsWithStore(
          {
            signaling: network.signaling,
            password: params.password || undefined,
            name,
            role: 'peer',
            keyName: KEY_NAME,
            iceServers: network.iceServers,
            iceTransportPolicy: network.iceTransportPolicy,
          },
          docStore,
        ),
      )
    } catch (err) {
      await docStore?.close().catch(() => undefined)
      return this.store.set({ phase: 'join', joinError: `Could not join: ${errorText(err)}` })
    }
    if (docStore && !canReportStored(joined)) {
      // This core takes no store yet: holding the database open would only block other tabs.
      await docStore.close().catch(() => undefined)
      docStore = null
    }
    this.room = joined
    this.docStore = docStore
    this.localOnline = true
    this.left.clear()
    this.paths.clear()
    const color = colorFor(`${name}:${joined.awareness.clientID}`)
    // Shown by other peers: which signaling id belongs to which name, and the colour to draw it in.
    joined.awareness.setLocalStateField('peerId', joined.peerId)
    joined.awareness.setLocalStateField('color', color)
    this.wire(joined)

    const entry: RoomEntry = { room, signaling, name, network: withoutCredentials({ iceServers: rows, relayOnly }) }
    const credentials = credentialsOf({ iceServers: rows })
    saveSession(this.session, { ...entry, password: params.password, credentials })
    if (credentials.some((c) => c !== '')) void this.keepCredentials(credentialKey(room, signaling), credentials)
    this.store.set({
      phase: 'room',
      room: {
        name: room,
        signaling: network.signaling.join(', '),
        user: name,
        color,
        encrypted: params.password !== '',
        persistent: docStore !== null,
      },
      recent: rememberRoom(this.local, entry),
      selected: null,
      search: '',
      editorMode: 'tree',
      passwordWarning: null,
      samples: [],
      version: this.state.version + 1,
    })
    this.updateStatus()
    this.updatePeers()
    this.markSaving()
    if (storeProblem) this.toast('warning', storeProblem)
    else if (!docStore)
      this.toast('info', 'This build keeps rooms in memory only: a reload starts empty until peers resend the data.')
  }

  /** Stores the TURN credentials where the platform keeps them safe; says so when it cannot. */
  private async keepCredentials(key: string, credentials: string[]): Promise<void> {
    try {
      const result = await this.platform.saveCredentials(key, credentials)
      if (!result.saved && this.platform.mode === 'electron')
        this.toast('info', `The TURN credentials are kept for this session only: ${result.reason}.`)
    } catch (err) {
      this.toast('warning', `Could not store the TURN credentials: ${errorText(err)}`)
    }
  }

  /** The stored TURN credentials of a recent room (null when none were kept). */
  loadCredentials(entry: RoomEntry): Promise<string[] | null> {
    return this.platform.loadCredentials(credentialKey(entry.room, entry.signaling)).catch(() => null)
  }

  private checkJoin(room: string, password: string): string | null {
    if (!room) return 'Give the room a name.'
    if (room.length > 200) return 'The room name is too long (200 characters at most).'
    if (password && !globalThis.crypto?.subtle) {
      return 'Password rooms need a secure page (WebCrypto): open the app through http://localhost on this machine, or use the desktop app.'
    }
    return null
  }

  async leave(): Promise<void> {
    const room = this.room
    const docStore = this.docStore
    this.room = null
    this.docStore = null
    for (const d of this.disposers.splice(0)) d()
    if (this.sampler) clearInterval(this.sampler)
    this.sampler = null
    saveSession(this.session, null)
    this.store.set({
      phase: 'join',
      room: null,
      status: INITIAL_STATUS,
      peers: [],
      selected: null,
      passwordWarning: null,
      progress: null,
      samples: [],
    })
    await room?.close()
    // The room may already have closed its store; a second close is harmless.
    await docStore?.close().catch(() => undefined)
  }

  /** Closes the room as the page goes away, keeping the tab's session so that a reload rejoins. */
  async closeForUnload(): Promise<void> {
    const room = this.room
    this.room = null
    for (const d of this.disposers.splice(0)) d()
    if (this.sampler) clearInterval(this.sampler)
    await room?.close()
  }

  forgetRecent(entry: RoomEntry): void {
    this.store.set({ recent: forgetRoom(this.local, entry) })
  }

  private wire(room: Room<JsonObject>): void {
    // One version bump for all the changes of one update (an initial sync's piece holds hundreds).
    let bumping = false
    const bump = (): void => {
      if (bumping) return
      bumping = true
      queueMicrotask(() => {
        bumping = false
        this.store.set({ version: this.state.version + 1 })
      })
    }
    this.disposers.push(
      room.on('change', ({ key, cmd, origin }) => {
        const id = String(key)
        if (cmd === 'new') this.sortedIds.add(id)
        else if (cmd === 'del') this.sortedIds.remove(id)
        if (cmd === 'del' && this.state.selected === id) {
          this.store.set({ selected: null })
          if (origin === 'remote') this.toast('info', `Record "${id}" was deleted by another peer.`)
        }
        if (origin === 'local') this.markSaving()
        bump()
        this.bus.emit('change', { id, origin, deleted: cmd === 'del' })
      }),
      room.on('status', () => this.updateStatus()),
      room.on('peers', () => this.updatePeers()),
      room.on('warning', (message) => this.onWarning(message)),
    )
    const onAwareness = (): void => this.updatePeers()
    room.awareness.on('change', onAwareness)
    this.disposers.push(() => room.awareness.off('change', onAwareness))
    this.sampler = setInterval(() => this.sample(), SAMPLE_EVERY_MS)
    this.sample()
  }

  private onWarning(message: string): void {
    if (/decrypt/i.test(message)) {
      this.store.set({
        passwordWarning:
          'Someone in this room uses a different password: their messages could not be decrypted, so no data is exchanged with them. Check that every machine uses the same room password.',
      })
      return
    }
    // The same warning repeated (a peer retrying) is shown once.
    if (message === this.lastWarning) return
    this.lastWarning = message
    this.toast('warning', message)
  }

  // --- status, peers, traffic --------------------------------------------------------------

  private updateStatus(): void {
    const room = this.room
    if (!room) return
    const s = statusOf(room)
    const status: StatusState = {
      signaling: s.signaling,
      peers: s.peers,
      synced: s.synced,
      online: s.online ?? this.localOnline,
      canGoOffline: canGoOffline(room),
      saved: this.savedFrom(s.saved),
    }
    const prev = this.state.status
    if (JSON.stringify(prev) !== JSON.stringify(status)) this.store.set({ status })
    this.updateProgress()
  }

  private savedFrom(saved: boolean | undefined): SavedState {
    if (!this.docStore) return 'memory'
    if (saved !== undefined) return saved ? 'saved' : 'saving'
    const current = this.state.status.saved
    return current === 'memory' ? 'unknown' : current
  }

  private markSaving(): void {
    const room = this.room
    if (!room || !this.docStore || statusOf(room).saved !== undefined) return
    const stored = whenStored(room)
    if (!stored) return
    const generation = ++this.saveGeneration
    this.store.set({ status: { ...this.state.status, saved: 'saving' } })
    stored.then(
      () => {
        if (generation === this.saveGeneration && this.room === room)
          this.store.set({ status: { ...this.state.status, saved: 'saved' } })
      },
      (err: unknown) => this.toast('error', `Saving on this device failed: ${errorText(err)}`),
    )
  }

  private updatePeers(): void {
    const room = this.room
    if (!room) return
    const direct = new Set(room.peers)
    const self = room.awareness.clientID
    const now = Date.now()
    const present: PeerView[] = []
    for (const [client, raw] of room.awareness.getStates()) {
      const state = raw as { name?: unknown; role?: unknown; color?: unknown; peerId?: unknown }
      const id = String(client)
      const name = typeof state.name === 'string' ? state.name : 'unknown'
      const role =
        state.role === 'peer' || state.role === 'producer' || state.role === 'consumer' ? state.role : 'unknown'
      const color =
        typeof state.color === 'string' && /^hsl\(\d+ \d+% \d+%\)$/.test(state.color) ? state.color : colorFor(id)
      const how: PeerState =
        client === self ? 'self' : typeof state.peerId === 'string' && direct.has(state.peerId) ? 'direct' : 'relayed'
      const path = how === 'direct' ? this.paths.get(state.peerId as string) : undefined
      present.push({
        id,
        name,
        role,
        color,
        state: how,
        since: now,
        path: path ? (path.type === 'relay' ? 'relay' : 'direct') : null,
        rttMs: path?.rttMs ?? null,
      })
      this.left.delete(id)
    }
    for (const p of this.state.peers) {
      if (p.state !== 'left' && p.state !== 'self' && !present.some((q) => q.id === p.id))
        this.left.set(p.id, { ...p, state: 'left', since: now })
    }
    const order: Record<PeerState, number> = { self: 0, direct: 1, relayed: 2, left: 3 }
    const peers = [...present, ...Array.from(this.left.values()).slice(-20)].sort(
      (a, b) => order[a.state] - order[b.state] || a.name.localeCompare(b.name),
    )
    this.store.set({ peers })
    this.updateStatus()
  }

  private sample(): void {
    const room = this.room
    if (!room) return
    const s = room.stats
    const sample: Sample = {
      t: Date.now(),
      diffBytes: s.updateBytes,
      jsonBytes: s.jsonBytes,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
    }
    this.store.set({ samples: [...this.state.samples, sample].slice(-MAX_SAMPLES) })
    this.updateProgress()
    void this.refreshPaths(room)
  }

  /** Reads which path each connection took (direct or through a TURN relay) for "Who is here". */
  private async refreshPaths(room: Room<JsonObject>): Promise<void> {
    if (typeof room.paths !== 'function') return
    const paths = await room.paths().catch(() => [])
    if (this.room !== room) return
    const next = new Map(paths.map((p) => [p.peerId, p]))
    const summary = (m: Map<string, PeerPath>) =>
      JSON.stringify(Array.from(m, ([id, p]) => [id, p.type, p.rttMs === null ? null : Math.round(p.rttMs)]))
    if (summary(next) === summary(this.paths)) return
    this.paths = next
    this.updatePeers()
  }

  private updateProgress(): void {
    if (this.importing || !this.room) return
    const { peers, synced } = this.state.status
    const syncing = peers > 0 && !synced
    const received = this.room.stats.bytesReceived
    const progress = syncing
      ? {
          label: `Syncing with ${peers} peer${peers === 1 ? '' : 's'}… ${this.room.cache.size} records, ${formatBytes(received)} received`,
          value: null,
        }
      : null
    if (JSON.stringify(progress) !== JSON.stringify(this.state.progress)) this.store.set({ progress })
  }

  // --- records ------------------------------------------------------------------------------

  /** Every record, sorted by key (numbers in numeric order). */
  records(): Array<{ id: string; data: JsonObject }> {
    const out: Array<{ id: string; data: JsonObject }> = []
    for (const id of this.recordIds()) {
      const data = this.get(id)
      if (data) out.push({ id, data })
    }
    return out
  }

  /**
   * The ids of every record, sorted by key (numbers in numeric order). Sorted again only when
   * records came or went: a room of 50 000 records re-renders its list often while it syncs.
   */
  recordIds(): readonly string[] {
    const room = this.room
    if (!room) return []
    if (this.sortedFor !== room) {
      this.sortedIds.reset()
      this.sortedFor = room
    }
    return this.sortedIds.ids(() => Array.from(room.cache.keys(), String))
  }

  private readonly sortedIds = new SortedIds()
  private sortedFor: Room<JsonObject> | null = null

  get(id: string): JsonObject | undefined {
    return this.room?.cache.get(id)
  }

  get recordCount(): number {
    return this.room?.cache.size ?? 0
  }

  select(id: string | null): void {
    this.store.set({ selected: id })
  }

  createRecord(keyText: string): boolean {
    const key = keyText.trim()
    if (!key) return this.fail('Type a key for the new record.')
    if (!this.room) return false
    if (this.room.cache.has(key)) {
      this.select(key)
      return this.fail(`A record "${key}" exists already; it is selected.`)
    }
    if (!this.write({ [KEY_NAME]: key })) return false
    this.select(key)
    this.bus.emit('focus', { testid: 'new-field-name' })
    return true
  }

  /** Applies `edit` to the freshest copy of record `id` and writes the result (only what changed travels). */
  editRecord(id: string, edit: (current: JsonObject) => JsonObject): boolean {
    const current = this.get(id)
    if (!current) return this.fail(`Record "${id}" no longer exists.`)
    let next: JsonObject
    try {
      next = edit(current)
    } catch (err) {
      return this.fail(err instanceof TreeError ? err.message : errorText(err))
    }
    return this.write(next)
  }

  deleteRecord(id: string): void {
    try {
      this.room?.cache.delete(id)
      if (this.state.selected === id) this.select(null)
    } catch (err) {
      this.fail(errorText(err))
    }
  }

  private write(record: JsonObject): boolean {
    try {
      this.room?.cache.update(record)
      return true
    } catch (err) {
      return this.fail(errorText(err))
    }
  }

  setSearch(search: string): void {
    this.store.set({ search })
  }

  setEditorMode(editorMode: AppState['editorMode']): void {
    this.store.set({ editorMode })
  }

  toggleOnline(): void {
    const room = this.room
    if (!room) return
    const online = !this.state.status.online
    try {
      setOnline(room, online)
    } catch (err) {
      this.fail(errorText(err))
      return
    }
    this.localOnline = online
    this.updateStatus()
    this.updatePeers()
  }

  // --- files --------------------------------------------------------------------------------

  async importFile(): Promise<void> {
    const room = this.room
    if (!room || this.importing) return
    const file = await this.platform.openJson()
    if (!file.opened) return
    let records: JsonObject[]
    try {
      records = parseImport(file.text, KEY_NAME)
    } catch (err) {
      this.fail(err instanceof ImportError ? err.message : errorText(err))
      return
    }
    this.importing = true
    let refused = 0
    let firstError = ''
    try {
      for (let i = 0; i < records.length; i += IMPORT_BATCH) {
        if (this.room !== room) return
        this.store.set({
          progress: { label: `Importing ${file.name}: ${i} of ${records.length} records`, value: i / records.length },
        })
        for (const record of records.slice(i, i + IMPORT_BATCH)) {
          try {
            room.cache.update(record)
          } catch (err) {
            refused++
            firstError ||= `${String(record[KEY_NAME])}: ${errorText(err)}`
          }
        }
        await new Promise((r) => setTimeout(r, 0))
      }
    } finally {
      this.importing = false
      this.store.set({ progress: null })
      this.updateProgress()
    }
    const done = `Imported ${records.length - refused} records from ${file.name}.`
    if (refused) this.toast('warning', `${done} ${refused} were refused (${firstError}).`)
    else this.toast('info', done)
  }

  async exportFile(): Promise<void> {
    if (!this.room || !this.state.room) return
    const records = this.records().map((r) => r.data)
    const result = await this.platform.saveJson(exportFileName(this.state.room.name), exportJson(records, KEY_NAME))
    if (result.saved) this.toast('info', `Exported ${records.length} records to ${result.path}.`)
  }

  // --- messages -----------------------------------------------------------------------------

  toast(kind: Toast['kind'], text: string): void {
    const toast = { id: this.nextToast++, kind, text }
    this.store.set({ toasts: [...this.state.toasts, toast].slice(-4) })
    setTimeout(() => this.dismiss(toast.id), kind === 'error' ? 8000 : 5000)
  }

  dismiss(id: number): void {
    this.store.set({ toasts: this.state.toasts.filter((t) => t.id !== id) })
  }

  private fail(message: string): false {
    this.toast('error', message)
    return false
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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
