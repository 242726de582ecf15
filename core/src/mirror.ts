import * as Y from 'yjs'
import { assertJson, type JsonObject, type JsonValue } from './json.js'
import { UnsupportedValueError } from './errors.js'
import { isKey, keyId, type Key } from './keys.js'
import { planMap, planPatch, toMirror, type Edit } from './reconcile.js'
import { buildBaseDoc } from './base-doc.js'
import { findContests, inDict, keepsIncarnation, type Contest } from './contests.js'
import { baseClientOf } from './epoch.js'
import type { Digest } from './hash.js'
import { RecordViews } from './record-views.js'
import { RecoveryPoint } from './recovery-point.js'
import { captureMap, mergeInto, type StampedNode } from './stamped-merge.js'
import { StampBook, type Stamp } from './stamps.js'
import { StateFingerprint } from './state-fingerprint.js'
import { OwnWrites } from './own-writes.js'
import type { UpdateInspection } from './update-inspect.js'

import { ROOT_NAME } from './root.js'

export { ROOT_NAME }

/** How a record changed in one transaction. */
export type RecordChange = 'new' | 'upd' | 'del'

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
  /** The document moved to another epoch: store a fresh snapshot. */
  epoch(): void
}

/** Called after each transaction with the records it changed. */
export type MirrorListener = (changes: Map<string, RecordChange>, origin: unknown, local: boolean) => void

/** Options of a {@link Mirror}. */
export interface MirrorOptions {
  doc?: Y.Doc
  /** Keep a way back from an update that must be refused after Yjs applied it (see `tryApply`). */
  recoverable?: boolean
  /**
   * This copy sends what it writes: on a move to another epoch it carries into it whatever it holds
   * that the epoch lacks, and after a remote update it writes back a value Yjs let lose to one with
   * a lower stamp (docs/compaction.md). A copy that cannot send (a facade consumer) only follows.
   */
  carries?: boolean
}

/**
 * The Yjs document that mirrors the dict: root map `diffstream`, one Y.Map per record, nested
 * Y.Map/Y.Array for objects and arrays. It writes plain values as minimal changes, reads records
 * back as plain values (cached until the record changes) and reports which records each
 * transaction touched. Nothing outside holds on to its Y.Doc, so it can be replaced — which a
 * `recoverable` mirror does to undo an update it should not have accepted (see `restore`), and
 * every move to another epoch does.
 *
 * A deletion is written as `undefined` at its key (a tombstone): it carries a stamp, so a copy that
 * comes back from a partition knows the deletion came after its own older value.
 */
export class Mirror {
  private current!: Y.Doc
  private map!: Y.Map<unknown>
  private state!: StateFingerprint
  private book!: StampBook
  /** Plain values and checksums of the records, rebuilt where a transaction changed them. */
  readonly views = new RecordViews()
  private readonly present = new Set<string>()
  private readonly listeners = new Set<MirrorListener>()
  private captured: Uint8Array | null = null
  /** Changes of an update being tried, announced once it is accepted. */
  private deferred: Array<[Map<string, RecordChange>, Y.Transaction]> | null = null
  /** Keys a remote update left with a value stamps may not agree with, put right once it is accepted. */
  private contests: Contest[] = []
  private recovery: RecoveryPoint | null
  private readonly recoverable: boolean
  private readonly carries: boolean
  private currentEpoch = 0
  /** Update bytes accepted in this epoch: what the history weighs, for the compaction policy. */
  private accepted = 0
  /** Transactions that inserted or deleted anything (a duplicate update runs one that does not). */
  private effective = 0
  /** What this copy wrote to carry values into an epoch or to put a stamped winner back, to send once. */
  private replayed: Uint8Array | null = null
  /** What this copy wrote itself in the current document (a resync replays it). */
  private readonly own = new OwnWrites()

