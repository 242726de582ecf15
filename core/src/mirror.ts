import * as Y from 'yjs'
import { assertJson, isPlainObject, type JsonObject, type JsonValue } from './json.js'
import { UnsupportedValueError } from './errors.js'
import { isKey, keyId, type Key } from './keys.js'
import { planMap, planPatch, toMirror, type Edit } from './reconcile.js'
import { buildBaseDoc } from './base-doc.js'
import type { Digest } from './hash.js'
import { generationOf } from './epoch.js'
import { Journal, replay, type JournalEntry, type JournalOp, type LineageStep } from './journal.js'
import { RecordViews } from './record-views.js'
import { RecoveryPoint } from './recovery-point.js'
import { StateFingerprint } from './state-fingerprint.js'
import type { UpdateInspection } from './update-inspect.js'

import { ROOT_NAME } from './root.js'

export { ROOT_NAME }

/** How a record changed in one transaction. */
export type RecordChange = 'new' | 'upd' | 'del'

/** How many compactions an epoch's lineage remembers, and how many generations the journal keeps. */
export const LINEAGE_STEPS = 8

/** The origin of updates loaded from a store. */
export const STORED_ORIGIN = Symbol('diffstream-stored')

/** The origin of the changes a move to another epoch makes. */
export const EPOCH_ORIGIN = Symbol('diffstream-epoch')

/** A fresh random Yjs client id: each epoch's document writes under a new one. */
function freshClientId(): number {
  return (Math.random() * 0x100000000) >>> 0
}

/** Where a persistent mirror reports what it must store (see store/persistence.ts). */
export interface MirrorSink {
  /** An update the document accepted (local or remote). */
  update(update: Uint8Array): void
  /** A local write the journal noted. */
  journal(entry: JournalEntry): void
  /** The document moved to another epoch: store a fresh snapshot. */
  epoch(): void
}

/** Called after each transaction with the records it changed. */
export type MirrorListener = (changes: Map<string, RecordChange>, origin: unknown, local: boolean) => void

/**
 * The Yjs document that mirrors the dict: root map `diffstream`, one Y.Map per record, nested
 * Y.Map/Y.Array for objects and arrays. It writes plain values as minimal changes, reads records
 * back as plain values (cached until the record changes) and reports which records each
 * transaction touched. Nothing outside holds on to its Y.Doc, so it can be replaced — which a
 * `recoverable` mirror does to undo an update it should not have accepted (see `restore`).
 */
export class Mirror {
  private current!: Y.Doc
  private map!: Y.Map<unknown>
  private state!: StateFingerprint
  /** Plain values and checksums of the records, rebuilt where a transaction changed them. */
  readonly views = new RecordViews()
  private readonly present = new Set<string>()
  private readonly listeners = new Set<MirrorListener>()
  private captured: Uint8Array | null = null
  /** Changes of an update being tried, announced once it is accepted. */
  private deferred: Array<[Map<string, RecordChange>, Y.Transaction]> | null = null
  private recovery: RecoveryPoint | null
  private readonly recoverable: boolean
  private currentEpoch = 0
  /** Update bytes accepted in this epoch: what the history weighs, for the compaction policy. */
  private accepted = 0
  /** Local writes of this epoch and the one before, when the mirror journals (see Journal). */
  readonly journal: Journal | null

  /** Whether lost concurrent creations are repaired (needs a way to send the repair at once). */
  private readonly repairs: boolean

  constructor(options: { doc?: Y.Doc; recoverable?: boolean; journal?: boolean; repairCreations?: boolean } = {}) {
    this.repairs = options.repairCreations ?? false
    const doc = options.doc ?? new Y.Doc()
    this.recoverable = options.recoverable ?? false
    this.recovery = this.recoverable ? new RecoveryPoint(doc) : null
    this.journal = options.journal ? new Journal() : null
    this.bind(doc)
  }

  /** The epoch the current document belongs to (0 until the first compaction). */
  get epoch(): number {
    return this.currentEpoch
  }

  /** Update bytes accepted since this epoch began. */
  get historyBytes(): number {
    return this.accepted
  }

