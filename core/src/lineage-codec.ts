import type { ByteReader } from './byte-reader.js'

/*
 * Epoch-base frames and stored snapshots of format 1 carried a lineage: a count, then per
 * compaction its epoch, its parent and its cut. Stamps made it unnecessary (docs/compaction.md);
 * DiffStream still writes an empty one in epoch-base frames, so that the frame keeps its layout,
 * and skips whatever an older peer or store sends.
 */

/** An empty lineage: its count, 0. */
export const EMPTY_LINEAGE: readonly number[] = [0]

/** Reads past a lineage (untrusted input: bounds are checked by the reader). */
export function skipLineage(r: ByteReader): void {
  const n = r.count(3)
  for (let i = 0; i < n; i++) {
    r.varUint()
    r.varUint()
    r.varBytes()
  }
}
