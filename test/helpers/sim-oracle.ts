// The causal oracle of the simulated network (sim-net.ts): it records every write, field removal
// and record deletion with what its writer had seen, learning what each peer has seen from the
// dict it holds, and checks the invariant (docs/compaction.md): every write is in the final dict
// unless a write, removal or deletion its writer had not seen (a later or concurrent one) replaced
// it; and no value comes back that a write, removal or deletion which had seen it replaced.
import type { JsonObject } from '../../core/src/json.js'

/** A write (`value` a string), a field's removal (`value` null) or a record's deletion (`field` null). */
export interface SimEvent {
  id: number
  peer: number
  rec: string
  field: string | null
  value: string | null
  /** Every event the writer had seen when it wrote. */
  knew: ReadonlySet<number>
  /** For a removal or deletion: the stamp of the tombstone it wrote, which tells who has seen it. */
  stamp?: string
  /** Whether a copy that follows the invariant accepted it (writes of y-webrtc-like peers may never reach one). */
  accepted: boolean
  /** Written by a peer that cannot follow epochs (y-webrtc-like): its deletions are native `Y.Map.delete`s. */
  native: boolean
}

/** The dict as one peer holds it, and the stamp (as `l.w`) of the tombstone at a path, when it can tell. */
export interface PeerView {
  records: Iterable<string>
  read(rec: string): JsonObject | undefined
  tombstoneAt(path: string[]): string | null
}

export function describeEvent(e: SimEvent): string {
  const what =
    e.field === null ? `delete ${e.rec}` : e.value === null ? `remove ${e.rec}/${e.field}` : `${e.rec}/${e.field} = ${e.value}`
  return `#${e.id} (peer ${e.peer}: ${what})`
}

export class SimOracle {
  readonly events: SimEvent[] = []
  /** Per peer, every event it has seen (its value, or its effect, was in its copy at some point, or
   * a value it held had replaced it at the same key). */
  private readonly seen = new Map<number, Set<number>>()
  /** Per peer and record, the events visible in the record when the peer last held it. */
  private readonly lastHeld = new Map<number, Map<string, Set<number>>>()
  /** Per peer and `record/field`, the event whose value the peer last saw there. */
  private readonly lastValue = new Map<number, Map<string, number>>()

  constructor(private readonly fields: readonly string[]) {}

  private of<T>(m: Map<number, T>, p: number, make: () => T): T {
    let v = m.get(p)
    if (!v) m.set(p, (v = make()))
    return v
  }

  seenBy(p: number): Set<number> {
    return this.of(this.seen, p, () => new Set())
  }

  /**
   * Peer p starts over with an empty document: what it writes from here on builds on what its new
   * document holds, not on what it saw before (docs/compaction.md: a y-webrtc peer rejoins empty).
   */
  startOver(p: number): void {
    this.seen.delete(p)
    this.lastHeld.delete(p)
    this.lastValue.delete(p)
  }

  /**
   * What peer p has seen since it last looked: the events whose values are in its copy (and what
   * their writers had seen), the deletions of records it held that are gone, and the removals of
   * fields that are gone (both known by the stamp of the tombstone it holds).
   */
  observe(p: number, view: PeerView): void {
    const seen = this.seenBy(p)
    const held = this.of(this.lastHeld, p, () => new Map<string, Set<number>>())
    const values = this.of(this.lastValue, p, () => new Map<string, number>())
    // Holding a value means holding what it replaced at its key (a Yjs item depends on the item it
    // overwrote, and a record on the tombstone or record before it), not everything its writer had
    // seen: updates of different writers travel different broadcast trees and arrive in any order.
    const learn = (id: number): void => {
      if (seen.has(id)) return
      seen.add(id)
      const e = this.events[id]!
      for (const k of e.knew) {
        const o = this.events[k]!
        if (o.rec === e.rec && (o.field === e.field || o.field === null || e.field === null)) learn(k)
      }
    }
    const byStamp = (path: string[]): SimEvent | undefined => {
      const s = view.tombstoneAt(path)
      return s === null ? undefined : this.events.find((e) => e.stamp === s)
    }
    const ids = new Set<string>(held.keys())
    for (const id of view.records) ids.add(id)
    for (const rec of ids) {
      const record = view.read(rec)
      const before = held.get(rec)
      if (!record) {
        if (before) {
          const d = byStamp([rec])
          if (d) learn(d.id)
        }
        held.delete(rec)
        for (const field of this.fields) values.delete(`${rec}/${field}`)
        continue
      }
      const visible = new Set<number>()
      for (const field of this.fields) {
        const slot = `${rec}/${field}`
        const v = record[field]
        if (typeof v === 'string' && v.startsWith('e')) {
          const id = Number(v.slice(1))
          visible.add(id)
          learn(id)
          values.set(slot, id)
        } else if (v === undefined && values.has(slot)) {
          const r = byStamp([rec, field])
          if (r) learn(r.id)
          values.delete(slot)
        }
      }
      held.set(rec, visible)
    }
  }

  /** A new event by peer p (call `observe` first); its own removal or deletion teaches it nothing more. */
  record(p: number, rec: string, field: string | null, value: string | null, native = false): SimEvent {
    const e: SimEvent = {
      id: this.events.length,
      peer: p,
      rec,
      field,
      value,
      knew: new Set(this.seenBy(p)),
      accepted: !native,
      native,
    }
    this.events.push(e)
    this.seenBy(p).add(e.id)
    if (value === null) {
      if (field === null) {
        this.lastHeld.get(p)?.delete(rec)
        for (const f of this.fields) this.lastValue.get(p)?.delete(`${rec}/${f}`)
      } else this.lastValue.get(p)?.delete(`${rec}/${field}`)
    }
    return e
  }

  /** Whether a creation of `rec` by peer p did not see another creation still in play. */
  concurrentCreation(p: number, rec: string): boolean {
    const seen = this.seenBy(p)
    return this.events.some((e) => e.rec === rec && e.field !== null && e.value !== null && e.peer !== p && !seen.has(e.id))
  }

  /** The first violation of the invariant in `final`, or null. */
  check(final: Record<string, unknown>): string | null {
    const touches = (w: SimEvent) => (r: SimEvent) =>
      r.id !== w.id && r.rec === w.rec && (r.field === w.field || r.field === null)
    for (const w of this.events) {
      if (w.field === null || w.value === null) continue
      const now = (final[w.rec] as JsonObject | undefined)?.[w.field]
      if (now === w.value) {
        // A write a legacy peer lost before any replica accepted it replaced nothing; and a native
        // delete of a record removes what the deleting peer held of it, not fields DiffStream had
        // already joined into a record created at once elsewhere (docs/compaction.md, "Known limits").
        const killer = this.events.find(
          (r) => touches(w)(r) && r.accepted && r.knew.has(w.id) && !(r.native && r.field === null),
        )
        if (killer) return `${w.rec}/${w.field} is ${w.value}, which event ${describeEvent(killer)} had seen and replaced`
        continue
      }
      if (!w.accepted) continue
      if (!this.events.some((r) => touches(w)(r) && !w.knew.has(r.id)))
        return `lost write: ${describeEvent(w)}; ${w.rec}/${w.field} is ${JSON.stringify(now ?? null)} and nothing its writer had not seen replaced it`
    }
    return null
  }
}
