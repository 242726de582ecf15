import type SimplePeer from 'simple-peer'
import { InvalidMessageError } from '../errors.js'
import { filterCandidates } from './candidates.js'
import { decodeFrame, type Frame } from './frames.js'
import type { AnnounceFields } from './membership-types.js'
import type { Mesh } from './mesh.js'
import type { MeshLink, MeshTransport } from './mesh-types.js'
import { PacedQueue } from './paced-queue.js'
import { PeerLink, type PeerFactory } from './peer-link.js'
import type { RoomIce } from './room-ice.js'
import type { RoomSignaling, SignalPayload } from './room-signaling.js'
import type { SignalingClient } from './signaling-client.js'

/** What the WebRTC links report to their room (besides what they hand the mesh). */
export interface RoomLinksHandlers {
  /** A frame that is not the mesh's (awareness, query awareness, unknown types). */
  frame(link: MeshLink, frame: Frame): void
  /** A link is up (after the mesh heard of it). */
  opened(link: MeshLink): void
  /** A link is gone (whatever the cause). */
  closed(link: MeshLink): void
  /** A peer broke the protocol and was dropped. */
  misbehaved(link: MeshLink, err: unknown): void
  /** Every frame sent, for the room's counters. */
  sent(bytes: number): void
  /** Every message received, for the room's counters. */
  received(bytes: number): void
  warning(message: string): void
}

/** Options of the WebRTC links. */
export interface RoomLinksOptions {
  peerId: string
  factory: Promise<PeerFactory>
  /** STUN/TURN servers (given, or from the signaling servers' `/ice`) and the TURN failure watch. */
  ice: RoomIce
  candidateFilter?: (candidate: string) => boolean
  maxMessageBytes: number
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null)

/**
 * A room's WebRTC side: the mesh's transport over a signaling server and simple-peer data channels.
 * It turns the mesh's `dial`, `close` and `announce` into signaling payloads and peer connections,
 * and the signaling payloads and channel messages it gets into calls on the mesh.
 */
export class RoomLinks implements MeshTransport {
  /** The mesh this transport serves; set right after both are built (each needs the other). */
  mesh!: Mesh
  signaling!: RoomSignaling
  private readonly links = new Map<string, PeerLink>()
  private readonly handles = new Map<PeerLink, MeshLink>()
  /** Frames that arrived before our side saw the channel open. */
  private readonly early = new Map<PeerLink, Frame[]>()
  /** The signaling server we last heard each peer through. */
  private readonly connOf = new Map<string, SignalingClient>()
  /** Links the mesh closed that stay open a little longer (a `bye` on its way, or a silent peer), by `id/lid`. */
  private readonly retired = new Map<string, PeerLink>()
  /** Links whose end the room was told of already. */
  private readonly reported = new WeakSet<PeerLink>()
  private readonly lingering = new Set<Promise<void>>()
  /** Incoming frames, run in order in slices that let the event loop breathe (see PacedQueue). */
  readonly inbox = new PacedQueue()

  constructor(
    private readonly options: RoomLinksOptions,
    private readonly handlers: RoomLinksHandlers,
  ) {}

  /** The open links, as the mesh knows them (not those it closed that linger). */
  openLinks(): MeshLink[] {
    return Array.from(this.links.values())
      .filter((l) => l.connected)
      .flatMap((l) => {
        const h = this.handles.get(l)
        return h ? [h] : []
      })
  }

  /** The WebRTC connections of the open links (for their ICE statistics). */
  peerLinks(): PeerLink[] {
    return Array.from(this.links.values()).filter((l) => l.connected && this.handles.has(l))
  }

  /** Resolves once links that said `bye` have closed. */
  async drained(): Promise<void> {
    await Promise.all(Array.from(this.lingering))
  }

  // --- MeshTransport ----------------------------------------------------------------------------

  announce(fields: AnnounceFields, to?: string): void {
    // `n`: a nonce, so that a relayed copy is recognised as one (room-signaling.ts)
    const payload: Record<string, unknown> = {
      type: 'announce',
      from: this.options.peerId,
      ...fields,
      n: Math.floor(Math.random() * 2 ** 52),
    }
    if (to !== undefined) payload.to = to
    this.signaling.publishVia(to === undefined ? undefined : this.connOf.get(to), payload)
  }

  dial(id: string, lid: number): void {
    void this.create(id, lid, true)
  }

