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
 * and `minBytes`. Measuring the state costs a full encode, so it is measured only when the state
 * measured last, plus the history accepted since at the rate the state followed the history before
 * (deleted content shrinks to tombstones, so the state grows slower than the history), could pass
 * the threshold — and at the latest after the history grew by a quarter of the state, which bounds
 * how far past the threshold the state can get. Usually one or two encodes per compaction.
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
  /** How much of the history stayed in the state between the last two measures (1 until known). */
  private rate = 1

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
    const grown = history - this.measuredAt
    const live = probe.liveBytes()
    // What the state should be at the rate it grew before (a little above, to measure it early).
    const rate = Math.min(1, this.rate * 1.25)
    if (!this.passes(this.measured + grown * rate, live)) {
      this.nextCheck = history + Math.max(MIN_CHECK_STEP, (this.threshold(live) - this.measured) / rate - grown)
      return false
    }
    const state = probe.stateBytes()
    if (this.passes(state, live)) return true
    // Deleted content shrinks to a tombstone, so the state grows slower than the history: check
    // again when it should pass at the rate it grew, and no later than a quarter of it on.
    if (grown > 0) this.rate = Math.min(1, Math.max(0.05, (state - this.measured) / grown))
    this.measured = state
    this.measuredAt = history
    const toGo = (this.threshold(live) - state) / this.rate
    this.nextCheck = history + Math.max(MIN_CHECK_STEP, Math.min(toGo, state / 4))
    return false
  }

  /** The state above which a compaction is due. */
  private threshold(live: number): number {
    return Math.max(this.minBytes, this.ratio * live, 2 * this.baseBytes)
  }

  private passes(state: number, live: number): boolean {
    return state > this.threshold(live)
  }

  /** Notes a compaction (by this copy or adopted from another) and the state it left. */
  compacted(stateBytes: number): void {
    this.baseBytes = stateBytes
    this.measured = stateBytes
    this.measuredAt = 0
    this.nextCheck = Math.max(this.minBytes, MIN_CHECK_STEP, stateBytes / 4)
  }
}
