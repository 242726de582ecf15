import type { UpdateInspection } from './update-inspect.js'

/** A message that arrived before what it builds on. */
export interface HeldMessage {
  readonly update: Uint8Array
  readonly inspection: UpdateInspection
}

/**
 * Messages that arrived early (out of order, or after a gap), kept until what they build on
 * arrives, so late and reordered delivery still converges. Bounded by bytes; the oldest go first,
 * and a `retran` recovers anything dropped.
 */
export class HeldMessages<H extends HeldMessage = HeldMessage> {
  private items: H[] = []
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.items.length
  }

  /** Holds a message; returns how many older ones were dropped to make room. */
  add(held: H): number {
    const size = held.update.length
    if (size > this.maxBytes) return 1
    this.items.push(held)
    this.bytes += size
    let dropped = 0
    while (this.bytes > this.maxBytes) {
      this.bytes -= this.items.shift()!.update.length
      dropped++
    }
    return dropped
  }

  /** Drops every held message for which `stale` is true. */
  discard(stale: (held: H) => boolean): void {
    const keep: H[] = []
    for (const h of this.items) {
      if (stale(h)) this.bytes -= h.update.length
      else keep.push(h)
    }
    this.items = keep
  }

  /** Removes and returns the first held message for which `ready` is true, if any. */
  takeReady(ready: (held: H) => boolean): H | undefined {
    const i = this.items.findIndex(ready)
    if (i < 0) return undefined
    const [held] = this.items.splice(i, 1)
    this.bytes -= held!.update.length
    return held
  }
}