  close(id: string, lid: number, _reason: string, lingerMs: number): void {
    const key = `${id}/${lid}`
    const current = this.links.get(id)
    const link = current?.lid === lid ? current : this.retired.get(key)
    if (!link) return
    if (link === current) {
      this.links.delete(id)
      this.report(link)
    }
    if (lingerMs <= 0) {
      this.retired.delete(key)
      link.destroy()
      return
    }
    this.retired.set(key, link)
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.retired.get(key) === link) this.retired.delete(key)
        link.destroy()
        resolve()
      }, lingerMs)
      ;(timer as { unref?: () => void }).unref?.()
    })
    // close() waits for the short lingers (a bye on its way), not for silent peers' long ones.
    if (lingerMs <= 1000) {
      this.lingering.add(done)
      void done.then(() => this.lingering.delete(done))
    }
  }

  /** Closes every link at once (the room is gone). */
  destroyAll(): void {
    for (const link of [...this.links.values(), ...this.retired.values()]) link.destroy()
    this.links.clear()
    this.retired.clear()
  }

  // --- signaling --------------------------------------------------------------------------------

  /** A payload for this peer arrived through `conn`. */
  async onPayload(payload: SignalPayload, conn: SignalingClient): Promise<void> {
    const { type, from, signal } = payload
    this.connOf.set(from, conn)
    try {
      if (type === 'announce') {
        this.mesh.announced(payload)
        return
      }
      if (payload.to !== this.options.peerId || signal === null || typeof signal !== 'object') return
      const ds = payload.ds === 1
      const lid = num(payload.lid)
      const existing = this.links.get(from)
      if ((signal as { type?: unknown }).type !== 'offer') {
        if (!existing || !this.mesh.membership.signalFits(from, lid, num(payload.rlid))) return
        if (ds) existing.chunking = true
        existing.signal(signal as SimplePeer.SignalData)
        return
      }
      if (existing && !existing.connected && existing.initiator) {
        // Both offered (a y-webrtc peer offers on every announce). y-webrtc's rule: the side whose
        // attempt has the larger token refuses the other's offer; the other answers it.
        const remoteToken = payload.token
        if (existing.glareToken !== undefined && typeof remoteToken === 'number' && existing.glareToken > remoteToken)
          return
        existing.glareToken = undefined
        this.mesh.membership.signalFits(from, lid)
        existing.signal(signal as SimplePeer.SignalData)
        return
      }
      const verdict = this.mesh.offered(from, { ds, lid })
      if (verdict.action === 'refuse') return
      const link = verdict.action === 'existing' ? existing : await this.create(from, verdict.lid, false)
      if (!link) return
      if (ds) link.chunking = true
      link.signal(signal as SimplePeer.SignalData)
    } catch (err) {
      this.handlers.warning(`signal from ${from} failed: ${String(err)}`)
    }
  }

  // --- links ------------------------------------------------------------------------------------

  private async create(remoteId: string, lid: number, initiator: boolean): Promise<PeerLink | null> {
    const [factory, config] = await Promise.all([this.options.factory, this.options.ice.config()])
    // The mesh may have given up on this attempt while the factory loaded.
    if (this.mesh.membership.linkId(remoteId) !== lid) return null
    const link: PeerLink = new PeerLink(
      remoteId,
      lid,
      initiator,
      factory,
      { config, trickle: true },
      {
        signal: (raw) => {
          const signal = filterCandidates(raw, this.options.candidateFilter)
          if (!signal) return
          // y-webrtc's glare rule needs a token per connection attempt; `ds` tells DiffStream peers
          // apart from y-webrtc ones (which ignore the field), `lid` names the attempt.
          link.glareToken ??= Date.now() + Math.random()
          this.signaling.publishVia(this.connOf.get(remoteId), {
            type: 'signal',
            from: this.options.peerId,
            to: remoteId,
            token: link.glareToken,
            ds: 1,
            lid,
            ...this.answering(remoteId),
            signal,
          })
        },
        connect: () => this.onConnect(link),
        // In order, but a burst of large frames (an initial sync's pieces) yields to the event loop
        message: (bytes) => this.inbox.push(() => this.onMessage(link, bytes)),
        close: () => this.onClose(link),
        misbehaved: (reason) => this.drop(link, new InvalidMessageError(reason)),
      },
      this.options.maxMessageBytes,
    )
    const old = this.links.get(remoteId)
    this.links.set(remoteId, link)
    old?.destroy()
    this.options.ice.watch(link.pc)
    return link
  }

  /** `rlid`: which of the peer's attempts our signals answer, once we know. */
  private answering(remoteId: string): { rlid?: number } {
    const rlid = this.mesh.membership.remoteLinkId(remoteId)
    return rlid === null ? {} : { rlid }
  }

  private onConnect(link: PeerLink): void {
    if (this.links.get(link.remoteId) !== link) {
      link.destroy()
      return
    }
    const handle: MeshLink = {
      id: link.remoteId,
      lid: link.lid,
      ds: link.chunking,
      send: (frame) => {
        this.handlers.sent(frame.length)
        link.send(frame)
      },
    }
    this.handles.set(link, handle)
    this.mesh.opened(handle)
    const early = this.early.get(link) ?? []
    this.early.delete(link)
    for (const frame of early) if (!this.deliver(link, handle, frame)) return
    this.handlers.opened(handle)
  }

  private onMessage(link: PeerLink, bytes: Uint8Array): void {
    this.handlers.received(bytes.length)
    let frame: Frame
    try {
      frame = decodeFrame(bytes)
    } catch (err) {
      this.drop(link, err)
      return
    }
    const handle = this.handles.get(link)
    // The remote side can open first and talk before our 'connect' fires: keep those frames.
    if (!handle) this.early.set(link, [...(this.early.get(link) ?? []), frame])
    else this.deliver(link, handle, frame)
  }

  /** Hands a frame to the mesh or the room; false when it got the sender dropped. */
  private deliver(link: PeerLink, handle: MeshLink, frame: Frame): boolean {
    try {
      if (!this.mesh.received(handle, frame)) this.handlers.frame(handle, frame)
      return true
    } catch (err) {
      this.drop(link, err)
      return false
    }
  }

  private onClose(link: PeerLink): void {
    if (this.links.get(link.remoteId) === link) this.links.delete(link.remoteId)
    this.retired.delete(`${link.remoteId}/${link.lid}`)
    this.early.delete(link)
    this.report(link)
    this.handles.delete(link)
    this.mesh.closed(link.remoteId, link.lid)
  }

  /** Tells the room a link ended (once): its awareness states go. */
  private report(link: PeerLink): void {
    const handle = this.handles.get(link)
    if (!handle || this.reported.has(link)) return
    this.reported.add(link)
    this.handlers.closed(handle)
  }

  private drop(link: PeerLink, err: unknown): void {
    const handle = this.handles.get(link) ?? { id: link.remoteId, lid: link.lid, ds: link.chunking, send: () => {} }
    this.handlers.misbehaved(handle, err)
    this.mesh.misbehaved(handle, err instanceof Error ? err.message : String(err))
    link.destroy()
  }
}
