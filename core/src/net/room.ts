import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import type SimplePeer from 'simple-peer'
import { Emitter } from '../emitter.js'
import { DiffStreamError, InvalidMessageError, KeyNotFoundError, ReadOnlyError } from '../errors.js'
import { cloneJson, type JsonObject } from '../json.js'
import { keyId, type Key, type KeyLike } from '../keys.js'
import type { RecordChange } from '../mirror.js'
import { checkPatch, checkRecord } from '../record.js'
import type { RecordPatch, Role } from '../types.js'
import { filterCandidates } from './candidates.js'
import { deriveKey } from './crypto.js'
import { packingImpl, peerFactory, randomPeerId, type Packing } from './environment.js'
import { checkAwarenessUpdate, decodeFrame, encodeAwareness, type Frame } from './frames.js'
import { linkPaths } from './link-stats.js'
import { PacedQueue } from './paced-queue.js'
import { PeerLink, type PeerFactory } from './peer-link.js'
import { Persistence } from '../store/persistence.js'
import { Replica, type ReplicaLink } from './replica.js'
import { RoomIce } from './room-ice.js'
import { RoomSignaling, type SignalPayload } from './room-signaling.js'
import type { SignalingClient } from './signaling-client.js'
import type { PeerPath, PeerPresence, RoomEvents, RoomOptions, RoomStats, RoomStatus } from './types.js'

