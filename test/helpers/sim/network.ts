// An in-memory network for rooms: the real Replica and Mesh (membership, broadcast tree, heartbeat)
// of each peer, over simulated signaling (a broadcast bus with delays) and simulated data channels
// (ordered, with seeded latency; links can break silently or with a reported close), in virtual time.
import { decodeFrame, type Frame } from '../../../core/src/net/frames.js'
import { Mesh, type MeshLink, type MeshTransport } from '../../../core/src/net/mesh.js'
import type { AnnounceFields } from '../../../core/src/net/membership.js'
import { Replica } from '../../../core/src/net/replica.js'
import type { RelayMode } from '../../../core/src/net/broadcast.js'
import { EventQueue, PeerClock } from './clock.js'

/** Tunables of a simulated network. */
export interface SimConfig {
  relay: RelayMode
  maxConns: number
  heartbeatMs: number
  /** One-way data-channel latency, uniform in [min, max] ms. */
  latencyMs: [number, number]
  /** Signaling delay per payload, uniform in [min, max] ms. */
  signalingMs: [number, number]
  /** Time from an accepted offer to an open channel (ICE), uniform in [min, max] ms. */
  connectMs: [number, number]
  /** Chance that a link closed by one side is reported to the other (Chromium does; @roamhq/wrtc does not). */
  closeReported: number
}

export const DEFAULT_SIM: SimConfig = {
  relay: 'tree',
  maxConns: 8,
  heartbeatMs: 15_000,
  latencyMs: [5, 40],
  signalingMs: [5, 60],
  connectMs: [30, 200],
  closeReported: 0.5,
}

/** What the network reports about every frame it delivers (for the metrics). */
export interface Delivery {
  from: SimPeer
  to: SimPeer
  frame: Frame
  bytes: number
}

/** One direction of a data channel: ordered, each frame after its latency and after the one before. */
interface Direction {
  lastAt: number
}

/** A data channel between two peers. */
class Wire {
  up = true
  readonly ab: Direction = { lastAt: 0 }
  readonly ba: Direction = { lastAt: 0 }
  handleA: MeshLink | null = null
  handleB: MeshLink | null = null
  constructor(
    readonly a: SimPeer,
    readonly lidA: number,
    readonly b: SimPeer,
    readonly lidB: number,
  ) {}

  other(p: SimPeer): SimPeer {
    return p === this.a ? this.b : this.a
  }
}

/** A simulated peer: the room's real protocol objects, and its place in the network. */
export class SimPeer {
  readonly replica: Replica
  readonly mesh: Mesh
  readonly clock: PeerClock
  online = false
  /** Wires by our link id. */
  readonly wires = new Map<number, Wire>()
  /** The most links this peer ever held at once. */
  maxDegree = 0

  constructor(
    readonly net: SimNet,
    readonly id: string,
    readonly index: number,
    readonly writer: boolean,
    clientId: number,
  ) {
    this.clock = new PeerClock(net.queue)
    this.replica = new Replica({
      compacts: writer,
      compaction: false,
      clock: this.clock,
      broadcast: { mode: net.config.relay },
    })
    this.replica.mirror.doc.clientID = clientId
    const transport: MeshTransport = {
      announce: (fields, to) => net.publish(this, fields, to),
      dial: (id, lid) => net.dial(this, id, lid),
      close: (id, lid, _reason, lingerMs) => net.close(this, lid, lingerMs),
    }
    this.mesh = new Mesh(
      this.replica,
      {
        peerId: id,
        maxConns: net.config.maxConns,
        clock: this.clock,
        random: net.random,
        heartbeatMs: net.config.heartbeatMs,
      },
      transport,
    )
    this.mesh.on('peers', (peers) => {
      this.maxDegree = Math.max(this.maxDegree, peers.length)
    })
  }

  get degree(): number {
    return this.mesh.peers.length
  }

  /** Runs `fn` as this peer's work, then sends what it queued (the microtask flush of a real room). */
  work(fn: () => void): void {
    this.clock.run(() => {
      fn()
      this.replica.flush()
    })
  }
}

