import * as Y from 'yjs'
import { generationOf } from './epoch.js'
import { coversDeletes, coversInserts, type Cut } from './cut.js'
import { isPlainObject, type JsonObject, type JsonValue } from './json.js'
import { materialize } from './materialize.js'
import { reconcileArray, sameValue, toMirror } from './reconcile.js'

/** One field-level change of a local write: the value a path got, or its deletion. */
export type JournalOp = { path: string[]; value: JsonValue } | { path: string[]; deleted: true }

/** One local transaction: what it inserted and deleted (to test against a cut) and its field changes. */
export interface JournalEntry {
  epoch: number
  client: number
  /** Clock range `[from, to)` of the structs it inserted. */
  from: number
  to: number
  /** Deleted ranges as client, clock, length. */
  deletes: Array<[number, number, number]>
  ops: JournalOp[]
}

/**
 * The local writes a copy made in its last few generations of epochs, at field level. When the copy moves to an
 * epoch that another copy compacted, the writes that epoch's cut does not cover are replayed onto
 * it as new writes, so edits made offline or in a partition survive a compaction they missed.
 */
export class Journal {
  private entries: JournalEntry[] = []
  /**
   * Per epoch and path, the entry holding the newest change. An older change to the same path in
   * the same epoch is dropped: if a cut covers the newer write it covers the older one (a client's
   * clocks only grow), and if not, the copy no longer holds the older value. So the journal follows
   * the paths written, not the number of writes.
   */
  private readonly latest = new Map<string, JournalEntry>()
  private emptied = 0

  get size(): number {
    return this.entries.length - this.emptied
  }

  /** All entries with changes left, oldest first (for persistence). */
  all(): readonly JournalEntry[] {
    this.sweep()
    return this.entries
  }

  add(entry: JournalEntry): void {
    if (entry.ops.length === 0) return
    for (const op of entry.ops) {
      const path = JSON.stringify(op.path)
      const key = `${entry.epoch}\u0000${path}`
      const previous = this.latest.get(key)
      this.latest.set(key, entry)
      if (!previous || previous === entry) continue
      previous.ops = previous.ops.filter((o) => JSON.stringify(o.path) !== path)
      if (previous.ops.length === 0) this.emptied++
    }
    this.entries.push(entry)
    if (this.emptied > 256 && this.emptied * 2 > this.entries.length) this.sweep()
  }

  /** Puts back entries loaded from a store, before those noted since. */
  restore(entries: readonly JournalEntry[]): void {
    const since = this.entries
    this.entries = []
    this.latest.clear()
    this.emptied = 0
    for (const e of entries) this.add({ ...e, ops: e.ops.slice() })
    for (const e of since) if (e.ops.length > 0) this.add(e)
  }

  /** Drops entries whose every change was superseded, and forgets paths of entries gone. */
  private sweep(): void {
    if (this.emptied === 0) return
    this.entries = this.entries.filter((e) => e.ops.length > 0)
    this.emptied = 0
    this.forgetGone()
  }

  private forgetGone(): void {
    const kept = new Set(this.entries)
    for (const [k, e] of this.latest) if (!kept.has(e)) this.latest.delete(k)
  }

  /** Notes a local transaction of `root`'s document in epoch `epoch`; returns the entry, or null. */
  record(tr: Y.Transaction, root: Y.Map<unknown>, epoch: number): JournalEntry | null {
    const client = tr.doc.clientID
    const deletes: Array<[number, number, number]> = []
    for (const [c, items] of tr.deleteSet.clients) for (const i of items) deletes.push([c, i.clock, i.len])
    const ops = new Map<string, JournalOp>()
    for (const [type, keys] of tr.changed) {
      const base = pathOf(type as Y.AbstractType<unknown>, root)
      if (base === null) continue
      if (base.kind === 'array') {
        const target = base.target
        ops.set(JSON.stringify(base.path), { path: base.path, value: materialize(target) })
        continue
      }
      for (const k of keys) {
        if (k === null) continue
        const path = [...base.path, k]
        const map = type as unknown as Y.Map<unknown>
        ops.set(JSON.stringify(path), map.has(k) ? { path, value: materialize(map.get(k)) } : { path, deleted: true })
      }
    }
    const entry: JournalEntry = {
      epoch,
      client,
      from: tr.beforeState.get(client) ?? 0,
      to: tr.afterState.get(client) ?? 0,
      deletes,
      ops: Array.from(ops.values()),
    }
    if (entry.ops.length === 0) return null
    this.add(entry)
    return entry
  }

  /** Drops these entries (replayed: their replay is an entry of the new epoch now). */
  remove(entries: readonly JournalEntry[]): void {
    const gone = new Set(entries)
    this.entries = this.entries.filter((e) => !gone.has(e) && e.ops.length > 0)
    this.emptied = 0
    this.forgetGone()
  }

