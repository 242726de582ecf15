// Virtual time for the room simulator: one event queue for the whole network, and a clock per peer
// that can be frozen (a SIGSTOPped process: its timers fire late, all at once, when it wakes).
import type { ReplicaClock } from '../../../core/src/net/replica-link.js'

interface Event {
  at: number
  seq: number
  fn: () => void
  live: boolean
}

/** A binary heap of events by time, then by insertion order: runs are reproducible. */
export class EventQueue {
  private heap: Event[] = []
  private seq = 0
  now = 0

  at(time: number, fn: () => void): { cancel(): void } {
    const e: Event = { at: Math.max(time, this.now), seq: this.seq++, fn, live: true }
    this.push(e)
    return { cancel: () => (e.live = false) }
  }

  after(ms: number, fn: () => void): { cancel(): void } {
    return this.at(this.now + ms, fn)
  }

  /** Runs events until the queue is empty or the next one is after `until`; returns how many ran. */
  runUntil(until: number, limit = 50_000_000): number {
    let n = 0
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const e = this.pop()
      if (!e.live) continue
      this.now = e.at
      e.fn()
      if (++n >= limit) throw new Error(`more than ${limit} events before t = ${until}`)
    }
    this.now = Math.max(this.now, until)
    return n
  }

  get pending(): number {
    return this.heap.length
  }

  private push(e: Event): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  private pop(): Event {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l]!, h[m]!)) m = l
        if (r < h.length && before(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * One peer's view of time. While frozen, its timers and the work handed to it (`run`) wait; on
 * thawing they run in order, with the clock showing the real (later) time, as after SIGCONT.
 */
export class PeerClock implements ReplicaClock {
  private frozen = false
  private backlog: Array<() => void> = []
  /** False once the peer is gone: nothing of it runs any more. */
  alive = true

  constructor(private readonly queue: EventQueue) {}

  now(): number {
    return this.queue.now
  }

  later(fn: () => void, ms: number): { cancel(): void } {
    let live = true
    const event = this.queue.after(ms, () => {
      if (live) this.run(fn)
    })
    return {
      cancel: () => {
        live = false
        event.cancel()
      },
    }
  }

  /** Runs `fn` as this peer's work now, or when it thaws. */
  run(fn: () => void): void {
    if (!this.alive) return
    if (this.frozen) this.backlog.push(fn)
    else fn()
  }

  get isFrozen(): boolean {
    return this.frozen
  }

  freeze(): void {
    this.frozen = true
  }

  thaw(): void {
    this.frozen = false
    const work = this.backlog
    this.backlog = []
    for (const fn of work) if (this.alive && !this.frozen) fn()
  }
}
