/** Order statistics of a sample, in the unit of the sample. */
export interface Summary {
  n: number
  min: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

/** Nearest-rank percentile of an ascending array (p in [0, 100]). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** Summary of the finite values (NaN = nothing measured, skipped). */
export function summarize(values: ArrayLike<number>): Summary {
  const finite = Float64Array.from(Array.from(values).filter((v) => Number.isFinite(v))).sort()
  const n = finite.length
  let sum = 0
  for (const v of finite) sum += v
  return {
    n,
    min: n > 0 ? finite[0]! : NaN,
    p50: percentile(finite, 50),
    p90: percentile(finite, 90),
    p99: percentile(finite, 99),
    p999: percentile(finite, 99.9),
    max: n > 0 ? finite[n - 1]! : NaN,
    mean: n > 0 ? sum / n : NaN,
  }
}

/** Index of the first element of ascending `a` that is ≥ v (a.length if none). */
export function lowerBound(a: Float64Array, v: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid]! < v) lo = mid + 1
    else hi = mid
  }
  return lo
}
