import { Emitter } from '../emitter.js'
import { MESSAGE_QUERY_AWARENESS, type Frame } from './frames.js'
import { Liveness } from './liveness.js'
import { encodeHeartbeat } from './mesh-frames.js'
import { Membership, type CloseReason, type OfferVerdict } from './membership.js'
import type { MeshLink, MeshOptions, MeshTransport } from './mesh-types.js'
import type { Replica } from './replica.js'
import type { ReplicaLink } from './replica-link.js'

export type { MeshLink, MeshOptions, MeshTransport } from './mesh-types.js'

/** How long a link that said `bye` stays open, so the `bye` gets out before the channel closes. */
export const BYE_LINGER_MS = 100
/**
 * How long a link dropped for silence stays open (unused) before it is closed. Closing a connection
 * whose other end is a stopped process (SIGSTOP) made that process crash inside @roamhq/wrtc when
 * it resumed (SIGSEGV, about one time in five here): so the silent peer gets no close for a while;
 * if it speaks again meanwhile it is told `bye`, and it closes its side itself.
 */
export const SILENT_LINGER_MS = 60_000

/** Events of a {@link Mesh}. */
export type MeshEvents = {
  /** The set of connected peers changed. */
  peers: (peers: string[]) => void
  /** Something the mesh recovered from (a peer gone silent, a frozen process). */
  warning: (message: string) => void
  /** The replica dropped a peer (a y-webrtc peer that cannot follow a compaction). */
  dropped: (id: string, reason: string) => void
}

interface OpenLink {
  readonly handle: MeshLink
  readonly replicaLink: ReplicaLink
}

/**
 * The transport-independent part of a room: the replica (sync, epochs, broadcast tree), which peers
 * to link to (membership) and whether they are still there (liveness), driven by a transport that
 * moves signaling payloads and data-channel frames. A room over WebRTC and the in-memory simulator
 * both run this same class.
 */
export class Mesh extends Emitter<MeshEvents> {
  readonly membership: Membership
  private readonly liveness: Liveness
  private readonly open = new Map<string, OpenLink>()
  /** Links dropped for silence that are not closed yet (see SILENT_LINGER_MS). */
  private readonly silent = new Set<MeshLink>()
  private readonly clock: MeshOptions['clock']

  constructor(
    readonly replica: Replica,
    options: MeshOptions,
    private readonly transport: MeshTransport,
  ) {
    super()
    this.clock = options.clock
    this.membership = new Membership(
      { peerId: options.peerId, maxConns: options.maxConns, clock: options.clock, random: options.random },
      {
        announce: (fields, to) => transport.announce(fields, to),
        dial: (id, lid) => transport.dial(id, lid),
        hangUp: (id, lid, reason, bye) => this.hangUp(id, lid, reason, bye),
      },
    )
    this.liveness = new Liveness(
      {
        clock: options.clock,
        ping: (id) => {
          const l = this.open.get(id)
          if (l) l.handle.send(l.handle.ds ? encodeHeartbeat('ping') : Uint8Array.of(MESSAGE_QUERY_AWARENESS))
        },
        dead: (id, silentMs) => {
          const l = this.open.get(id)
          if (!l) return
          this.emit('warning', `peer ${id} was silent for ${Math.round(silentMs / 100) / 10} s: link dropped`)
          this.silent.add(l.handle)
          this.clock.later(() => this.silent.delete(l.handle), SILENT_LINGER_MS)
          this.end(l, 'dead', 'silent for the heartbeat timeout', false, SILENT_LINGER_MS)
        },
        woke: (stoodMs) => {
          this.emit('warning', `this process stood still for ${Math.round(stoodMs / 1000)} s: rejoining`)
          // No bye: the others dropped us already, and writing to a channel whose other end is long
          // gone can crash @roamhq/wrtc (SIGSEGV seen here).
          for (const l of Array.from(this.open.values())) this.end(l, 'closed', 'this peer stood still', false)
          this.membership.reannounce()
        },
      },
      options.heartbeatMs,
    )
  }

  /** Ids of the peers with a link that is up. */
  get peers(): string[] {
    return Array.from(this.open.keys())
  }

  /** Starts looking for peers: call it when a signaling server connected (and announced this peer). */
  start(): void {
    this.membership.start()
  }

  /** Says `bye` on every link and closes it; stops looking for peers. */
  stop(): void {
    // Membership first: losing these links must not send it looking for others.
    this.membership.stop()
    this.silent.clear()
    for (const l of Array.from(this.open.values())) this.end(l, 'closed', 'leaving', true)
    this.liveness.destroy()
  }

  // --- from the signaling side ------------------------------------------------------------------

