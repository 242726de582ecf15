import type * as Y from 'yjs'

/*
 * Two copies hold the same state exactly when they have the same state vector (what was inserted)
 * and the same delete set (what was deleted); deletes do not advance the state vector. This keeps
 * a running, order-independent hash of every deleted clock unit, so the full state can be
 * fingerprinted without walking the delete set.
 */

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function unit(client: number, clock: number): number {
  return fmix((client >>> 0) ^ fmix(clock + Math.floor(clock / 0x100000000)) ^ Math.floor(client / 0x100000000))
}

/** Follows a document's deletions; `value` fingerprints its whole state in 32 bits. */
export class StateFingerprint {
  private deleted = 0

  constructor(private readonly doc: Y.Doc, initialDeleted = 0) {
    this.deleted = initialDeleted
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      for (const [client, ranges] of tr.deleteSet.clients) {
        for (const { clock, len } of ranges) {
          for (let c = clock; c < clock + len; c++) this.deleted = (this.deleted + unit(client, c)) >>> 0
        }
      }
    })
  }

  /** The running hash of deleted units, to seed a copy of the same document. */
  get deletedHash(): number {
    return this.deleted
  }

  /** A 32-bit fingerprint of the state vector and the delete set together. */
  value(): number {
    let sum = 0
    for (const [client, items] of this.doc.store.clients) {
      const last = items[items.length - 1]
      const clock = last ? last.id.clock + last.length : 0
      sum = (sum + unit(client, clock + 0x9e3779b9)) >>> 0
    }
    return fmix(sum ^ fmix(this.deleted))
  }
}
