import * as Y from 'yjs'

/*
 * Two copies hold the same state exactly when they have the same state vector (what was inserted)
 * and the same delete set (what was deleted); deletes do not advance the state vector. This keeps
 * a running, order-independent hash of every deleted clock unit, so the full state can be
 * fingerprinted without walking the delete set.
 *
 * A unit's hash is a quadratic polynomial in its clock with per-client coefficients, so the hash of
 * a whole range has a closed form: a hostile update declaring a range of 2^40 deleted units costs
 * the same as one unit, and a range hashes the same however it was split into pieces.
 */

const MOD = 1n << 32n

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const coefficients = new Map<number, [bigint, bigint, bigint]>()

function coefficientsOf(client: number): [bigint, bigint, bigint] {
  let c = coefficients.get(client)
  if (!c) {
    const h = fmix((client >>> 0) ^ fmix(Math.floor(client / 0x100000000) + 0x9e3779b9))
    c = [BigInt(h | 1), BigInt(fmix(h ^ 0x85ebca6b)), BigInt(fmix(h ^ 0xc2b2ae35) | 1)]
    if (coefficients.size > 10_000) coefficients.clear()
    coefficients.set(client, c)
  }
  return c
}

/** Sum over the units clock … clock+len-1 of a·c + b + q·c² (mod 2^32). */
function rangeHash(client: number, clock: number, len: number): number {
  if (len <= 0) return 0
  const [a, b, q] = coefficientsOf(client)
  const n = BigInt(len)
  const s = BigInt(clock)
  const sum1 = n * s + (n * (n - 1n)) / 2n
  const sum2 = n * s * s + s * n * (n - 1n) + ((n - 1n) * n * (2n * n - 1n)) / 6n
  return Number((a * sum1 + b * n + q * sum2) % MOD)
}

/** Follows a document's deletions; `value` fingerprints its whole state in 32 bits. */
export class StateFingerprint {
  private deleted = 0

  constructor(private readonly doc: Y.Doc) {
    doc.on('afterTransaction', (tr: Y.Transaction) => this.count(tr))
  }

  /**
   * Adds every unit that became deleted in this transaction, exactly once: those it deleted, and
   * those that arrived already deleted (collected content in a full-state update), which Yjs does
   * not list in the transaction's delete set. A copy that learns of a deletion either way ends with
   * the same hash as the writer that made it.
   */
  private count(tr: Y.Transaction): void {
    let sum = this.deleted
    for (const [client, ranges] of tr.deleteSet.clients) {
      for (const { clock, len } of ranges) sum += rangeHash(client, clock, len)
    }
    for (const [client, after] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0
      if (after <= before) continue
      const structs = this.doc.store.clients.get(client)
      if (!structs) continue
      const listed = tr.deleteSet.clients.get(client) ?? []
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!
        if (!struct.deleted) continue
        const from = Math.max(struct.id.clock, before)
        const end = struct.id.clock + struct.length
        sum += rangeHash(client, from, end - from)
        // minus what the transaction's delete set already counted
        for (const { clock, len } of listed) {
          const lo = Math.max(from, clock)
          const hi = Math.min(end, clock + len)
          if (hi > lo) sum -= rangeHash(client, lo, hi - lo)
        }
      }
    }
    this.deleted = ((sum % 0x100000000) + 0x100000000) % 0x100000000
  }

  /** A 32-bit fingerprint of the state vector and the delete set together. */
  value(): number {
    let sum = 0
    for (const [client, items] of this.doc.store.clients) {
      const last = items[items.length - 1]
      const clock = last ? last.id.clock + last.length : 0
      sum = (sum + fmix((client >>> 0) ^ fmix(clock + 0x9e3779b9))) >>> 0
    }
    return fmix(sum ^ fmix(this.deleted))
  }
}