/** Peers, a signaling bus and data channels in virtual time. */
export class SimNet {
  readonly queue = new EventQueue()
  readonly peers = new Map<string, SimPeer>()
  readonly failures: string[] = []
  readonly config: SimConfig
  /** Called for every frame delivered. */
  onDelivery: ((d: Delivery) => void) | null = null
  framesDelivered = 0
  bytesDelivered = 0
  /** Bytes of the frames that carry updates (relays and sync answers). */
  updateBytes = 0
  private nextIndex = 0

  constructor(
    readonly random: () => number,
    config: Partial<SimConfig> = {},
  ) {
    this.config = { ...DEFAULT_SIM, ...config }
  }

  get now(): number {
    return this.queue.now
  }

  private between([lo, hi]: [number, number]): number {
    return lo + this.random() * (hi - lo)
  }

  /** A peer joins: it connects to signaling after a delay and starts announcing. */
  join(writer = false): SimPeer {
    const index = this.nextIndex++
    const id = `p${String(index).padStart(4, '0')}-${Math.floor(this.random() * 1e9).toString(36)}`
    const peer = new SimPeer(this, id, index, writer, Math.floor(this.random() * 0x7fffffff) + 1)
    this.peers.set(id, peer)
    this.queue.after(this.between(this.config.signalingMs), () => this.goOnline(peer))
    return peer
  }

  goOnline(peer: SimPeer): void {
    if (!peer.clock.alive) return
    peer.online = true
    peer.work(() => {
      // As RoomSignaling does on connecting: announce, then look for links.
      this.publish(peer, peer.mesh.membership.fields())
      peer.mesh.start()
    })
  }

  /** Leaves politely: `bye` on every link, then gone. */
  leave(peer: SimPeer): void {
    peer.work(() => peer.mesh.stop())
    peer.online = false
    this.queue.after(500, () => this.remove(peer))
  }

  /** Vanishes without a word (a crash, a network drop): links go silent, nothing is reported. */
  vanish(peer: SimPeer): void {
    peer.online = false
    this.remove(peer)
  }

  /** Goes offline and back later (`setOnline(false)` / `setOnline(true)`). */
  offline(peer: SimPeer, forMs: number): void {
    peer.work(() => peer.mesh.stop())
    peer.online = false
    this.queue.after(forMs, () => this.goOnline(peer))
  }

  /** Its network goes at once: every link dead without a word on either side, then it stops. */
  networkDrop(peer: SimPeer): void {
    for (const w of new Set(peer.wires.values())) w.up = false
    peer.work(() => peer.mesh.stop())
    peer.online = false
  }

  freeze(peer: SimPeer, forMs: number): void {
    peer.clock.freeze()
    this.queue.after(forMs, () => peer.clock.thaw())
  }

  /** Breaks one link of `peer`: silently (a network drop) or with a close both sides see. */
  breakLink(peer: SimPeer, silent: boolean): boolean {
    const wires = Array.from(new Set(peer.wires.values())).filter((w) => w.up)
    if (wires.length === 0) return false
    const w = wires[Math.floor(this.random() * wires.length)]!
    w.up = false
    if (!silent) {
      this.reportClose(w, w.a, this.between(this.config.latencyMs))
      this.reportClose(w, w.b, this.between(this.config.latencyMs))
    }
    return true
  }

  private remove(peer: SimPeer): void {
    peer.clock.alive = false
    peer.online = false
    for (const w of peer.wires.values()) w.up = false
    peer.replica.destroy()
    this.peers.delete(peer.id)
  }

  /** Online peers that have not vanished (the ones that must converge). */
  live(): SimPeer[] {
    return Array.from(this.peers.values()).filter((p) => p.online && p.clock.alive)
  }

  // --- signaling ----------------------------------------------------------------------------------

  publish(from: SimPeer, fields: AnnounceFields, to?: string): void {
    if (!from.online) return
    const payload = { type: 'announce', from: from.id, ...fields, ...(to === undefined ? {} : { to }) }
    const targets = to === undefined ? Array.from(this.peers.values()) : [this.peers.get(to)].filter((p) => p)
    for (const p of targets as SimPeer[]) {
      if (p === from) continue
      this.queue.after(this.between(this.config.signalingMs), () => {
        if (p.online) p.work(() => p.mesh.announced(payload))
      })
    }
  }

