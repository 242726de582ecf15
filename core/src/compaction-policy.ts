import type { CompactionOptions } from './types.js'

/** Defaults of {@link CompactionOptions}: see docs/compaction.md for why. */
export const DEFAULT_RATIO = 2
export const DEFAULT_MIN_BYTES = 4 * 1024
const MIN_CHECK_STEP = 1024

/** What the policy needs to know about a mirror, computed only when a check is due. */
export interface CompactionProbe {
  /** Update bytes accepted since the epoch began (cheap, always known). */
  readonly historyBytes: number
  /** Bytes of the encoded state now (costly: the whole document). */
  stateBytes(): number
  /** Bytes of the live records as JSON (every record, from the sizes the mirror keeps per record). */
  liveBytes(): number
}

/**
 * Decides when a mirror compacts: when its encoded state exceeds `ratio` times the live data's JSON
 * and `minBytes`. Measuring the state costs a full encode, so it is measured only after the history
 * has grown by a quarter of the state measured last — O(1) amortized per update byte — which bounds
 * how far past the threshold the state can get before the next check; and not even then while the
 * state measured last plus the history accepted since (which bounds it from above: an update adds
 * at most its own bytes to the state) cannot pass the threshold yet.
 */
export class CompactionPolicy {
  readonly enabled: boolean
  readonly ratio: number
  readonly minBytes: number
  private nextCheck: number
  /** The state right after the last compaction: compacting again below twice that gains little. */
  private baseBytes = 0
  /** The state measured last, and the history bytes then. */
  private measured = 0
  private measuredAt = 0

  constructor(options: false | CompactionOptions | undefined) {
    this.enabled = options !== false
    const o = options === false || options === undefined ? {} : options
    this.ratio = o.ratio ?? DEFAULT_RATIO
    this.minBytes = o.minBytes ?? DEFAULT_MIN_BYTES
    if (!(this.ratio >= 1)) throw new RangeError('compaction.ratio must be at least 1')
    if (!(this.minBytes >= 0)) throw new RangeError('compaction.minBytes must be non-negative')
    this.nextCheck = Math.max(this.minBytes, MIN_CHECK_STEP)
  }

  /** Whether the mirror should compact now. */
  due(probe: CompactionProbe): boolean {
    if (!this.enabled || probe.historyBytes < this.nextCheck) return false
    const history = probe.historyBytes
    // A new epoch starts its history at 0.
    const estimate = this.measured + Math.max(0, history - (history >= this.measuredAt ? this.measuredAt : 0))
    const live = probe.liveBytes()
    let state = estimate
    if (this.passes(estimate, live)) {
      state = probe.stateBytes()
      this.measured = state
      this.measuredAt = history
      if (this.passes(state, live)) return true
    }
    this.nextCheck = history + Math.max(MIN_CHECK_STEP, state / 4)
    return false
  }

  private passes(state: number, live: number): boolean {
    return state > this.minBytes && state > this.ratio * live && state > 2 * this.baseBytes
  }

  /** Notes a compaction (by this copy or adopted from another) and the state it left. */
  compacted(stateBytes: number): void {
    this.baseBytes = stateBytes
    this.measured = stateBytes
    this.measuredAt = 0
    this.nextCheck = Math.max(this.minBytes, MIN_CHECK_STEP, stateBytes / 4)
  }
}