  /** The current document. It is replaced by `restore`, so do not keep it. */
  get doc(): Y.Doc {
    return this.current
  }

  get root(): Y.Map<unknown> {
    return this.map
  }

  private bind(doc: Y.Doc, state?: StateFingerprint): void {
    this.current = doc
    this.map = doc.getMap(ROOT_NAME)
    this.state = state ?? new StateFingerprint(doc)
    this.present.clear()
    for (const id of this.map.keys()) this.present.add(id)
    doc.on('afterTransaction', (tr: Y.Transaction) => this.afterTransaction(tr))
  }

  /** Notes an update the document holds as accepted, so that `restore` keeps it. */
  private accept(update: Uint8Array): void {
    this.accepted += update.length
    this.recovery?.record(update, this.current)
    if (!this.switching) this.sink?.update(update)
  }

  /** Receives what must be stored, when the mirror is persistent. */
  sink: MirrorSink | null = null
  private switching = false

  /** Bytes of the whole encoded state (what a newcomer's catch-up costs). */
  stateBytes(): number {
    return this.diff().length
  }

  /** Bytes of the live records as JSON. */
  liveBytes(): number {
    let n = 0
    for (const item of this.map._map.values())
      if (!item.deleted) n += this.views.digest(item.content.getContent()[item.length - 1]).bytes
    return n
  }

  /** Every record as a plain value (shared: do not mutate). */
  entries(): Array<[string, JsonValue]> {
    return Array.from(this.map.keys(), (id) => [id, this.read(id)!])
  }

  /**
   * Moves to epoch `epoch` by compacting: a fresh document holding only the live records, built so
   * that every copy holding the same records builds the same bytes (see base-doc.ts).
   */
  compact(epoch: number): void {
    const doc = buildBaseDoc(this.entries(), epoch)
    // The base holds every local write already: nothing to replay.
    this.switchTo(doc, epoch, null)
  }

  /**
   * Moves to epoch `epoch` from an update that holds its whole base (checked by the caller). Throws,
   * changing nothing, when Yjs refuses it. Local writes the new epoch lacks are replayed onto it
   * (see Journal.pending for how `lineage` tells which).
   */
  adopt(
    update: Uint8Array,
    epoch: number,
    lineage: readonly LineageStep[],
    verify?: (root: Y.Map<unknown>, fingerprint: number) => void,
  ): void {
    const doc = new Y.Doc()
    doc.clientID = freshClientId()
    let state: StateFingerprint | undefined
    try {
      state = new StateFingerprint(doc)
      Y.applyUpdate(doc, update)
      verify?.(doc.getMap(ROOT_NAME), state.value())
    } catch (err) {
      doc.destroy()
      throw err
    }
    // The update is the new document's whole state: its recovery point starts from it, not from an encode.
    this.switchTo(doc, epoch, lineage, state, update)
  }

  private switchTo(
    doc: Y.Doc,
    epoch: number,
    lineage: readonly LineageStep[] | null,
    state?: StateFingerprint,
    snapshot?: Uint8Array,
  ): void {
    const before = new Map(this.entries())
    const pending = this.journal && lineage ? this.journal.pending(lineage) : []
    this.switching = true
    try {
      this.moveTo(doc, epoch, pending, before, state, snapshot)
    } finally {
      this.switching = false
    }
    this.sink?.epoch()
  }

  private moveTo(
    doc: Y.Doc,
    epoch: number,
    pending: JournalEntry[],
    before: Map<string, JsonValue>,
    state: StateFingerprint | undefined,
    snapshot: Uint8Array | undefined,
  ): void {
    const old = this.current
    doc.clientID = freshClientId()
    this.created.clear()
    this.lostCreations.clear()
    this.bind(doc, state)
    old.destroy()
    this.currentEpoch = epoch
    this.accepted = 0
    this.recovery = this.recoverable ? new RecoveryPoint(doc, snapshot) : null
    // A lineage remembers LINEAGE_STEPS compactions: older entries could not be tested any more.
    this.journal?.retainFrom(generationOf(epoch) - LINEAGE_STEPS + 1)
    const changes = new Map<string, RecordChange>()
    for (const [id, value] of before) {
      const now = this.read(id)
      if (now === undefined) changes.set(id, 'del')
      else if (!sameJson(now, value)) changes.set(id, 'upd')
    }
    for (const id of this.map.keys()) if (!before.has(id)) changes.set(id, 'new')
    if (changes.size > 0) for (const listener of this.listeners) listener(changes, EPOCH_ORIGIN, false)
    if (pending.length > 0) {
      const update = this.capture(EPOCH_ORIGIN, () => {
        for (const entry of pending) replay(this.map, entry.ops, (op) => heldBefore(before, op))
      })
      // Replayed (or found overwritten) once: the replay is an entry of this epoch from now on, so
      // a later move does not replay the old write over what others wrote on top of the replay.
      this.journal?.remove(pending)
      this.replayed = update
    }
  }

