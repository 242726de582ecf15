import type { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'
import { decodeCut } from './cut.js'
import type { EncodedLineageStep } from './epoch.js'
import type { LineageStep } from './journal.js'

/*
 * An epoch's lineage as it travels in epoch-base frames and rests in stored snapshots: a count, then
 * per compaction its epoch, its parent and its cut (docs/rooms.md, epoch frames).
 */

/** Appends a lineage (docs/rooms.md, epoch frames): a count, then per step epoch, parent and cut bytes. */
export function pushLineage(parts: Array<ArrayLike<number>>, lineage: readonly EncodedLineageStep[]): void {
  const count: number[] = []
  pushVarUint(count, lineage.length)
  parts.push(count)
  for (const step of lineage) {
    const h: number[] = []
    pushVarUint(h, step.epoch)
    pushVarUint(h, step.parent)
    pushVarUint(h, step.cut.length)
    parts.push(h, step.cut)
  }
}

/** Reads a lineage written by `pushLineage`. */
export function readLineage(r: ByteReader): EncodedLineageStep[] {
  const n = r.count(3)
  const lineage = []
  for (let i = 0; i < n; i++) lineage.push({ epoch: r.varUint(), parent: r.varUint(), cut: r.varBytes() })
  return lineage
}

/** Decodes the cuts of a lineage (untrusted: throws `InvalidMessageError` on a malformed cut). */
export function decodeLineage(lineage: readonly EncodedLineageStep[]): LineageStep[] {
  return lineage.map((step) => ({ epoch: step.epoch, parent: step.parent, cut: decodeCut(step.cut) }))
}
