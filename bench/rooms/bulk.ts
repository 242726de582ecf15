import { median } from '../report.js'
import type { BulkRun } from './config.js'

/** MB/s of the raw channel's bulk runs: the median, the first (a warm-up) left out. */
export function bulkRate(runs: readonly BulkRun[]): number {
  return median((runs.length > 1 ? runs.slice(1) : runs).map((b) => b.mbPerSec))
}