  /** An offer travels over signaling; if accepted, the channel opens after the connect delay. */
  dial(from: SimPeer, toId: string, lid: number): void {
    this.queue.after(this.between(this.config.signalingMs), () => {
      const to = this.peers.get(toId)
      if (!to || !to.online || !from.online) return
      to.work(() => {
        const verdict = to.mesh.offered(from.id, { ds: true, lid })
        if (verdict.action !== 'new') return
        const theirs = verdict.lid
        this.queue.after(this.between(this.config.connectMs), () => this.connect(from, lid, to, theirs))
      })
    })
  }

  private connect(a: SimPeer, lidA: number, b: SimPeer, lidB: number): void {
    if (!a.online || !b.online || !a.clock.alive || !b.clock.alive) return
    const wire = new Wire(a, lidA, b, lidB)
    a.wires.set(lidA, wire)
    b.wires.set(lidB, wire)
    const open = (p: SimPeer, lid: number, theirLid: number): void =>
      p.work(() => {
        // The attempt may have been given up (timed out, replaced) meanwhile: then it never opens.
        if (p.mesh.membership.linkId(wire.other(p).id) !== lid || !wire.up) {
          this.closeWire(wire)
          return
        }
        p.mesh.membership.signalFits(wire.other(p).id, theirLid)
        const handle: MeshLink = { id: wire.other(p).id, lid, ds: true, send: (frame) => this.send(wire, p, frame) }
        if (p === a) wire.handleA = handle
        else wire.handleB = handle
        p.mesh.opened(handle)
        if (p.degree > this.config.maxConns)
          this.failures.push(`${p.id} holds ${p.degree} links, more than maxConns ${this.config.maxConns}`)
      })
    open(a, lidA, lidB)
    open(b, lidB, lidA)
  }

  private send(wire: Wire, from: SimPeer, bytes: Uint8Array): void {
    if (!wire.up) return
    const to = wire.other(from)
    const dir = from === wire.a ? wire.ab : wire.ba
    const at = Math.max(dir.lastAt, this.now + this.between(this.config.latencyMs))
    dir.lastAt = at
    this.queue.at(at, () => {
      if (!wire.up) return
      const handle = to === wire.a ? wire.handleA : wire.handleB
      if (!handle) return
      to.work(() => {
        if (!wire.up) return
        let frame: Frame
        try {
          frame = decodeFrame(bytes)
        } catch (err) {
          this.failures.push(`${to.id}: undecodable frame from ${from.id}: ${String(err)}`)
          return
        }
        this.framesDelivered++
        this.bytesDelivered += bytes.length
        if (frame.kind === 'update' || frame.kind === 'sync-step2') this.updateBytes += bytes.length
        this.onDelivery?.({ from, to, frame, bytes: bytes.length })
        try {
          to.mesh.received(handle, frame)
        } catch (err) {
          this.failures.push(`${to.id} refused a ${frame.kind} frame from ${from.id}: ${String(err)}`)
        }
      })
    })
  }

  /** The mesh closed a link (after `lingerMs`); the other side hears of it only sometimes. */
  close(peer: SimPeer, lid: number, lingerMs: number): void {
    const wire = peer.wires.get(lid)
    peer.wires.delete(lid)
    if (!wire) return
    this.queue.after(lingerMs + this.config.latencyMs[1], () => {
      if (!wire.up) return
      wire.up = false
      if (this.random() < this.config.closeReported)
        this.reportClose(wire, wire.other(peer), this.between(this.config.latencyMs))
    })
  }

  private closeWire(wire: Wire): void {
    wire.up = false
    wire.a.wires.delete(wire.lidA)
    wire.b.wires.delete(wire.lidB)
  }

  /** `p` sees `wire` close, `afterMs` from now. */
  private reportClose(wire: Wire, p: SimPeer, afterMs: number): void {
    const lid = p === wire.a ? wire.lidA : wire.lidB
    this.queue.after(afterMs, () => {
      p.wires.delete(lid)
      p.work(() => p.mesh.closed(wire.other(p).id, lid))
    })
  }

  /** Runs the network until `time` (virtual ms). */
  runUntil(time: number): void {
    this.queue.runUntil(time)
  }
}
