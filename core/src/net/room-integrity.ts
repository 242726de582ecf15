import type { Role } from '../types.js'
import type { AntiEntropy } from './anti-entropy.js'
import type { Divergence } from './anti-entropy-types.js'
import type { Rank } from './digest-frames.js'
import type { RoomStats } from './types.js'

/** How much a room's copies trust each role about content (docs/anti-entropy.md, "Who is trusted"). */
export const RANKS: Record<Role, Rank> = { consumer: 0, peer: 1, producer: 2 }

/** What the room reports of its anti-entropy, with record ids still to turn into keys. */
export type IntegrityEvent =
  | { kind: 'diverged'; divergence: Divergence; records: string[] }
  | { kind: 'healed'; peerId: string; records: string[] }

/** Counts the anti-entropy's findings in the room's stats and hands its events on. */
export function watchAntiEntropy(
  anti: AntiEntropy | null,
  counters: RoomStats,
  report: (event: IntegrityEvent) => void,
): void {
  if (!anti) return
  anti.on('diverged', (divergence) => {
    counters.divergences++
    report({ kind: 'diverged', divergence, records: divergence.records })
  })
  anti.on('healed', (peerId, records) => {
    counters.heals++
    report({ kind: 'healed', peerId, records })
  })
  anti.on('refused', () => counters.forgedRefused++)
  anti.on('dropped', () => counters.forgersDropped++)
}
