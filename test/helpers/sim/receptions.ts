// Counts, for every update a writer made, how many times each peer received it, after how many hops
// and when first: from the update frames the simulated network delivers (relays and syncs alike).
import { inspectUpdate } from '../../../core/src/update-inspect.js'
import type { Delivery, SimPeer } from './network.js'

interface Write {
  client: number
  start: number
  at: number
}

interface PeerRecord {
  count: number[]
  first: number[]
  hops: number[]
}

/** Receptions of each write at each peer. */
export class Receptions {
  readonly writes: Write[] = []
  private readonly byClient = new Map<number, number[]>()
  readonly peers = new Map<SimPeer, PeerRecord>()

  private record(p: SimPeer): PeerRecord {
    let r = this.peers.get(p)
    if (!r) this.peers.set(p, (r = { count: [], first: [], hops: [] }))
    return r
  }

  /** A writer made `update` at `at`. */
  wrote(writer: SimPeer, update: Uint8Array, at: number): void {
    for (const [client, range] of inspectUpdate(update).ranges) {
      const i = this.writes.length
      this.writes.push({ client, start: range.start, at })
      let list = this.byClient.get(client)
      if (!list) this.byClient.set(client, (list = []))
      list.push(i)
      const r = this.record(writer)
      r.first[i] = at
      r.hops[i] = 0
      r.count[i] = 0
    }
  }

  /** A frame was delivered; update-carrying frames count as receptions of the writes they hold. */
  delivered(d: Delivery, now: number): void {
    const f = d.frame
    if (f.kind !== 'update' && f.kind !== 'sync-step2') return
    const ranges = inspectUpdate(f.update).ranges
    if (ranges.size === 0) return
    const to = this.record(d.to)
    const from = this.record(d.from)
    for (const [client, range] of ranges) {
      const list = this.byClient.get(client)
      if (!list) continue
      // Writes of one client are in clock order: find the first at or after range.start.
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (this.writes[list[mid]!]!.start < range.start) lo = mid + 1
        else hi = mid
      }
      for (let k = lo; k < list.length; k++) {
        const i = list[k]!
        if (this.writes[i]!.start >= range.end) break
        to.count[i] = (to.count[i] ?? 0) + 1
        if (to.first[i] === undefined) {
          to.first[i] = now
          to.hops[i] = (from.hops[i] ?? NaN) + 1
        }
      }
    }
  }
}
