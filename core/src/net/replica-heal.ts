import { holdsBase } from '../base-doc.js'
import { InvalidMessageError } from '../errors.js'
import { dependenciesMet, inspectUpdate } from '../update-inspect.js'
import type { AntiEntropyHost } from './anti-entropy-types.js'
import { keepOwn } from './divergence-heal.js'
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
    recordCount: () => mirror.size,
    checksum: (id) => mirror.digest(id)?.hash,
    watch(listener) {
      mirror.onChange((changes) => listener(changes.keys()))
    },
    doc: () => mirror.doc,
    root: () => mirror.root,
    inStep,
    fullState: () => mirror.diff(),
    heal(state, own) {
      const inspection = inspectUpdate(state)
      // The whole state: it depends on nothing outside itself, and holds the epoch's base.
      if (!dependenciesMet(inspection, () => 0) || (replica.epoch > 0 && !holdsBase(inspection, replica.epoch)))
        throw new InvalidMessageError('a heal state that is not a whole state of this epoch')
      try {
        return replica.healWith(state, (held) => keepOwn(held, own))
      } catch (err) {
        throw new InvalidMessageError('a heal state does not apply', { cause: err })
      }
    },
  }
}
