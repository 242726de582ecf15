import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { Emitter } from '../emitter.js'
import { DiffStreamError, KeyNotFoundError, ReadOnlyError } from '../errors.js'
import { cloneJson, type JsonObject } from '../json.js'
import { keyId, type Key, type KeyLike } from '../keys.js'
import type { RecordChange } from '../mirror.js'
import { checkPatch, checkRecord } from '../record.js'
import type { RecordPatch, Role } from '../types.js'
import { deriveKey } from './crypto.js'
import { packingImpl, peerFactory, randomPeerId } from './environment.js'
import { checkAwarenessUpdate, encodeAwareness, type Frame } from './frames.js'
import { linkPaths } from './link-stats.js'
import { Mesh, type MeshLink } from './mesh.js'
import { Persistence } from '../store/persistence.js'
import { Replica } from './replica.js'
import { realClock } from './replica-link.js'
import { RoomIce } from './room-ice.js'
import { RoomLinks } from './room-links.js'
import { RoomSignaling } from './room-signaling.js'
import { RANKS, watchAntiEntropy, type IntegrityEvent } from './room-integrity.js'
import type { PeerPath, PeerPresence, RoomEvents, RoomOptions, RoomStats, RoomStatus } from './types.js'

const LOCAL = Symbol('room-local')
export const DEFAULT_SIGNALING = ['ws://127.0.0.1:4444']
/** Default `maxConns`: a browser holds this many data channels easily; a larger room is a partial mesh. */
export const DEFAULT_MAX_CONNS = 10

/** The room's dict: the same reading and writing methods as a `DiffCache`, without messages. */
export interface RoomCache<T> {
  /** Writes a record (only what changed travels). Throws `ReadOnlyError` for a consumer. */
  update(data: T): void
  /**
   * Changes only the fields `partial` names in an existing record (see `DiffCache.patch`): nested
   * objects merge, anything else replaces, `undefined` deletes. Throws `KeyNotFoundError` when
   * there is no such record.
   */
  patch(key: KeyLike, partial: RecordPatch<T>): void
  /** Deletes a record; returns whether there was one. */
  delete(key: KeyLike): boolean
  /** The record with this key (always a copy), or undefined. */
  get(key: KeyLike): T | undefined
  /** Whether a record with this key exists. */
  has(key: KeyLike): boolean
  /** Number of records. */
  readonly size: number
  /** The keys of all records, as their records hold them (numbers stay numbers). */
  keys(): Key[]
}

/**
 * Joins a named room: every peer in it holds the same dict, synced directly over WebRTC data
 * channels after finding each other through a y-webrtc compatible signaling server.
 *
 * @example
 * ```ts
 * import { joinRoom } from '@diffstream/core'
 *
 * const room = joinRoom('auctions', { signaling: ['ws://127.0.0.1:4444'], password: 'secret' })
 * room.on('change', ({ key, data, origin }) => console.log(origin, key, data))
 * room.cache.update({ key: 'lot-1', price: 10 }) // accepted at once; peers get it when they connect
 * // room.whenSynced() would wait for a peer: a room alone is never synced
 * await room.close()
 * ```
 */
export function joinRoom<T extends object = JsonObject>(name: string, options: RoomOptions = {}): Room<T> {
  return new Room<T>(name, options)
}

