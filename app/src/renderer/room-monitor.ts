/**
 * Watches the room that is joined: its records' changes (to the bus), its status, its peers and
 * their paths, its traffic samples, whether writes are saved, warnings, and the sync progress.
 */
import type { JsonObject, PeerPath, Room } from '@diffstream/core'
import { canGoOffline, statusOf, whenStored, type StoreHandle } from './core-compat.js'
import { colorFor, formatBytes } from './format.js'
import { errorText, type Host } from './host.js'
import type { PeerState, PeerView, Sample, SavedState, StatusState } from './state.js'

const SAMPLE_EVERY_MS = 1000
const MAX_SAMPLES = 120

export class RoomMonitor {
  private room: Room<JsonObject> | null = null
  private docStore: StoreHandle | null = null
  private disposers: Array<() => void> = []
  private sampler: ReturnType<typeof setInterval> | null = null
  private saveGeneration = 0
  private left = new Map<string, PeerView>()
  /** The selected ICE path to each connected peer, by signaling id, refreshed with the samples. */
  private paths = new Map<string, PeerPath>()
  private lastWarning = ''
  /** What the online toggle last set, for cores whose status does not say. */
  localOnline = true
  /** While an import runs it shows its own progress. */
  importing = false

  constructor(private readonly host: Host) {}

  private get state() {
    return this.host.store.state
  }

  attach(room: Room<JsonObject>, docStore: StoreHandle | null): void {
    this.detach()
    this.room = room
    this.docStore = docStore
    this.localOnline = true
    this.left.clear()
    this.paths.clear()
    // One version bump for all the changes of one update (an initial sync's piece holds hundreds).
    let bumping = false
    const bump = (): void => {
      if (bumping) return
      bumping = true
      queueMicrotask(() => {
        bumping = false
        this.host.store.set({ version: this.state.version + 1 })
      })
    }
    this.disposers.push(
      room.on('change', ({ key, cmd, origin }) => {
        const id = String(key)
        if (cmd === 'del' && this.state.selected === id) {
          this.host.store.set({ selected: null })
          if (origin === 'remote') this.host.toast('info', `Record "${id}" was deleted by another peer.`)
        }
        if (origin === 'local') this.markSaving()
        bump()
        this.host.bus.emit('change', { id, origin, deleted: cmd === 'del', cmd })
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

  detach(): void {
    for (const d of this.disposers.splice(0)) d()
    if (this.sampler) clearInterval(this.sampler)
    this.sampler = null
    this.room = null
    this.docStore = null
  }

  private onWarning(message: string): void {
    if (/decrypt/i.test(message)) {
      this.host.store.set({
        passwordWarning:
          'Someone in this room uses a different password: their messages could not be decrypted, so no data is exchanged with them. Check that every machine uses the same room password.',
      })
      return
    }
    // The same warning repeated (a peer retrying) is shown once.
    if (message === this.lastWarning) return
    this.lastWarning = message
    this.host.toast('warning', message)
  }

  updateStatus(): void {
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
    if (JSON.stringify(this.state.status) !== JSON.stringify(status)) this.host.store.set({ status })
    this.updateProgress()
  }

  private savedFrom(saved: boolean | undefined): SavedState {
    if (!this.docStore) return 'memory'
    if (saved !== undefined) return saved ? 'saved' : 'saving'
    const current = this.state.status.saved
    return current === 'memory' ? 'unknown' : current
  }

  /** Shows "saving" until the core says the local writes so far are durable. */
  markSaving(): void {
    const room = this.room
    if (!room || !this.docStore || statusOf(room).saved !== undefined) return
    const stored = whenStored(room)
    if (!stored) return
    const generation = ++this.saveGeneration
    this.host.store.set({ status: { ...this.state.status, saved: 'saving' } })
    stored.then(
      () => {
        if (generation === this.saveGeneration && this.room === room)
          this.host.store.set({ status: { ...this.state.status, saved: 'saved' } })
      },
      (err: unknown) => this.host.toast('error', `Saving on this device failed: ${errorText(err)}`),
    )
  }

  updatePeers(): void {
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
    this.host.store.set({ peers })
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
    this.host.store.set({ samples: [...this.state.samples, sample].slice(-MAX_SAMPLES) })
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

  updateProgress(): void {
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
    if (JSON.stringify(progress) !== JSON.stringify(this.state.progress)) this.host.store.set({ progress })
  }
}
