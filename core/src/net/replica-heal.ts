import { holdsBase } from '../base-doc.js'
import { InvalidMessageError } from '../errors.js'
import { dependenciesMet, inspectUpdate } from '../update-inspect.js'
import type { AntiEntropyHost } from './anti-entropy-types.js'
import { keepForHeal } from './divergence-heal.js'
import type { StampedNode } from '../stamped-merge.js'
import type { Replica } from './replica.js'
import type { ReplicaClock, ReplicaLink } from './replica-link.js'

/**
 * The anti-entropy's view of a replica (docs/anti-entropy.md): its document, its records' checksums,
 * and the heal, which checks a trusted peer's state like an epoch's base before replacing the
 * document with it.
 */
export function antiEntropyHost(
  replica: Replica,
  clock: ReplicaClock,
  inStep: (link: ReplicaLink) => boolean,
): AntiEntropyHost {
  const mirror = replica.mirror
  return {
    clock,
    epoch: () => replica.epoch,
    stateVector: () => mirror.encodeStateVector(),
    fingerprint: () => mirror.fingerprint(),
    clockOf: (client) => mirror.clock(client),
    clientId: () => mirror.doc.clientID,
    *records() {
      for (const id of mirror.ids()) yield [id, mirror.digest(id)!.hash] as const
    },
    ids: () => mirror.ids(),
    recordCount: () => mirror.size,
    checksum: (id) => mirror.digest(id)?.hash,
    watch(listener) {
      mirror.onChange((changes) => listener(changes.keys()))
    },
    doc: () => mirror.doc,
    root: () => mirror.root,
    inStep,
    fullState: () => mirror.diff(),
    heal(state, own, affected) {
      const inspection = inspectUpdate(state)
      // The whole state: it depends on nothing outside itself, and holds the epoch's base.
      if (!dependenciesMet(inspection, () => 0) || (replica.epoch > 0 && !holdsBase(inspection, replica.epoch)))
        throw new InvalidMessageError('a heal state that is not a whole state of this epoch')
      try {
        return healReplica(replica, state, (held) => keepForHeal(held, own, affected))
      } catch (err) {
        throw new InvalidMessageError('a heal state does not apply', { cause: err })
      }
    },
  }
}

/**
 * Replaces a replica's document with a trusted peer's whole state of its epoch, carrying what `keep`
 * keeps of the values it held (docs/anti-entropy.md, "Heal"); returns the ids of the records whose
 * value changed.
 */
export function healReplica(
  replica: Replica,
  state: Uint8Array,
  keep: (held: Map<string, StampedNode>) => Map<string, StampedNode>,
): string[] {
  const mirror = replica.mirror
  const hashOf = (id: string): number | undefined => mirror.digest(id)?.hash
  const touched = new Set<string>()
  const before = new Map(Array.from(mirror.ids(), (id) => [id, hashOf(id)]))
  const off = mirror.onChange((c) => c.forEach((_, id) => touched.add(id)))
  try {
    mirror.adopt(state, replica.epoch, undefined, keep)
  } finally {
    off()
  }
  replica.restarted()
  // A value dropped by the move and carried back by the join is no change.
  return Array.from(touched)
    .filter((id) => before.get(id) !== hashOf(id))
    .sort()
}
