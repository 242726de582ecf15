import type { JsonObject } from '@diffstream/core'
import type { BenchRecord } from '../contender.js'

/**
 * A stream of record versions. `initial` records are sent first and not timed (they are the
 * `new` messages); `updates` are the timed per-update messages. Every record is a fresh object
 * (unchanged parts may be shared between versions), so contenders can keep references safely;
 * none of them mutates its input.
 */
export interface Workload {
  readonly name: string
  readonly description: string
  readonly initial: readonly BenchRecord[]
  readonly updates: readonly BenchRecord[]
  /**
   * For a path write (`Contender.producePatch`): what each update changed, as a partial record to
   * merge into the previous version (same order as `updates`).
   */
  readonly patches?: ReadonlyArray<{ key: BenchRecord['key']; patch: JsonObject }>
}

/** The last version of every key in the workload: what each consumer must end up holding. */
export function finalState(w: Workload): Map<string, BenchRecord> {
  const out = new Map<string, BenchRecord>()
  for (const r of [...w.initial, ...w.updates]) out.set(String(r.key), r)
  return out
}