  constructor(options: MirrorOptions = {}) {
    const doc = options.doc ?? new Y.Doc()
    this.recoverable = options.recoverable ?? false
    this.carries = options.carries ?? false
    this.recovery = this.recoverable ? new RecoveryPoint(doc) : null
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
    this.book = new StampBook(doc, this.currentEpoch > 0 ? baseClientOf(this.currentEpoch) : null)
    const book = this.book
    const root = this.map
    doc.gcFilter = (item) => !keepsIncarnation(item, book, root)
    this.present.clear()
    for (const [id, item] of this.map._map) if (isRecord(item)) this.present.add(id)
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
      if (isRecord(item)) n += this.views.digest(item.content.getContent()[item.length - 1]).bytes
    return n
  }

  /** Every record as a plain value (shared: do not mutate). */
  entries(): Array<[string, JsonValue]> {
    return Array.from(this.ids(), (id) => [id, this.read(id)!])
  }

  /**
   * Moves to epoch `epoch` by compacting: a fresh document holding only the live records (and the
   * newest deletions) with their stamps, built so that every copy holding the same state builds
   * the same bytes (see base-doc.ts).
   */
  compact(epoch: number): void {
    const doc = buildBaseDoc(captureMap(this.book, this.map), epoch)
    // The base holds everything this copy held: nothing to carry.
    this.switchTo(doc, epoch, null)
  }

  /**
   * Moves to epoch `epoch` from an update that holds its whole base (checked by the caller). Throws,
   * changing nothing, when Yjs refuses it or `verify` does. A copy that `carries` joins what it held
   * into the new epoch (values with a higher stamp than the epoch's win there).
   */
  adopt(
    update: Uint8Array,
    epoch: number,
    verify?: (root: Y.Map<unknown>, fingerprint: number) => void,
    /** What of the values this copy held to carry (a heal drops the suspects; docs/anti-entropy.md). */
    keep?: (held: Map<string, StampedNode>) => Map<string, StampedNode>,
  ): void {
    const { doc, state } = this.load(update, verify)
    const held = this.carries ? captureMap(this.book, this.map) : null
    // The update is the new document's whole state: its recovery point starts from it, not from an encode.
    this.switchTo(doc, epoch, held && keep ? keep(held) : held, state, update)
  }

  /**
   * Replaces the document with the whole state `update` holds, as epoch `epoch` (a resync,
   * docs/integrity.md). Throws, changing nothing, when Yjs refuses it or `verify` does. Only what
   * this copy wrote itself and a source with state vector `seen` lacks is carried into it (when
   * `seen` is given: a copy that writes).
   */
  replace(
    update: Uint8Array,
    epoch: number,
    verify: (root: Y.Map<unknown>, fingerprint: number) => void,
    seen: ReadonlyMap<number, number> | null,
  ): void {
    const kept = seen ? this.own.capture(this.book, this.map, seen) : null
    const { doc, state } = this.load(update, verify)
    this.replayed = null
    this.switchTo(doc, epoch, kept, state, update)
  }

  /** One past the last clock this copy wrote under `client` in the current document (0: none). */
  ownEnd(client: number): number {
    return this.own.end(client)
  }

  /** The client ids this copy wrote under in the current document. */
  ownClients(): number[] {
    return this.own.clients()
  }

  /** A new document holding `update`, checked by `verify`; nothing is kept when either throws. */
  private load(
    update: Uint8Array,
    verify?: (root: Y.Map<unknown>, fingerprint: number) => void,
  ): { doc: Y.Doc; state: StateFingerprint } {
    const doc = new Y.Doc()
    doc.clientID = freshClientId()
    try {
      const state = new StateFingerprint(doc)
      Y.applyUpdate(doc, update)
      verify?.(doc.getMap(ROOT_NAME), state.value())
      return { doc, state }
    } catch (err) {
      doc.destroy()
      throw err
    }
  }

  private switchTo(
    doc: Y.Doc,
    epoch: number,
    held: Map<string, StampedNode> | null,
    state?: StateFingerprint,
    snapshot?: Uint8Array,
  ): void {
    const before = new Map(this.entries())
    this.switching = true
    try {
      this.moveTo(doc, epoch, held, before, state, snapshot)
    } finally {
      this.switching = false
    }
    this.sink?.epoch()
  }

