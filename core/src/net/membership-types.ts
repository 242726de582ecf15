import type { ReplicaClock } from './replica-link.js'

/** The fields DiffStream adds to its `announce` payloads (docs/rooms.md, "Links"). */
export interface AnnounceFields {
  ds: 1
  /** The sender's next link id: links it created before this announce have smaller ids. */
  lid: number
  /** Our id of every link we hold (pending or up), by peer id. */
  links: Record<string, number>
  /** How many links we hold. */
  deg: number
  /** "Please offer me a link." */
  want?: 1
  /** "I have no room for you." */
  full?: 1
  /** With `want`: "I have no link at all and everyone I tried is full": let me in anyway. */
  lonely?: 1
  /** With `want`: "we are in different components of the room": make room for me if you are full. */
  room?: 1
  /** Broadcast: "my links changed" (for the others' views); no answer wanted. */
  news?: 1
}

/** An announce as it arrives: any field may be missing or of the wrong type (y-webrtc peers, hostile ones). */
export interface ReceivedAnnounce {
  from: string
  to?: unknown
  ds?: unknown
  lid?: unknown
  links?: unknown
  deg?: unknown
  want?: unknown
  full?: unknown
  lonely?: unknown
  room?: unknown
  news?: unknown
}

/** What membership asks of the transport (a signaling server and WebRTC, or a simulated network). */
export interface MembershipTransport {
  /** Publishes an announce: to everyone, or addressed to one peer. */
  announce(fields: AnnounceFields, to?: string): void
  /** Opens a connection to `id`, this side offering; `lid` is our id for it. */
  dial(id: string, lid: number): void
  /** Closes our link `lid` to `id` (sending `bye` first when asked); no close report follows. */
  hangUp(id: string, lid: number, reason: string, bye: boolean): void
}

/** Options of a {@link Membership}. */
export interface MembershipOptions {
  peerId: string
  /** At most this many links (pending or up). */
  maxConns: number
  clock: ReplicaClock
  /** Randomness for picking peers and jitter (seeded in simulations). */
  random?: () => number
}

/** What an offer from a peer leads to. */
export type OfferVerdict = { action: 'new'; lid: number } | { action: 'existing' } | { action: 'refuse' }

/** How a link ended, as far as choosing peers again goes. */
export type CloseReason = 'closed' | 'failed' | 'dead' | 'bye'
