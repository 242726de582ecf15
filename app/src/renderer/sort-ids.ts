/**
 * Record ids in the order people read them: case-insensitively, runs of digits in numeric order
 * (`lot-2` before `lot-10`). Each id gets one comparable text (digit runs zero-padded), so a sort
 * of 50 000 ids compares plain strings instead of calling the locale collator 800 000 times.
 */
export function sortIds(ids: Iterable<string>): string[] {
  const keyed = Array.from(ids, (id) => [sortText(id), id] as const)
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  return keyed.map((k) => k[1])
}

const DIGITS = /\d+/g

function sortText(id: string): string {
  return id.toLowerCase().replace(DIGITS, (d) => {
    const n = d.replace(/^0+(?=\d)/, '')
    return n.length >= 20 ? n : n.padStart(20, '0')
  })
}

/** Compares [sort text, id] pairs. */
const byText = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0

/**
 * The sorted ids of a room's records, kept up to date from its change events: ids that came or
 * went since the last read are sorted on their own and merged in, so a room that grows by a
 * thousand records at a time (an initial sync) is not sorted whole again on every redraw.
 */
export class SortedIds {
  private entries: Array<readonly [string, string]> = []
  private present = new Set<string>()
  private added = new Set<string>()
  private removed = new Set<string>()
  private cached: string[] | null = null
  private stale = true

  /** Forget everything: the next read sorts `all` afresh (another room). */
  reset(): void {
    this.stale = true
    this.cached = null
    this.added.clear()
    this.removed.clear()
  }

  add(id: string): void {
    if (this.stale) return
    this.removed.delete(id)
    if (!this.present.has(id)) this.added.add(id)
    this.cached = null
  }

  remove(id: string): void {
    if (this.stale) return
    this.added.delete(id)
    if (this.present.has(id)) this.removed.add(id)
    this.cached = null
  }

  /** The ids in order; `all` lists every id when a full sort is due. */
  ids(all: () => Iterable<string>): readonly string[] {
    if (this.stale) {
      const ids = Array.from(all())
      this.entries = ids.map((id) => [sortText(id), id] as const).sort(byText)
      this.present = new Set(ids)
      this.stale = false
      this.cached = null
    }
    if (this.added.size > 0 || this.removed.size > 0) this.merge()
    this.cached ??= this.entries.map((e) => e[1])
    return this.cached
  }

  private merge(): void {
    const fresh = Array.from(this.added, (id) => [sortText(id), id] as const).sort(byText)
    const removed = this.removed
    const out: Array<readonly [string, string]> = []
    let i = 0
    let j = 0
    const old = this.entries
    while (i < old.length || j < fresh.length) {
      if (j >= fresh.length || (i < old.length && byText(old[i]!, fresh[j]!) <= 0)) {
        const e = old[i++]!
        if (!removed.has(e[1])) out.push(e)
      } else out.push(fresh[j++]!)
    }
    for (const id of removed) this.present.delete(id)
    for (const id of this.added) this.present.add(id)
    this.entries = out
    this.added.clear()
    this.removed.clear()
  }
}
