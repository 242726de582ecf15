/** A record's value with object fields sorted at every level: field order is not part of a record (a compacted document lists fields sorted), so tests compare without it. */
export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep)
  if (v === null || typeof v !== 'object') return v
  return Object.entries(v as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, x]) => [k, sortDeep(x)])
}