const LOCAL = Symbol('room-local')
export const DEFAULT_SIGNALING = ['ws://127.0.0.1:4444']
const CONNECT_TIMEOUT_MS = 8_000

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
  /** y-protocols awareness: each peer's `{ name, role }` by Yjs client id. */
  readonly awareness: awarenessProtocol.Awareness
  /** The dict and its sync protocol (Yjs sync, held updates, epochs), fed frames by the links. */
  private readonly replica: Replica
  /** Each peer link as the replica sees it. */
  private readonly replicaLinks = new Map<PeerLink, ReplicaLink>()
  private readonly earlyFrames = new Map<PeerLink, Frame[]>()
  /** Which link told us about each awareness client, to forget them when that link closes. */
  private readonly awarenessOwner = new Map<number, PeerLink>()
  private readonly links = new Map<string, PeerLink>()
  private signaling: RoomSignaling
  private readonly signalingKey: Promise<CryptoKey | null>
  private online = true
  private readonly persistence: Persistence | null
  private readonly loaded: Promise<void>
  private readonly keyName: string
  private readonly maxConns: number
  private readonly maxMessageBytes: number
  private factory: Promise<PeerFactory>
  /** STUN/TURN servers (given, or from the signaling servers' `/ice`) and the TURN failure watch. */
  private readonly ice: RoomIce
  /** Raw DEFLATE for initial syncs between DiffStream peers that have it (Node). */
  private readonly packing: Promise<Packing | null>
  private closed = false
  /** Incoming frames, run in order in slices that let the event loop breathe (see PacedQueue). */
  private readonly inbox = new PacedQueue()
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
    this.maxConns = options.maxConns ?? 20
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024
    this.replica = new Replica({ compacts: this.role !== 'consumer', compaction: options.compaction })
    this.replica.on('synced', () => this.statusChanged())
    this.replica.on('warning', (w) => this.warn(w))
    this.replica.on('epoch', (epoch) => this.emit('epoch', epoch))
    this.cache = this.makeCache()
    // Awareness gets a document of its own: the mirror's document is replaced by compaction, and
    // when an update is undone, and awareness must not go down with it.
    const awarenessDoc = new Y.Doc()
    this.awareness = new awarenessProtocol.Awareness(awarenessDoc)
    const presence: PeerPresence = { name: options.name ?? `peer-${this.peerId.slice(0, 4)}`, role: this.role }
    this.awareness.setLocalState(presence)
    this.awareness.on('update', this.onAwarenessUpdate)
    this.replica.mirror.onChange((changes, origin) => this.announce(changes, origin))
    this.signalingKey = options.password ? deriveKey(options.password, name) : Promise.resolve(null)
    this.signaling = this.makeSignaling()
    this.factory = peerFactory(options.wrtc)
    this.ice = new RoomIce(options, options.signaling ?? DEFAULT_SIGNALING, (w) => this.warn(w))
    this.packing = packingImpl()
    this.replica.maxPackedBytes = this.maxMessageBytes
    // Never an unhandled rejection: failures surface as warnings.
    this.factory.catch((err: unknown) => this.warn(`WebRTC is not available: ${String(err)}`))
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
        if (!this.closed && this.online) {
          void this.signaling.connect(options.signaling ?? DEFAULT_SIGNALING)
          this.ice.prefetch()
        }
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
    const signaling = new RoomSignaling(this.name, this.peerId, this.signalingKey)
    signaling.on('payload', (payload, conn) => void this.onPayload(payload, conn))
    signaling.on('status', () => this.statusChanged())
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
      this.signaling.close()
      for (const link of Array.from(this.links.values())) link.destroy()
      this.links.clear()
    } else {
      this.signaling = this.makeSignaling()
      void this.loaded.then(() => {
        if (this.online && !this.closed) void this.signaling.connect(this.options.signaling ?? DEFAULT_SIGNALING)
      })
    }
    this.statusChanged()
  }

  /** Ids of the peers this room has a WebRTC connection to. */
  get peers(): string[] {
    return Array.from(this.links.values())
      .filter((l) => l.connected)
      .map((l) => l.remoteId)
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
    return linkPaths(this.links.values())
  }

  /** Leaves the room: tells the others, closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.inbox.close()
    this.replica.flush()
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.awareness.clientID], 'close')
    this.signaling.close()
    for (const link of this.links.values()) link.destroy()
    this.links.clear()
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
  }

  private keyOf(id: string): Key {
    return this.replica.mirror.keyOf(id, this.keyName)
  }

  // --- outgoing -----------------------------------------------------------------------------

  private announce(changes: Map<string, RecordChange>, origin: unknown): void {
    if (this.listenerCount('change') === 0) return
    const cache = this.cache
    for (const [id, cmd] of changes) {
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

  private sendTo(link: PeerLink, frame: Uint8Array): void {
    this.counters.messagesSent++
    this.counters.bytesSent += frame.length
    link.send(frame)
  }

  // --- incoming frames ----------------------------------------------------------------------

  private onMessage(link: PeerLink, bytes: Uint8Array): void {
    this.counters.messagesReceived++
    this.counters.bytesReceived += bytes.length
    const frame = decodeFrame(bytes)
    switch (frame.kind) {
      case 'sync-step1':
      case 'sync-step2':
      case 'update':
      case 'features':
      case 'sync-packed':
      case 'epoch-hello':
      case 'epoch-want':
      case 'epoch-base': {
        const r = this.replicaLinks.get(link)
        // The remote side can open first and talk before our 'connect' fires: keep those frames.
        if (r) this.replica.receive(r, frame)
        else this.earlyFrames.set(link, [...(this.earlyFrames.get(link) ?? []), frame])
        break
      }
      case 'awareness':
        for (const client of checkAwarenessUpdate(frame.update)) {
          if (client !== this.awareness.clientID) this.awarenessOwner.set(client, link)
        }
        awarenessProtocol.applyAwarenessUpdate(this.awareness, frame.update, link)
        break
      case 'query-awareness':
        this.sendTo(link, this.awarenessFrame())
        break
      case 'other':
        // Types from newer versions (or y-webrtc's BroadcastChannel ids) are not ours to judge.
        break
    }
  }

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = added.concat(updated, removed)
    const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed))
    for (const link of this.links.values()) if (link.connected && link !== origin) this.sendTo(link, frame)
  }

  private awarenessFrame(): Uint8Array {
    return encodeAwareness(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness, Array.from(this.awareness.getStates().keys())),
    )
  }

  // --- peers ----------------------------------------------------------------------------------

  private async createLink(conn: SignalingClient, remoteId: string, initiator: boolean): Promise<PeerLink | null> {
    const existing = this.links.get(remoteId)
    if (existing) return existing
    if (this.links.size >= this.maxConns) return null
    const [factory, config] = await Promise.all([this.factory, this.ice.config()])
    this.replica.packing ??= await this.packing
    const again = this.links.get(remoteId)
    if (again) return again
    if (this.closed) return null
    const link: PeerLink = new PeerLink(
      remoteId,
      initiator,
      factory,
      { config, trickle: true },
      {
        signal: (raw) => {
          const signal = filterCandidates(raw, this.options.candidateFilter)
          if (!signal) return
          // y-webrtc's glare rule needs a token per connection attempt; `ds` tells DiffStream peers
          // apart from y-webrtc ones (which ignore the field), so only DiffStream peers get chunks.
          link.glareToken ??= Date.now() + Math.random()
          void this.signaling.publish(conn, {
            type: 'signal',
            from: this.peerId,
            to: remoteId,
            token: link.glareToken,
            ds: 1,
            signal,
          })
        },
        connect: () => {
          const r: ReplicaLink = {
            id: remoteId,
            followsEpochs: link.chunking,
            send: (frame) => this.sendTo(link, frame),
            drop: (reason) => this.dropPeer(link, new DiffStreamError(reason)),
          }
          this.replicaLinks.set(link, r)
          this.replica.open(r)
          const early = this.earlyFrames.get(link) ?? []
          this.earlyFrames.delete(link)
          try {
            for (const frame of early) this.replica.receive(r, frame)
          } catch (err) {
            this.dropPeer(link, err)
            return
          }
          this.sendTo(link, this.awarenessFrame())
          this.peersChanged()
        },
        // In order, but a burst of large frames (an initial sync's pieces) yields to the event loop
        message: (bytes) =>
          this.inbox.push(() => {
            try {
              this.onMessage(link, bytes)
            } catch (err) {
              this.dropPeer(link, err)
            }
          }),
        close: () => {
          if (this.links.get(remoteId) === link) this.links.delete(remoteId)
          this.earlyFrames.delete(link)
          const r = this.replicaLinks.get(link)
          if (r) {
            this.replicaLinks.delete(link)
            this.replica.close(r)
          }
          const gone = Array.from(this.awarenessOwner)
            .filter(([, owner]) => owner === link)
            .map(([client]) => client)
          for (const client of gone) this.awarenessOwner.delete(client)
          awarenessProtocol.removeAwarenessStates(this.awareness, gone, 'peer closed')
          this.peersChanged()
          if (!this.closed && this.links.size < this.maxConns) this.signaling.announceAll()
        },
        misbehaved: (reason) => this.dropPeer(link, new InvalidMessageError(reason)),
      },
      this.maxMessageBytes,
    )
    this.links.set(remoteId, link)
    this.ice.watch(link.pc)
    // A link that never connects (lost signals, a peer that went away) is retried from scratch.
    const timer = setTimeout(() => {
      if (!link.connected) link.destroy()
    }, CONNECT_TIMEOUT_MS)
    ;(timer as { unref?: () => void }).unref?.()
    return link
  }

  private dropPeer(link: PeerLink, err: unknown): void {
    this.counters.droppedPeers++
    this.warn(`dropped peer ${link.remoteId}: ${err instanceof Error ? err.message : String(err)}`)
    link.destroy()
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

  private warn(message: string): void {
    this.emit('warning', message)
  }

  // --- signaling -------------------------------------------------------------------------------

  private async onPayload(payload: SignalPayload, conn: SignalingClient): Promise<void> {
    if (this.closed) return
    const { type, from, signal } = payload
    try {
      if (type === 'announce') {
        if (this.links.has(from)) return
        // Only one side may offer, or two peers that announce at once both offer (glare). Between
        // DiffStream peers (their announce says `ds: 1`) the smaller id offers; a y-webrtc peer
        // offers to everyone that announces, so we never offer to it. Whoever does not offer
        // announces again, so that the other side, if it missed our announce, offers.
        if (payload.ds === 1 && this.peerId < from) await this.createLink(conn, from, true)
        else this.signaling.reannounce(conn, from)
      } else if (payload.to === this.peerId && signal !== null && typeof signal === 'object') {
        const existing = this.links.get(from)
        if (existing && !existing.connected && (signal as { type?: unknown }).type === 'offer') {
          // Both offered (a y-webrtc peer offers on every announce). y-webrtc's rule: the side whose
          // attempt has the larger token refuses the other's offer; the other answers it.
          const remoteToken = payload.token
          if (existing.glareToken !== undefined && typeof remoteToken === 'number' && existing.glareToken > remoteToken)
            return
          existing.glareToken = undefined
        }
        const link = await this.createLink(conn, from, false)
        if (!link) return
        if (payload.ds === 1) link.chunking = true
        link.signal(signal as SimplePeer.SignalData)
      }
    } catch (err) {
      this.warn(`signal from ${from} failed: ${String(err)}`)
    }
  }
}