  private moveTo(
    doc: Y.Doc,
    epoch: number,
    held: Map<string, StampedNode> | null,
    before: Map<string, JsonValue>,
    state: StateFingerprint | undefined,
    snapshot: Uint8Array | undefined,
  ): void {
    const old = this.current
    doc.clientID = freshClientId()
    this.currentEpoch = epoch
    this.contests = []
    this.bind(doc, state)
    old.destroy()
    this.own.clear()
    this.accepted = 0
    this.recovery = this.recoverable ? new RecoveryPoint(doc, snapshot) : null
    const changes = new Map<string, RecordChange>()
    for (const [id, value] of before) {
      const now = this.read(id)
      if (now === undefined) changes.set(id, 'del')
      else if (!sameJson(now, value)) changes.set(id, 'upd')
    }
    for (const id of this.ids()) if (!before.has(id)) changes.set(id, 'new')
    if (changes.size > 0) for (const listener of this.listeners) listener(changes, EPOCH_ORIGIN, false)
    if (held && held.size > 0) {
      // Only keys whose winner changes are written: what the epoch already holds costs nothing.
      const update = this.capture(EPOCH_ORIGIN, () => {
        for (const [id, node] of held) mergeInto(this.book, this.map, id, node)
      })
      this.replayed = update
    }
  }

  /**
   * The update the last epoch move (or putting stamped winners back) wrote, once; others must
   * receive it.
   */
  takeReplayed(): Uint8Array | null {
    const out = this.replayed
    this.replayed = null
    return out
  }

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

  /** Number of records (deletions not counted). */
  get size(): number {
    return this.present.size
  }

  has(id: string): boolean {
    return this.present.has(id)
  }

  /** The ids of the records, in the root map's order. */
  *ids(): IterableIterator<string> {
    for (const [id, item] of this.map._map) if (isRecord(item)) yield id
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
    const record = this.map.get(id)
    return record instanceof Y.Map ? (this.views.plain(record) as JsonValue) : undefined
  }

  /** The checksum and JSON size of a record (docs/wire.md), or undefined. */
  digest(id: string): Digest | undefined {
    const record = this.map.get(id)
    return record instanceof Y.Map ? this.views.digest(record) : undefined
  }