  /** See {@link Membership.announced}. */
  announced(...args: Parameters<Membership['announced']>): void {
    this.membership.announced(...args)
  }

  /** An offer arrived from `from`: whether to answer it, and with which link id. */
  offered(from: string, info: { ds: boolean; lid: number | null }): OfferVerdict {
    return this.membership.offered(from, info)
  }

  // --- from the links ---------------------------------------------------------------------------

  /** A link is up: the replica starts its sync, the heartbeat starts listening. */
  opened(handle: MeshLink): void {
    const old = this.open.get(handle.id)
    if (old) this.end(old, 'closed', 'replaced by a newer link', false)
    const replicaLink: ReplicaLink = {
      id: handle.id,
      followsEpochs: handle.ds,
      send: (frame) => handle.send(frame),
      // Pinged at a sixth of the timeout and still silent at a third: not answering.
      quiet: () => this.liveness.silentFor(handle.id) >= this.liveness.timeoutMs / 3,
      drop: (reason) => {
        const l = this.open.get(handle.id)
        if (l?.handle !== handle) return
        this.emit('dropped', handle.id, reason)
        this.end(l, 'closed', reason, false)
      },
    }
    const link: OpenLink = { handle, replicaLink }
    this.open.set(handle.id, link)
    this.membership.opened(handle.id, handle.lid)
    this.liveness.add(handle.id)
    this.replica.open(replicaLink)
    this.emit('peers', this.peers)
  }

  /**
   * A frame from an open link. Returns false for frames that are not the mesh's (awareness, unknown
   * types). Throws `InvalidMessageError` when the peer broke the protocol (the caller drops it).
   */
  received(handle: MeshLink, frame: Frame): boolean {
    const link = this.open.get(handle.id)
    if (!link || link.handle !== handle) {
      // A peer we dropped for silence speaks again (it was frozen): tell it, then close for good.
      if (this.silent.delete(handle)) {
        if (handle.ds) handle.send(encodeHeartbeat('bye'))
        this.transport.close(handle.id, handle.lid, 'it spoke again after being dropped', handle.ds ? BYE_LINGER_MS : 0)
      }
      return true
    }
    // Back from a silence long enough that nothing was pushed to it: it learns what it missed.
    if (this.liveness.heard(handle.id) >= this.liveness.timeoutMs / 3) this.replica.broadcast.awake(link.replicaLink)
    switch (frame.kind) {
      case 'heartbeat':
        if (frame.beat === 'ping') handle.send(encodeHeartbeat('pong'))
        else if (frame.beat === 'bye') this.end(link, 'bye', 'the peer said bye', false)
        return true
      case 'awareness':
      case 'query-awareness':
      case 'other':
        return false
      default:
        this.replica.receive(link.replicaLink, frame)
        return true
    }
  }

  /** The transport saw a link close (whatever the cause); `lid` is our id of it. */
  closed(id: string, lid: number): void {
    const l = this.open.get(id)
    if (l && l.handle.lid === lid) {
      this.detach(l)
      this.membership.closed(id, lid, 'closed')
      this.emit('peers', this.peers)
    } else {
      this.membership.closed(id, lid, 'failed')
    }
  }

  /** Drops an open link for breaking the protocol. */
  misbehaved(handle: MeshLink, reason: string): void {
    const l = this.open.get(handle.id)
    if (l?.handle === handle) this.end(l, 'dead', reason, false)
    else this.hangUp(handle.id, handle.lid, reason, false)
  }

  destroy(): void {
    this.stop()
  }

  // --- internals --------------------------------------------------------------------------------

  private hangUp(id: string, lid: number, reason: string, bye: boolean): void {
    const l = this.open.get(id)
    if (l && l.handle.lid === lid) {
      this.detach(l)
      this.close(l.handle, reason, bye)
      this.emit('peers', this.peers)
    } else {
      this.transport.close(id, lid, reason, 0)
    }
  }

  private end(l: OpenLink, reason: CloseReason, message: string, bye: boolean, lingerMs = 0): void {
    this.detach(l)
    this.membership.closed(l.handle.id, l.handle.lid, reason)
    this.close(l.handle, message, bye, lingerMs)
    this.emit('peers', this.peers)
  }

  private close(handle: MeshLink, reason: string, bye: boolean, lingerMs = 0): void {
    const sayBye = bye && handle.ds
    if (sayBye) handle.send(encodeHeartbeat('bye'))
    this.transport.close(handle.id, handle.lid, reason, Math.max(lingerMs, sayBye ? BYE_LINGER_MS : 0))
  }

  private detach(l: OpenLink): void {
    this.open.delete(l.handle.id)
    this.liveness.remove(l.handle.id)
    this.replica.close(l.replicaLink)
  }
}