  /**
   * The update the last epoch move (or a repaired concurrent creation) wrote to replay local writes,
   * once; others must receive it.
   */
  takeReplayed(): Uint8Array | null {
    const out = this.replayed
    this.replayed = null
    return out
  }

  private replayed: Uint8Array | null = null

  /**
   * Goes back to the last accepted state, undoing whatever was applied since, without change
   * events (listeners never heard of a state that was not accepted). Needs `recoverable: true`.
   */
  private restore(): void {
    if (!this.recovery) throw new Error('this mirror keeps no recovery point')
    const old = this.current
    let state: StateFingerprint | undefined
    // The fingerprint follows the rebuild, so it counts the accepted deletions exactly once.
    const doc = this.recovery.rebuild(old.clientID, (fresh) => (state = new StateFingerprint(fresh)))
    old.destroy()
    this.bind(doc, state)
  }

  get size(): number {
    return this.root.size
  }

  has(id: string): boolean {
    return this.root.has(id)
  }

  ids(): IterableIterator<string> {
    return this.root.keys()
  }

  /** The mirror value of a record (a Y.Map for objects), or undefined. */
  raw(id: string): unknown {
    return this.root.get(id)
  }

  /** The key as record `id` holds it in its `keyName` field (a number stays a number), else the id. */
  keyOf(id: string, keyName: string): Key {
    const record = this.root.get(id)
    if (record instanceof Y.Map) {
      const key: unknown = record.get(keyName)
      if (isKey(key) && keyId(key) === id) return key
    }
    return id
  }

  /** The record as a plain value. The same object is returned until the record changes: do not mutate it. */
  read(id: string): JsonValue | undefined {
    if (!this.map.has(id)) return undefined
    return this.views.plain(this.map.get(id))
  }

  /** The checksum and JSON size of a record (docs/wire.md), or undefined. */
  digest(id: string): Digest | undefined {
    if (!this.map.has(id)) return undefined
    return this.views.digest(this.map.get(id))
  }

  /** Local clock of `client`: how many of its structs this document has. */
  clock(client: number): number {
    return Y.getState(this.doc.store, client)
  }

  /**
   * Whether this document already holds everything an update carries: every insert (its clocks
   * are below ours) and every delete (those items are deleted here). A relayed duplicate is then
   * skipped before Yjs parses it again.
   */
  holdsAll(inspection: UpdateInspection): boolean {
    for (const [client, range] of inspection.ranges) if (range.end > this.clock(client)) return false
    const d = inspection.deletes
    for (let i = 0; i < d.length; i += 3) if (!this.allDeleted(d[i]!, d[i + 1]!, d[i + 2]!)) return false
    return true
  }

