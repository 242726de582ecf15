import * as Y from 'yjs'
import { captureItem, type StampedNode } from './stamped-merge.js'
import { kindOf, type StampBook } from './stamps.js'

/*
 * What a copy wrote itself in its current document: the clock ranges of each client id it wrote
 * under (a document writes under one id, which Yjs replaces when a remote update uses it). A resync
 * (docs/integrity.md) replaces the document with a source's, and replays only these writes, those
 * the source has not seen: everything else the copy held came from outside and may be what made it
 * wrong.
 */
export class OwnWrites {
  private readonly ranges = new Map<number, Array<[start: number, end: number]>>()

  /** Notes that this copy wrote `client`'s clocks `start` … `end - 1`. */
  note(client: number, start: number, end: number): void {
    if (end <= start) return
    let list = this.ranges.get(client)
    if (!list) this.ranges.set(client, (list = []))
    const last = list[list.length - 1]
    if (last && last[1] === start) last[1] = end
    else list.push([start, end])
  }

  /** One past the last clock this copy wrote under `client` in the current document (0: none). */
  end(client: number): number {
    const list = this.ranges.get(client)
    return list ? list[list.length - 1]![1] : 0
  }

  /** The client ids this copy wrote under in the current document. */
  clients(): number[] {
    return Array.from(this.ranges.keys())
  }

  /** Forgets everything: the document was replaced. */
  clear(): void {
    this.ranges.clear()
  }

  /** Whether this copy wrote `item` (its last unit: the value) and a source with state vector `seen` lacks it. */
  unseen(item: Y.Item, seen: ReadonlyMap<number, number>): boolean {
    const { client } = item.id
    const clock = item.id.clock + item.length - 1
    if (clock < (seen.get(client) ?? 0)) return false
    return this.ranges.get(client)?.some(([s, e]) => clock >= s && clock < e) ?? false
  }

  /**
   * The values under `map` that this copy wrote and a source with state vector `seen` lacks, with
   * their stamps, and the maps that lead to them (each with its own stamp, so that the values join
   * into the same map where the source holds it). An array edited in place counts by its version
   * entry, which every in-place edit writes.
   */
  capture(book: StampBook, map: Y.Map<unknown>, seen: ReadonlyMap<number, number>): Map<string, StampedNode> {
    const out = new Map<string, StampedNode>()
    for (const [key, item] of map._map) {
      if (this.unseen(item, seen)) {
        out.set(key, captureItem(book, item))
        continue
      }
      if (item.deleted) continue
      const kind = kindOf(item)
      if (kind === 'map') {
        const children = this.capture(book, (item.content as Y.ContentType).type as Y.Map<unknown>, seen)
        if (children.size > 0) out.set(key, { kind, s: book.stampOf(item), floor: book.floorOf(item), children })
      } else if (kind === 'array' && this.editedInPlace(book, item, seen)) out.set(key, captureItem(book, item))
    }
    return out
  }

  private editedInPlace(book: StampBook, item: Y.Item, seen: ReadonlyMap<number, number>): boolean {
    for (const client of this.ranges.keys()) {
      const version = book.versionItem(item, client)
      if (version && this.unseen(version, seen)) return true
    }
    return false
  }
}