/** A joined room. Create it with {@link joinRoom}. */
export class Room<T extends object = JsonObject> extends Emitter<RoomEvents<T>> {
  /** What this peer may do (option `role`). */
  readonly role: Role
  /** This peer's random id in the room (what other peers' `peers` lists hold). */
  readonly peerId = randomPeerId()
  /** The room's dict: read and write records here. */
  readonly cache: RoomCache<T>
  /** y-protocols awareness: each peer's `{ name, role, peerId }` by Yjs client id. */
  readonly awareness: awarenessProtocol.Awareness
  /** The dict and its sync protocol (Yjs sync, held updates, epochs, broadcast tree). */
  private readonly replica: Replica
  /** Which peers to link to and whether they are still there, over the WebRTC links. */
  private readonly mesh: Mesh
  private readonly links: RoomLinks
  /** STUN/TURN servers (given, or from the signaling servers' `/ice`) and the TURN failure watch. */
  private readonly ice: RoomIce
  /** Which link told us about each awareness client, to forget them when that link closes. */
  private readonly awarenessOwner = new Map<number, MeshLink>()
  private signaling: RoomSignaling
  private readonly signalingKey: Promise<CryptoKey | null>
  private online = true
  private readonly persistence: Persistence | null
  private readonly loaded: Promise<void>
  private readonly keyName: string
  private closed = false
  private syncedWaiters: Array<() => void> = []
  private lastStatus = ''
  private readonly counters: RoomStats = {
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    writes: 0,
    jsonBytes: 0,
    updateBytes: 0,
    droppedPeers: 0,
    refused: 0,
    divergences: 0,
    heals: 0,
    forgedRefused: 0,
    forgersDropped: 0,
  }

  /** Joins the room at once; {@link joinRoom} says the same. */
  constructor(
    /** The room's name (peers with the same name and password meet). */
    readonly name: string,
    private readonly options: RoomOptions,
  ) {
    super()
    this.role = options.role ?? 'peer'
    this.keyName = options.keyName ?? 'key'
    const signed = options.writers ? { room: name, writers: options.writers, writerKey: options.writerKey } : undefined
    // A signed room refuses forged structs at the gate, and a heal's state carries no signatures: digests
    // would only add an unsigned path into the document (docs/anti-entropy.md, docs/writers.md).
    const antiEntropy =
      options.antiEntropy === false || signed ? undefined : { rank: RANKS[this.role], ...options.antiEntropy }
    this.replica = new Replica({ compacts: this.role !== 'consumer', compaction: options.compaction, signed, antiEntropy })
    this.replica.on('refused', (peerId, error) => {
      this.counters.refused++
      this.emit('refused', { peerId, error })
    })
    watchAntiEntropy(this.replica.antiEntropy, this.counters, (e) => this.emitIntegrity(e))
    this.replica.on('synced', () => this.statusChanged())
    this.replica.on('warning', (w) => this.warn(w))
    this.replica.on('epoch', (epoch) => this.emit('epoch', epoch))
    this.cache = this.makeCache()
    // Awareness gets a document of its own: the mirror's document is replaced by compaction, and
    // when an update is undone, and awareness must not go down with it.
    const awarenessDoc = new Y.Doc()
    this.awareness = new awarenessProtocol.Awareness(awarenessDoc)
    const presence: PeerPresence = {
      name: options.name ?? `peer-${this.peerId.slice(0, 4)}`,
      role: this.role,
      peerId: this.peerId,
    }
    this.awareness.setLocalState(presence)
    this.awareness.on('update', this.onAwarenessUpdate)
    this.replica.mirror.onChange((changes, origin) => this.announce(changes, origin))
    this.signalingKey = options.password ? deriveKey(options.password, name) : Promise.resolve(null)
    const factory = peerFactory(options.wrtc)
    // Never an unhandled rejection: failures surface as warnings.
    factory.catch((err: unknown) => this.warn(`WebRTC is not available: ${String(err)}`))
    this.ice = new RoomIce(options, options.signaling ?? DEFAULT_SIGNALING, (w) => this.warn(w))
    const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024
    this.replica.maxPackedBytes = maxMessageBytes
    // Raw DEFLATE for initial syncs between DiffStream peers that have it (Node): ready before any link.
    const packing = packingImpl().then((p) => {
      this.replica.packing ??= p
    })
    this.links = new RoomLinks(
      {
        peerId: this.peerId,
        factory: Promise.all([factory, packing]).then(([f]) => f),
        ice: this.ice,
        candidateFilter: options.candidateFilter,
        maxMessageBytes,
      },
      {
        frame: (link, frame) => this.onFrame(link, frame),
        opened: (link) => link.send(this.awarenessFrame()),
        closed: (link) => this.onLinkClosed(link),
        misbehaved: (link, err) => this.dropPeer(link, err),
        sent: (bytes) => {
          this.counters.messagesSent++
          this.counters.bytesSent += bytes
        },
        received: (bytes) => {
          this.counters.messagesReceived++
          this.counters.bytesReceived += bytes
        },
        warning: (w) => this.warn(w),
      },
    )
    this.mesh = new Mesh(
      this.replica,
      {
        peerId: this.peerId,
        maxConns: options.maxConns ?? DEFAULT_MAX_CONNS,
        clock: realClock,
        heartbeatMs: options.heartbeatMs,
      },
      this.links,
    )
    this.links.mesh = this.mesh
    this.mesh.on('peers', () => this.peersChanged())
    this.mesh.on('warning', (w) => this.warn(w))
    this.mesh.on('dropped', (id, reason) => {
      this.counters.droppedPeers++
      this.warn(`dropped peer ${id}: ${reason}`)
    })
    this.signaling = this.makeSignaling()
    this.persistence = options.store
      ? new Persistence(
          options.store,
          this.replica,
          (err) => this.warn(`the store failed: ${String(err)}`),
          () => this.statusChanged(),
        )
      : null
    // The stored data is in place before any peer sees this one: offline edits then merge as usual.
    this.loaded = (this.persistence ? this.persistence.load() : Promise.resolve(null)).then(
      (repaired) => {
        if (repaired) this.warn(`the store was repaired on open: ${repaired}`)
        // What a store restored carries no signatures: a writer signs it as a new epoch's base.
        if (this.replica.gate?.writes && this.replica.mirror.size > 0 && !this.closed) this.replica.compact()
        if (!this.closed && this.online) this.goOnline()
        this.statusChanged()
      },
      (err: unknown) => {
        this.warn(`the store could not be loaded: ${err instanceof Error ? err.message : String(err)}`)
        throw err
      },
    )
    this.loaded.catch(() => undefined)
  }