  /**
   * The stamp of what is at a path of map keys (a record id, then fields), deletions included, or
   * null when nothing ever was (docs/compaction.md, "Stamps").
   */
  stampAt(path: readonly string[]): Stamp | null {
    let map: Y.Map<unknown> = this.map
    for (let i = 0; ; i++) {
      const item = map._map.get(path[i]!)
      if (!item) return null
      if (i === path.length - 1) return this.book.effectiveOf(item)
      const next = item.deleted ? null : map.get(path[i]!)
      if (!(next instanceof Y.Map)) return null
      map = next
    }
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
      return this.edit(edits, origin)
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
   * transaction, with the versions of the arrays they edited. Returns the update bytes, or null
   * when there were none.
   */
  edit(edits: readonly Edit[], origin: unknown): Uint8Array | null {
    if (edits.length === 0) return null
    return this.capture(origin, (tr) => {
      for (const edit of edits) edit()
      this.versionArrays(tr)
    })
  }

  /** Deletes the record `id` (a tombstone). Returns the update bytes, or null when there was no such record. */
  remove(id: string, origin: unknown): Uint8Array | null {
    if (!this.has(id)) return null
    return this.capture(origin, () => this.root.set(id, undefined))
  }

  /**
   * An array is one value at its key: an edit inside it (an element added, removed or changed,
   * however deep) raises its version, so that the edit outranks what it saw when copies compare.
   */
  private versionArrays(tr: Y.Transaction): void {
    const done = new Set<Y.Item>()
    const client = tr.doc.clientID
    const since = tr.beforeState.get(client) ?? 0
    for (const type of Array.from(tr.changed.keys())) {
      const item = outermostArray(type as Y.AbstractType<unknown>, this.map)
      if (!item || done.has(item)) continue
      done.add(item)
      // An array written in this transaction is new: its own stamp is above everything already.
      if (item.id.client === client && item.id.clock >= since) continue
      this.book.bumpArray(item, client)
    }
  }

  /**
   * Puts a stored state in place: merged into the current document when it is of this epoch,
   * otherwise adopted as epoch `epoch` (what was written before loading is carried into it).
   */
  restoreStored(state: Uint8Array, epoch: number): void {
    if (epoch === this.currentEpoch) this.applyStored(state)
    else this.adopt(state, epoch)
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
    this.contests = []
    const before = this.effective
    try {
      Y.applyUpdate(this.current, update, origin)
      verify?.()
      // A duplicate (a relay of what we had) changes nothing: nothing to keep or to store.
      if (this.effective !== before) this.accept(update)
    } catch (err) {
      this.deferred = null
      this.contests = []
      this.restore()
      throw err
    }
    const accepted = this.deferred
    this.deferred = null
    for (const [changes, tr] of accepted) this.notify(changes, tr)
    this.putBackWinners()
  }

  /**
   * Where Yjs kept a value that stamps rank below a rival (two writes that did not see each other,
   * or maps created at once at one key), writes the stamped result: the same on every copy.
   */
  private putBackWinners(): void {
    const contests = this.contests
    this.contests = []
    if (contests.length === 0) return
    const update = this.capture(EPOCH_ORIGIN, () => {
      for (const c of contests) {
        if (!inDict(c.map, this.map)) continue
        for (const rival of c.rivals) mergeInto(this.book, c.map, c.key, rival)
      }
    })
    if (update) this.replayed = this.replayed ? Y.mergeUpdates([this.replayed, update]) : update
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

  private capture(origin: unknown, fn: (tr: Y.Transaction) => void): Uint8Array | null {
    this.captured = null
    const client = this.doc.clientID
    const start = this.clock(client)
    this.doc.on('update', this.onUpdate)
    try {
      this.doc.transact(fn, origin)
    } finally {
      this.doc.off('update', this.onUpdate)
      this.own.note(client, start, this.clock(client))
    }
    const out = this.captured
    this.captured = null
    if (out) this.accept(out)
    return out
  }

  private afterTransaction(tr: Y.Transaction): void {
    const grown = grew(tr)
    if (tr.deleteSet.clients.size > 0 || grown) this.effective++
    // Rival values must be taken out now: Yjs collects the content of deleted items after this. (A
    // write into a map that lost its key changes nothing Yjs reports in `changed`.)
    if (!tr.local && this.carries && grown) this.contests.push(...findContests(tr, this.book, this.map))
    if (tr.changed.size === 0) return
    const ids = this.views.touched(tr.changed, this.map)
    if (ids.size === 0) return
    const changes = new Map<string, RecordChange>()
    for (const id of ids) {
      const item = this.map._map.get(id)
      const now = item !== undefined && isRecord(item)
      const before = this.present.has(id)
      if (now) this.present.add(id)
      else this.present.delete(id)
      if (now || before) changes.set(id, !now ? 'del' : before ? 'upd' : 'new')
    }
    if (changes.size === 0) return
    if (this.deferred) this.deferred.push([changes, tr])
    else this.notify(changes, tr)
  }

  private notify(changes: Map<string, RecordChange>, tr: Y.Transaction): void {
    for (const listener of this.listeners) listener(changes, tr.origin, tr.local)
  }
}

/** Whether a root item is a live record (not a deletion). */
function isRecord(item: Y.Item): boolean {
  return !item.deleted && item.content instanceof Y.ContentType && item.content.type instanceof Y.Map
}

/** The item holding the outermost array on the way from `type` up to `root` (at a map key), if any. */
function outermostArray(type: Y.AbstractType<unknown>, root: Y.Map<unknown>): Y.Item | null {
  let found: Y.Item | null = null
  let t: Y.AbstractType<unknown> = type
  while (t !== root) {
    const item = t._item
    if (!item) return null
    if (t instanceof Y.Array && item.parentSub !== null) found = item
    const parent = item.parent
    if (!(parent instanceof Y.AbstractType)) return null
    t = parent as Y.AbstractType<unknown>
  }
  return found
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
