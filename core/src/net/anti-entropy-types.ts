import type * as Y from 'yjs'
import type { Rank } from './digest-frames.js'
import type { RecordSum } from './record-digest.js'
import type { ReplicaClock, ReplicaLink } from './replica-link.js'

/** Options of a replica's anti-entropy (docs/anti-entropy.md). */
export interface AntiEntropyOptions {
  /** How much peers trust this copy about content: 2 producer, 1 peer, 0 consumer. */
  rank: Rank
  /** The period of digests on each link, ±25% (default 5 000 ms). */
  digestMs?: number
  /** Randomness for the jitter (seeded in simulations). */
  random?: () => number
}

/** What the anti-entropy needs of its replica. */
export interface AntiEntropyHost {
  readonly clock: ReplicaClock
  epoch(): number
  stateVector(): Uint8Array
  fingerprint(): number
  /** How many structs of `client` the document holds. */
  clockOf(client: number): number
  /** The Yjs client id this copy writes as now. */
  clientId(): number
  /** Every record's id and checksum. */
  records(): Iterable<RecordSum>
  /** Every record's id (cheap: no checksum built). */
  ids(): Iterable<string>
  recordCount(): number
  /** The checksum of record `id`, or undefined when there is none. */
  checksum(id: string): number | undefined
  /** Calls `listener` with the ids of the records each accepted change touched. */
  watch(listener: (ids: Iterable<string>) => void): void
  doc(): Y.Doc
  root(): Y.Map<unknown>
  /** Whether `link`'s peer is in this copy's epoch. */
  inStep(link: ReplicaLink): boolean
  /** The whole state of this epoch (what a `heal` `state` carries). */
  fullState(): Uint8Array
  /**
   * Replaces the document with `state` (same epoch), carrying what it held, except in the records
   * `affected`, where only values whose stamps name one of `own` are carried; returns the ids of the
   * records that changed. Throws `InvalidMessageError` on a bad state.
   */
  heal(state: Uint8Array, own: ReadonlySet<number>, affected: ReadonlySet<string>): string[]
}

/** A copy found that it, or a peer, holds something the source never wrote. */
export interface Divergence {
  /** The peer whose digest showed it (the trusted source when `healing`). */
  peerId: string
  /** `forged-clock`: this copy held a client's structs beyond what their owner wrote; `content`: same state, other records. */
  reason: 'forged-clock' | 'content'
  /** Ids of the records concerned. */
  records: string[]
  /** The client ids whose structs were forged (`forged-clock`), else empty. */
  clients: number[]
  /** Whether this copy heals from that peer (else the peer is not trusted more than this copy). */
  healing: boolean
}

/** Events of the anti-entropy. */
export type AntiEntropyEvents = {
  diverged: (d: Divergence) => void
  /** This copy replaced its state with `peerId`'s; `records` changed. */
  healed: (peerId: string, records: string[]) => void
  /** An update carrying structs under this copy's own client ids, never written here, was refused. */
  refused: (peerId: string) => void
  /** A link that brought forged structs was dropped. */
  dropped: (peerId: string) => void
}