  private makeSignaling(): RoomSignaling {
    const signaling = new RoomSignaling(this.name, this.peerId, this.signalingKey, () => ({
      ...this.mesh.membership.fields(),
    }))
    this.links.signaling = signaling
    signaling.on('payload', (payload, conn) => {
      if (!this.closed) void this.links.onPayload(payload, conn)
    })
    signaling.on('status', () => this.statusChanged())
    signaling.on('connected', () => {
      if (this.online && !this.closed) this.mesh.start()
    })
    signaling.on('warning', (w) => this.warn(w))
    return signaling
  }

  /** Resolves once the stored data (with `store`) is loaded; rejects with the store's error. */
  whenLoaded(): Promise<void> {
    return this.loaded
  }

  /** Resolves once every write so far is durable in the store (at once without a store). */
  whenStored(): Promise<void> {
    return this.persistence ? this.persistence.whenStored() : Promise.resolve()
  }

  /**
   * Goes offline (closes every connection and the signaling, keeps the data and accepts writes)
   * or back online (they merge when peers meet again).
   */
  setOnline(online: boolean): void {
    if (online === this.online || this.closed) return
    this.online = online
    if (!online) {
      // Each peer is told (`bye`), so it drops the link at once rather than after the heartbeat.
      this.mesh.stop()
      this.signaling.close()
    } else {
      this.signaling = this.makeSignaling()
      void this.loaded.then(() => {
        if (this.online && !this.closed) this.goOnline()
      })
    }
    this.statusChanged()
  }

  private goOnline(): void {
    void this.signaling.connect(this.options.signaling ?? DEFAULT_SIGNALING)
    this.ice.prefetch()
  }

  /** Ids of the peers this room has a WebRTC connection to. */
  get peers(): string[] {
    return this.mesh.peers
  }