  private allDeleted(client: number, clock: number, len: number): boolean {
    if (len === 0) return true
    const structs = this.doc.store.clients.get(client)
    if (!structs || clock + len > this.clock(client)) return false
    for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
      const struct = structs[i]!
      if (struct.id.clock >= clock + len) break
      if (!struct.deleted) return false
    }
    return true
  }

  /** A 32-bit fingerprint of the whole state (inserts and deletes): equal states, equal prints. */
  fingerprint(): number {
    return this.state.value()
  }

  encodeStateVector(): Uint8Array {
    return Y.encodeStateVector(this.doc)
  }

  /** Everything a document with state vector `sv` lacks (everything when no vector). */
  diff(sv?: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, sv)
  }

  /**
   * Makes the record `id` equal `value` in one transaction. Returns the update bytes, or null when
   * nothing changed. Throws `UnsupportedValueError`, changing nothing, when what it would write is
   * not JSON (see reconcile.ts: the parts equal to the mirror's need no check).
   */
  write(id: string, value: JsonObject, origin: unknown): Uint8Array | null {
    const current = this.map.get(id)
    if (current instanceof Y.Map) {
      const edits = planMap(current, value, (node) => this.views.plain(node))
      if (edits.length === 0) return null
      return this.capture(origin, () => {
        for (const edit of edits) edit()
      })
    }
    assertJson(value)
    return this.capture(origin, () => this.map.set(id, toMirror(value)))
  }

  /**
   * The edits that apply `patch` to the record `id` (see reconcile.ts), checked and found without
   * writing; `edit` applies them. Throws `UnsupportedValueError` when a value is not JSON.
   */
  planPatch(id: string, patch: JsonObject): Edit[] {
    const current = this.map.get(id)
    if (!(current instanceof Y.Map)) throw new UnsupportedValueError(`record ${JSON.stringify(id)} is not an object`)
    return planPatch(current, patch, (node) => this.views.plain(node))
  }

  /**
   * Applies edits planned against the current document (see reconcile.ts `planPatch`) in one
   * transaction. Returns the update bytes, or null when there were none.
   */
  edit(edits: readonly Edit[], origin: unknown): Uint8Array | null {
    if (edits.length === 0) return null
    return this.capture(origin, () => {
      for (const edit of edits) edit()
    })
  }

  /** Deletes the record `id`. Returns the update bytes, or null when there was no such record. */
  remove(id: string, origin: unknown): Uint8Array | null {
    if (!this.root.has(id)) return null
    return this.capture(origin, () => this.root.delete(id))
  }

  /**
   * Puts a stored state in place: merged into the current document when it is of this epoch,
   * otherwise adopted as epoch `epoch` (writes made before loading are replayed onto it).
   */
  restoreStored(state: Uint8Array, epoch: number, lineage: readonly LineageStep[]): void {
    if (epoch === this.currentEpoch) this.applyStored(state)
    else this.adopt(state, epoch, lineage)
  }

  /** Applies stored updates of the current epoch (a trusted source, checked all the same). */
  applyStored(update: Uint8Array): void {
    this.tryApply(update, STORED_ORIGIN)
  }

  /**
   * Applies a (checked) Yjs update, then runs `verify`. If Yjs or `verify` throws, the mirror goes
   * back to its last accepted state and the error is rethrown; listeners hear of the update's
   * changes only once it is accepted. Needs `recoverable: true`.
   */
  tryApply(update: Uint8Array, origin: unknown, verify?: () => void): void {
    this.deferred = []
    const before = this.effective
    try {
      Y.applyUpdate(this.current, update, origin)
      verify?.()
      // A duplicate (a relay of what we had) changes nothing: nothing to keep or to store.
      if (this.effective !== before) this.accept(update)
    } catch (err) {
      this.deferred = null
      this.restore()
      throw err
    }
    const accepted = this.deferred
    this.deferred = null
    for (const [changes, tr] of accepted) this.notify(changes, tr)
    this.repairCreations()
  }

  /** Listens to record changes; returns the function that stops listening. */
  onChange(listener: MirrorListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  destroy(): void {
    this.listeners.clear()
    this.doc.destroy()
  }

  /** Listening only around local writes: with a listener, Yjs encodes every remote update again. */
  private readonly onUpdate = (update: Uint8Array): void => {
    this.captured = update
  }

  private capture(origin: unknown, fn: () => void): Uint8Array | null {
    this.captured = null
    this.doc.on('update', this.onUpdate)
    try {
      this.doc.transact(fn, origin)
    } finally {
      this.doc.off('update', this.onUpdate)
    }
    const out = this.captured
    this.captured = null
    if (out) this.accept(out)
    return out
  }

  private afterTransaction(tr: Y.Transaction): void {
    if (tr.deleteSet.clients.size > 0 || grew(tr)) this.effective++
    if (tr.changed.size === 0) return
    if (tr.local && this.journal) {
      const entry = this.journal.record(tr, this.map, this.currentEpoch)
      if (entry && !this.switching) this.sink?.journal(entry)
    }
    if (this.journal && this.repairs) this.noteCreations(tr)
    const ids = this.views.touched(tr.changed, this.map)
    if (ids.size === 0) return
    const changes = new Map<string, RecordChange>()
    for (const id of ids) {
      const now = this.root.has(id)
      const before = this.present.has(id)
      if (now) this.present.add(id)
      else this.present.delete(id)
      if (now || before) changes.set(id, !now ? 'del' : before ? 'upd' : 'new')
    }
    if (changes.size === 0) return
    if (this.deferred) this.deferred.push([changes, tr])
    else this.notify(changes, tr)
  }

  /**
   * Two copies that create the same record at once each set a new map under the root, and Yjs keeps
   * one map whole: the other creator's fields vanish. Each copy remembers the record maps it
   * created; when a remote map replaces one without having seen it (its origin is not ours), our
   * fields are written again into the map that won, once the update is accepted.
   */
  private noteCreations(tr: Y.Transaction): void {
    let keys: Set<string | null> | undefined
    for (const [type, fields] of tr.changed) if ((type as unknown) === this.map) keys = fields
    if (!keys) return
    for (const id of keys) {
      if (id === null) continue
      const item = this.map._map.get(id)
      if (tr.local) {
        if (item && !item.deleted && item.id.client === this.current.clientID) this.created.set(id, item)
        continue
      }
      const mine = this.created.get(id)
      if (!mine || !mine.deleted) continue
      this.created.delete(id)
      const origin = item && !item.deleted ? item.origin : null
      const sawMine =
        origin !== null && origin.client === mine.id.client && origin.clock === mine.id.clock + mine.length - 1
      if (item && !item.deleted && !sawMine) this.lostCreations.add(id)
    }
  }

  /** Writes our fields of records whose creation lost to a concurrent one into the winner. */
  private repairCreations(): void {
    if (this.lostCreations.size === 0 || !this.journal) return
    const ids = this.lostCreations
    this.lostCreations = new Set()
    const ops = this.journal
      .all()
      .filter((e) => e.epoch === this.currentEpoch)
      .flatMap((e) => e.ops.filter((op) => ids.has(op.path[0]!)))
    if (ops.length === 0) return
    const update = this.capture(EPOCH_ORIGIN, () => replay(this.map, ops))
    if (update) this.replayed = this.replayed ? Y.mergeUpdates([this.replayed, update]) : update
  }

  /** Transactions that inserted or deleted anything (a duplicate update runs one that does not). */
  private effective = 0
  private created = new Map<string, Y.Item>()
  private lostCreations = new Set<string>()

  private notify(changes: Map<string, RecordChange>, tr: Y.Transaction): void {
    for (const listener of this.listeners) listener(changes, tr.origin, tr.local)
  }
}

/** Whether the copy held the op's outcome just before the move (its write was still the current one). */
function heldBefore(before: ReadonlyMap<string, JsonValue>, op: JournalOp): boolean {
  let v: JsonValue | undefined = before.get(op.path[0]!)
  for (let i = 1; i < op.path.length && v !== undefined; i++) {
    v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[op.path[i]!] : undefined
  }
  return 'deleted' in op ? v === undefined : v !== undefined && holds(v, op.value)
}

/** Whether `current` holds everything `written` wrote: objects field by field, anything else exactly. */
function holds(current: JsonValue, written: JsonValue): boolean {
  if (isPlainObject(written) && isPlainObject(current)) {
    for (const k of Object.keys(written)) {
      const w = written[k]
      if (w === undefined) continue
      const c = current[k]
      if (c === undefined || !holds(c, w)) return false
    }
    return true
  }
  return sameJson(current, written)
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i]!, b[i]!)) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (!(k in b) || !sameJson(a[k]!, b[k]!)) return false
  return true
}

/** Whether a transaction inserted anything (some client's clock advanced). */
function grew(tr: Y.Transaction): boolean {
  for (const [client, clock] of tr.afterState) if (clock > (tr.beforeState.get(client) ?? 0)) return true
  return false
}
