import { decodeStateVector } from '../state-vector.js'
import type { Rank } from './digest-frames.js'
import type { ReplicaLink } from './replica-link.js'

/** What the anti-entropy keeps per DiffStream link (see anti-entropy.ts). */
export class LinkEntropy {
  timer: { cancel(): void } | null = null
  /** A confirmation asked of this peer: how far this copy held each suspect client then. */
  confirm: Map<number, number> | null = null
  /** Buckets whose records were asked of this peer. */
  asked: { count: number; buckets: Set<number> } | null = null
  /** The rank its last digest gave. */
  rank: Rank = 0
  lastStateSent = -Infinity
  lastRecordsSent = -Infinity
  lastRefusal = -Infinity
  /** The state (epoch and fingerprint) the last digest on this link described; null: send the next one. */
  described: string | null = null
  constructor(readonly link: ReplicaLink) {}
}

/** Whether two encoded state vectors hold the same clocks (whatever the order of their entries). */
export function sameStateVector(a: Uint8Array, b: Uint8Array): boolean {
  const x = decodeStateVector(a)
  const y = decodeStateVector(b)
  if (x.size !== y.size) return false
  for (const [client, clock] of x) if (y.get(client) !== clock) return false
  return true
}
