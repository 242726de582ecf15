import type { AnnounceFields } from './membership-types.js'
import type { ReplicaClock } from './replica-link.js'

/** Options of a mesh (the transport-independent part of a room). */
export interface MeshOptions {
  peerId: string
  /** At most this many links. */
  maxConns: number
  clock: ReplicaClock
  /** Randomness for picking peers (seeded in simulations). */
  random?: () => number
  /** A link silent this long is dropped (default 15 000 ms). */
  heartbeatMs?: number
}

/** An open link as the mesh sees it. */
export interface MeshLink {
  readonly id: string
  /** Our id of this link (see docs/rooms.md, "Links"). */
  readonly lid: number
  /** Whether the peer is a DiffStream peer (else y-webrtc). */
  readonly ds: boolean
  send(frame: Uint8Array): void
}

/** What a mesh needs from its transport. */
export interface MeshTransport {
  /** Publishes an announce on the signaling channel: to everyone, or addressed to one peer. */
  announce(fields: AnnounceFields, to?: string): void
  /** Opens a connection to `id`, this side offering; `lid` is our id for it. */
  dial(id: string, lid: number): void
  /**
   * Closes our link `lid` to `id` (pending or up) after `lingerMs` (so that a `bye` just sent gets
   * out). A close of a link the mesh itself closed needs no report back (it is ignored if sent).
   */
  close(id: string, lid: number, reason: string, lingerMs: number): void
}
