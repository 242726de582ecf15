/** Small formatting helpers. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** A stable, readable colour for a peer. */
export function colorFor(seed: string | number): string {
  const text = String(seed)
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  const hue = (h >>> 0) % 360
  return `hsl(${hue} 70% 60%)`
}

export function timeOfDay(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

/** A short preview of a record's other fields for the list. */
export function summary(record: Record<string, unknown>, keyName: string, max = 80): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(record)) {
    if (k === keyName) continue
    const value = v !== null && typeof v === 'object' ? (Array.isArray(v) ? `[${v.length}]` : '{…}') : JSON.stringify(v)
    parts.push(`${k}: ${value}`)
    if (parts.join(' · ').length > max) break
  }
  const text = parts.join(' · ')
  return text.length > max ? `${text.slice(0, max - 1)}…` : text || 'empty'
}
