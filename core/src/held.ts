import type { DataMsg } from './data-msg.js'
import type { UpdateInspection } from './update-inspect.js'

/** A message that arrived before what it builds on. */
export interface HeldMessage {
  readonly msg: DataMsg
  readonly inspection: UpdateInspection
}

/**
 * Messages that arrived early (out of order, or after a gap), kept until what they build on
 * arrives, so late and reordered delivery still converges. Bounded by bytes; the oldest go first,
 * and a `retran` recovers anything dropped.
 */
export class HeldMessages {
  private items: HeldMessage[] = []
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.items.length
  }

  /** Holds a message; returns how many older ones were dropped to make room. */
  add(held: HeldMessage): number {
    const size = held.msg.update.length
    if (size > this.maxBytes) return 1
    this.items.push(held)
    this.bytes += size
    let dropped = 0
    while (this.bytes > this.maxBytes) {
      this.bytes -= this.items.shift()!.msg.update.length
      dropped++
    }
    return dropped
  }

  /** Removes and returns the first held message for which `ready` is true, if any. */
  takeReady(ready: (held: HeldMessage) => boolean): HeldMessage | undefined {
    const i = this.items.findIndex(ready)
    if (i < 0) return undefined
    const [held] = this.items.splice(i, 1)
    this.bytes -= held!.msg.update.length
    return held
  }
}