  /** Keeps only the entries of epochs of generation `generation` or later. */
  retainFrom(generation: number): void {
    this.entries = this.entries.filter((e) => generationOf(e.epoch) >= generation && e.ops.length > 0)
    this.emptied = 0
    this.forgetGone()
  }

  /**
   * The writes to replay on a move to a new epoch whose recent history is `lineage` (each
   * compaction that led to it, with its cut): an entry of an epoch that one of those compactions
   * left is replayed unless its cut covers it; an entry of an epoch outside the lineage (a branch
   * that lost, or beyond what the lineage remembers) is replayed where its value differs.
   */
  pending(lineage: readonly LineageStep[]): JournalEntry[] {
    const left = new Map<number, Cut>()
    for (const step of lineage) left.set(step.parent, step.cut)
    return this.entries.filter((e) => {
      if (e.ops.length === 0) return false
      const cut = left.get(e.epoch)
      if (!cut) return true
      return !(coversInserts(cut, e.client, e.from, e.to) && coversDeletes(cut, e.deletes))
    })
  }
}

/** One compaction in an epoch's history: from epoch `parent` to `epoch`, and what `parent` held then. */
export interface LineageStep {
  epoch: number
  parent: number
  cut: Cut
}

/**
 * Replays field changes onto a root map, inside the caller's transaction. A change under a path that
 * no longer leads to a map (its record deleted, an object replaced by a scalar) is dropped, as Yjs
 * drops a concurrent write into a deleted map. Returns how many changes were written.
 */
export function replay(
  root: Y.Map<unknown>,
  ops: readonly JournalOp[],
  stillHeld: (op: JournalOp) => boolean = () => true,
): number {
  let written = 0
  for (const op of ops) {
    // A write this copy saw replaced since (by a later write it received) is not replayed.
    if (!stillHeld(op)) continue
    let parent: Y.Map<unknown> = root
    let ok = true
    for (let i = 0; i < op.path.length - 1; i++) {
      const next = parent.get(op.path[i]!)
      if (!(next instanceof Y.Map)) {
        ok = false
        break
      }
      parent = next
    }
    if (!ok) continue
    const k = op.path[op.path.length - 1]!
    const current = parent.get(k)
    if ('deleted' in op) {
      if (parent.has(k)) {
        parent.delete(k)
        written++
      }
      continue
    }
    if (parent.has(k) && sameValue(current, op.value)) continue
    // An object written whole (a record created, a nested object set) merges field by field: fields
    // others added since are theirs, and a later local change of a field has an entry of its own.
    if (current instanceof Y.Map && isPlainObject(op.value)) mergeMap(current, op.value)
    else if (current instanceof Y.Array && Array.isArray(op.value)) reconcileArray(current, op.value)
    else parent.set(k, toMirror(op.value))
    written++
  }
  return written
}

/** Sets every field of `value` in `map`, recursively, deleting none. */
function mergeMap(map: Y.Map<unknown>, value: JsonObject): void {
  for (const k of Object.keys(value)) {
    const v = value[k]
    if (v === undefined) continue
    const current = map.get(k)
    if (map.has(k) && sameValue(current, v)) continue
    if (current instanceof Y.Map && isPlainObject(v)) mergeMap(current, v)
    else map.set(k, toMirror(v))
  }
}

/**
 * Where a changed type sits under the root: a path of map keys, or — when an array lies on the way,
 * whose indexes shift under concurrent edits — the path of the outermost such array, rewritten whole.
 */
function pathOf(
  type: Y.AbstractType<unknown>,
  root: Y.Map<unknown>,
): { kind: 'map'; path: string[] } | { kind: 'array'; path: string[]; target: Y.AbstractType<unknown> } | null {
  if (type === root) return { kind: 'map', path: [] }
  const steps: string[] = []
  let arrayAt: Y.AbstractType<unknown> | null = type instanceof Y.Array ? (type as Y.AbstractType<unknown>) : null
  let t: Y.AbstractType<unknown> = type
  for (;;) {
    const item = t._item
    if (item === null || item.deleted) return null
    const parent = item.parent
    if (!(parent instanceof Y.AbstractType)) return null
    if (item.parentSub === null) {
      // inside an array: the array becomes the unit of change
      arrayAt = parent as Y.AbstractType<unknown>
      steps.length = 0
      t = parent as Y.AbstractType<unknown>
      continue
    }
    steps.push(item.parentSub)
    if (parent === root) break
    t = parent as Y.AbstractType<unknown>
  }
  steps.reverse()
  if (arrayAt) return { kind: 'array', path: steps, target: arrayAt }
  return { kind: 'map', path: steps }
}