  /** Connected to at least one peer and synced with every connected one. */
  get synced(): boolean {
    return this.replica.synced
  }

  /** The epoch the room's document is in (it changes when a peer compacts; see docs/compaction.md). */
  get epoch(): number {
    return this.replica.epoch
  }

  /** Starts a new epoch holding only the live records now (writers also do this by themselves). */
  compact(): void {
    this.assertWriter()
    this.replica.compact()
  }

  /**
   * Resolves once {@link Room.synced} is true: connected to **at least one peer** and synced with
   * every connected one. A room alone (no other peer, or offline) stays unsynced, so this waits until
   * a peer arrives; race it with a timeout where being alone is normal.
   */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve()
    return new Promise((resolve) => this.syncedWaiters.push(resolve))
  }

  /** Connection state now; the `status` event reports each change. */
  get status(): RoomStatus {
    return {
      signaling: this.signaling.connected,
      peers: this.peers.length,
      synced: this.synced,
      online: this.online,
      saved: this.persistence ? this.persistence.saved : false,
    }
  }

  /** Traffic since the room was joined (a copy). */
  get stats(): RoomStats {
    return { ...this.counters }
  }

  /**
   * Which path the connection to each connected peer took: the selected ICE candidate pair's type
   * (`host`, `srflx`, `prflx`, or `relay` through a TURN server) and its round-trip time. Peers whose
   * connection has no selected pair yet are left out.
   */
  paths(): Promise<PeerPath[]> {
    return linkPaths(this.links.peerLinks())
  }

  /** Leaves the room: tells the others, closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.replica.flush()
    // What is being signed still goes out.
    if (this.replica.gate) {
      await this.replica.gate.idle()
      this.replica.flush()
    }
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.awareness.clientID], 'close')
    this.mesh.stop()
    this.signaling.close()
    await this.links.drained()
    this.links.destroyAll()
    this.links.inbox.close()
    this.awareness.destroy()
    this.awareness.doc.destroy()
    await this.loaded.catch(() => undefined)
    await this.persistence?.close()
    this.replica.destroy()
  }

  // --- the dict ---------------------------------------------------------------------------

  private makeCache(): RoomCache<T> {
    const room = this
    return {
      update(data: T): void {
        room.assertWriter()
        const { id, value } = checkRecord(data, room.keyName)
        const update = room.replica.write(id, value, LOCAL)
        room.counters.writes++
        // from the mirror's views, rebuilt only where the write changed the record
        room.counters.jsonBytes += room.replica.mirror.digest(id)?.bytes ?? 0
        if (update) room.counters.updateBytes += update.length
      },
      patch(key: KeyLike, partial: RecordPatch<T>): void {
        room.assertWriter()
        const id = keyId(key)
        if (!room.replica.mirror.has(id)) throw new KeyNotFoundError(`no record with key ${JSON.stringify(key)}`)
        const update = room.replica.patch(id, checkPatch(partial, room.keyName, room.keyOf(id)), LOCAL)
        room.counters.writes++
        room.counters.jsonBytes += room.replica.mirror.digest(id)?.bytes ?? 0
        if (update) room.counters.updateBytes += update.length
      },
      delete(key: KeyLike): boolean {
        room.assertWriter()
        return room.replica.remove(keyId(key), LOCAL) !== null
      },
      get(key: KeyLike): T | undefined {
        const v = room.replica.mirror.read(keyId(key))
        return v === undefined ? undefined : (cloneJson(v) as T)
      },
      has: (key: KeyLike) => room.replica.mirror.has(keyId(key)),
      get size() {
        return room.replica.mirror.size
      },
      keys: () => Array.from(room.replica.mirror.ids(), (id) => room.keyOf(id)),
    }
  }

  private assertWriter(): void {
    if (this.role === 'consumer')
      throw new ReadOnlyError('a consumer cannot write; join with role "peer" or "producer"')
    if (this.closed) throw new DiffStreamError('the room is closed')
    if (this.replica.gate && !this.replica.gate.writes)
      throw new ReadOnlyError('this peer is not a listed writer of this signed room (options writers and writerKey)')
  }

  private keyOf(id: string): Key {
    return this.replica.mirror.keyOf(id, this.keyName)
  }

  // --- outgoing -----------------------------------------------------------------------------

  private announce(changes: Map<string, RecordChange>, origin: unknown): void {
    if (this.listenerCount('change') === 0) return
    const cache = this.cache
    for (const [id, cmd] of changes) {
      // copied only when read: a listener that needs only `key` costs nothing per record
      let data: T | null | undefined
      this.emit('change', {
        cmd,
        key: this.keyOf(id),
        origin: origin === LOCAL ? 'local' : 'remote',
        get data(): T | null {
          if (data === undefined) data = cmd === 'del' ? null : (cache.get(id) ?? null)
          return data
        },
      })
    }
  }

  // --- frames that are the room's own: awareness -------------------------------------------

  private onFrame(link: MeshLink, frame: Frame): void {
    switch (frame.kind) {
      case 'awareness':
        for (const client of checkAwarenessUpdate(frame.update)) {
          if (client === this.awareness.clientID) continue
          // A state that several links relay belongs to the link of the peer it describes.
          const owner = this.awarenessOwner.get(client)
          if (!owner || !this.describes(client, owner)) this.awarenessOwner.set(client, link)
        }
        awarenessProtocol.applyAwarenessUpdate(this.awareness, frame.update, link)
        return
      case 'query-awareness':
        link.send(this.awarenessFrame())
        return
      default:
        // Types from newer versions (or y-webrtc's BroadcastChannel ids) are not ours to judge.
        return
    }
  }

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = added.concat(updated, removed)
    const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed))
    for (const link of this.links.openLinks()) if (link !== origin) link.send(frame)
  }

  /** Whether the awareness state of `client` says it is the peer at the other end of `link`. */
  private describes(client: number, link: MeshLink): boolean {
    const state = this.awareness.getStates().get(client) as Partial<PeerPresence> | undefined
    return state?.peerId === link.id && this.links.openLinks().includes(link)
  }

  private awarenessFrame(): Uint8Array {
    return encodeAwareness(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness, Array.from(this.awareness.getStates().keys())),
    )
  }

  /** A link closed: forget the awareness states it told us about. */
  private onLinkClosed(link: MeshLink): void {
    const gone = Array.from(this.awarenessOwner)
      .filter(([, owner]) => owner === link)
      .map(([client]) => client)
    for (const client of gone) this.awarenessOwner.delete(client)
    awarenessProtocol.removeAwarenessStates(this.awareness, gone, 'peer closed')
  }

  private dropPeer(link: MeshLink, err: unknown): void {
    this.counters.droppedPeers++
    this.warn(`dropped peer ${link.id}: ${err instanceof Error ? err.message : String(err)}`)
  }

  private peersChanged(): void {
    this.emit('peers', this.peers)
    this.statusChanged()
  }

  private statusChanged(): void {
    const status = this.status
    const text = JSON.stringify(status)
    if (text !== this.lastStatus) {
      this.lastStatus = text
      this.emit('status', status)
    }
    if (status.synced) {
      const waiters = this.syncedWaiters
      this.syncedWaiters = []
      for (const w of waiters) w()
    }
  }

  private emitIntegrity(e: IntegrityEvent): void {
    const records = e.records.map((id) => this.keyOf(id))
    if (e.kind === 'diverged') {
      this.warn(`diverged from peer ${e.divergence.peerId} (${e.divergence.reason}): ${e.records.length} records`)
      this.emit('diverged', { ...e.divergence, records })
    } else this.emit('healed', { peerId: e.peerId, records })
  }

  private warn(message: string): void {
    this.emit('warning', message)
  }
}
