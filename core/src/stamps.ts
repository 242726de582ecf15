import * as Y from 'yjs'
import { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'

/*
 * Every value at a key of the dict (a record under the root, a field, a nested field) carries a
 * stamp, and for each key the value with the highest stamp wins, in every copy, whatever the
 * compactions and partitions in between (docs/compaction.md, "Stamps"). A stamp is a Lamport clock
 * per key plus the writer that breaks ties:
 *
 * - an ordinary write's stamp is derived from the document and costs no byte: its Yjs item's
 *   origin is the value the writer saw at that key, so `l = 1 + max(l of the origin, l of the
 *   parent map's own item)` and `w` is the item's client. A write that saw another has a larger
 *   stamp; two that did not see each other compare by `l`, then by client — which is also the
 *   order in which Yjs resolves two writes with the same origin;
 * - a value written again under its original stamp (carried into a new epoch, or re-asserted
 *   where Yjs picked a value with a lower stamp) has an explicit entry in the `ds~`
 *   map, keyed by the new item's id; an epoch's base keeps the stamps of everything it holds in
 *   one compact entry, `base`;
 * - an array is one value whose stamp rises with every edit made inside it: each writer that edits
 *   it in place records a version (`v` entries, one per writer), and the array's stamp is the largest.
 *
 * A map at a key also has a floor: the stamp of what it replaced (a deletion, a scalar). Maps
 * created at a key without seeing each other (two copies creating one record at once) merge field by
 * field; a map whose stamp is not above the floor of the key's winner was deleted, and everything
 * written inside it is gone with it (a delete wins over concurrent writes into what it deleted).
 */

/** A Lamport clock and the writer that breaks ties; compare with {@link compareStamps}. */
export interface Stamp {
  readonly l: number
  readonly w: number
}

/** Below every real stamp. */
export const NO_STAMP: Stamp = { l: 0, w: 0 }

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a.l !== b.l ? a.l - b.l : a.w - b.w
}

export function maxStamp(a: Stamp, b: Stamp): Stamp {
  return compareStamps(a, b) >= 0 ? a : b
}

/** Derived stamps remembered per document before the memo starts over. */
const MEMO_LIMIT = 200_000

/** Name of the root map beside the dict that holds explicit stamps. */
export const STAMPS_NAME = 'ds~'
/** The key of the base's stamps in that map. */
export const BASE_KEY = 'base'

/** What an item at a key holds. `gone`: content already collected (a deleted item of the history). */
export type ItemKind = 'map' | 'array' | 'value' | 'gone'

export function kindOf(item: Y.Item): ItemKind {
  const c = item.content
  if (c instanceof Y.ContentType) return c.type instanceof Y.Map ? 'map' : c.type instanceof Y.Array ? 'array' : 'value'
  if (c instanceof Y.ContentDeleted) return 'gone'
  return 'value'
}

/** The stamp of an item and, for a map, its floor. */
export interface ExplicitStamp {
  s: Stamp
  floor: Stamp | null
}

/** An item id as a key of the stamps map: client and clock in base 36 (every byte travels). */
function idKey(id: Y.ID): string {
  return `${id.client.toString(36)}.${id.clock.toString(36)}`
}

function readStampValue(v: unknown): ExplicitStamp | null {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) return null
  for (const n of v) if (!Number.isSafeInteger(n) || (n as number) < 0) return null
  const [l, w, fl, fw] = v as number[]
  return { s: { l: l!, w: w! }, floor: fl === undefined ? null : { l: fl, w: fw! } }
}

function stampValue(e: ExplicitStamp): number[] {
  return e.floor ? [e.s.l, e.s.w, e.floor.l, e.floor.w] : [e.s.l, e.s.w]
}

/** Bytes of a base's stamps: count, then per item its clock (as a gap), stamp and floor. */
export function encodeBaseStamps(entries: ReadonlyArray<readonly [number, ExplicitStamp]>): Uint8Array {
  const out: number[] = []
  pushVarUint(out, entries.length)
  let at = 0
  for (const [clock, e] of entries) {
    pushVarUint(out, clock - at)
    at = clock
    pushVarUint(out, e.s.l)
    pushVarUint(out, e.s.w)
    if (e.floor) {
      pushVarUint(out, e.floor.l + 1)
      pushVarUint(out, e.floor.w)
    } else pushVarUint(out, 0)
  }
  return Uint8Array.from(out)
}

function decodeBaseStamps(bytes: Uint8Array): Map<number, ExplicitStamp> {
  const out = new Map<number, ExplicitStamp>()
  const r = new ByteReader(bytes)
  const n = r.count(3)
  let at = 0
  for (let i = 0; i < n; i++) {
    at += r.varUint()
    const s = { l: r.varUint(), w: r.varUint() }
    const fl = r.varUint()
    const floor = fl === 0 ? null : { l: fl - 1, w: r.varUint() }
    out.set(at, { s, floor })
  }
  return out
}

/**
 * The stamps of one document's items: explicit ones from the stamps map, derived ones computed on
 * demand and remembered until an explicit entry changes.
 */
export class StampBook {
  private readonly stamps: Y.Map<unknown>
  private readonly memo = new Map<string, Stamp>()
  private base: Map<number, ExplicitStamp> | null = null
  /** Largest in-place version per array item (key of its id). */
  private versions: Map<string, Stamp> | null = null

  constructor(
    private readonly doc: Y.Doc,
    /** The client that wrote this epoch's base, whose stamps are in the `base` entry. */
    private readonly baseClient: number | null,
  ) {
    this.stamps = doc.getMap(STAMPS_NAME)
    this.stamps.observe((event) => {
      // Explicit entries are rare (carried and re-asserted values, array versions): a change makes
      // every derived stamp suspect, since derivations build on explicit ones.
      this.memo.clear()
      if (event.keysChanged.has(BASE_KEY)) this.base = null
      for (const k of event.keysChanged) if (k.startsWith('v')) this.versions = null
    })
  }

  /** The stamp of the value `item` put at its key. */
  stampOf(item: Y.Item): Stamp {
    return this.stampAt(item.id)
  }

  /**
   * The stamp of the write whose (first) unit is `id`. Yjs merges deleted items of one key written
   * one after the other by one client into one item, so stamps belong to units, not to items: inside
   * such an item each unit's origin is the unit before it.
   */
  private stampAt(id: Y.ID): Stamp {
    const known = this.known(id)
    if (known) return known
    // Derived: walk back the origins until a stamp is known, then come forward. Iterative, as a
    // key overwritten a million times in one epoch has a chain that long.
    const chain: Array<[Y.ID, Y.Item]> = []
    let at: Y.ID | null = id
    let below: Stamp = NO_STAMP
    while (at) {
      const k = chain.length === 0 ? null : this.known(at)
      if (k) {
        below = k
        break
      }
      const struct = Y.getItem(this.doc.store, at)
      if (!(struct instanceof Y.Item)) break
      chain.push([at, struct])
      at =
        at.clock > struct.id.clock
          ? Y.createID(at.client, at.clock - 1)
          : struct.parentSub !== null
            ? struct.origin
            : null
    }
    if (this.memo.size > MEMO_LIMIT) this.memo.clear()
    for (let i = chain.length - 1; i >= 0; i--) {
      const [unit, struct] = chain[i]!
      below = { l: 1 + Math.max(below.l, this.parentStamp(struct).l), w: unit.client }
      this.memo.set(idKey(unit), below)
    }
    return below
  }

  private known(id: Y.ID): Stamp | undefined {
    return this.memo.get(idKey(id)) ?? this.explicitAt(id)?.s
  }

  /** The stamp an item's value competes with: an array's rises with its in-place versions. */
  effectiveOf(item: Y.Item): Stamp {
    const s = this.stampOf(item)
    if (kindOf(item) !== 'array') return s
    const v = this.versionOf(item)
    return v && compareStamps(v, s) > 0 ? v : s
  }

  /**
   * The stamp of what a key holds: its current item's value, or — when that item was deleted
   * natively (`Y.Map.delete`, as a y-webrtc peer does; or by an overwrite this copy has not
   * integrated yet) — a deletion just after that value, since the deletion has no stamp of its own.
   * "Just after" is the lowest stamp above it, `(l + 1, 0)`: whatever really replaced the value saw
   * it and ranks at least `(l + 1, writer)`, so the real write wins wherever it is joined. (With the
   * value's own writer as `w`, a copy holding the deletion but not the overwrite made by the same
   * writer held a deletion with the overwrite's exact stamp, and the join kept either.)
   */
  heldStampOf(current: Y.Item): Stamp {
    const s = this.effectiveOf(current)
    return current.deleted ? { l: s.l + 1, w: 0 } : s
  }

  /** For a map: the stamp of what it replaced at its key (maps at or below it were deleted). */
  floorOf(item: Y.Item): Stamp {
    const e = this.explicitAt(item.id)
    if (e) return e.floor ?? NO_STAMP
    if (!item.origin || item.parentSub === null) return NO_STAMP
    const origin = Y.getItem(this.doc.store, item.origin)
    if (!(origin instanceof Y.Item)) return NO_STAMP
    const s = this.stampAt(item.origin)
    if (kindOf(origin) !== 'array') return s
    const v = this.versionOf(origin)
    return v && compareStamps(v, s) > 0 ? v : s
  }

  /** What a value kills at its key: a map kills what lies below its floor, anything else what lies below itself. */
  killOf(item: Y.Item): Stamp {
    return kindOf(item) === 'map' ? this.floorOf(item) : this.effectiveOf(item)
  }

  /** Whether `item` was written under an explicit stamp (carried, put back, or a base's). */
  isExplicit(item: Y.Item): boolean {
    return this.explicitAt(item.id) !== null
  }

  /** Gives `item` (just written) an explicit stamp, and a floor when it is a map. */
  setExplicit(item: Y.Item, s: Stamp, floor: Stamp | null = null): void {
    this.stamps.set(idKey(item.id), stampValue({ s, floor }))
  }

  /** Records that `writer` edited the array of `item` in place: its version rises above all it saw. */
  bumpArray(item: Y.Item, writer: number): void {
    const seen = this.effectiveOf(item)
    const parent = this.parentStamp(item)
    const v = { l: 1 + Math.max(seen.l, parent.l), w: writer }
    // One key per writer and array: concurrent editors never overwrite each other's version.
    this.stamps.set(`v${idKey(item.id)}.${writer.toString(36)}`, v.l)
  }

  /** The item of `writer`'s version entry for the array of `item`, if it edited it in place. */
  versionItem(item: Y.Item, writer: number): Y.Item | undefined {
    return this.stamps._map.get(`v${idKey(item.id)}.${writer.toString(36)}`)
  }

  private versionOf(item: Y.Item): Stamp | undefined {
    if (!this.versions) {
      const versions = new Map<string, Stamp>()
      for (const [k, v] of this.stamps) {
        if (!k.startsWith('v') || !Number.isSafeInteger(v)) continue
        const at = k.lastIndexOf('.')
        const w = parseInt(k.slice(at + 1), 36)
        if (at < 0 || !Number.isSafeInteger(w)) continue
        const id = k.slice(1, at)
        const e = { l: v as number, w }
        const old = versions.get(id)
        if (!old || compareStamps(e, old) > 0) versions.set(id, e)
      }
      this.versions = versions
    }
    return this.versions.get(idKey(item.id))
  }

  private explicitAt(id: Y.ID): ExplicitStamp | null {
    if (id.client === this.baseClient) {
      this.base ??= this.readBase()
      const e = this.base.get(id.clock)
      if (e) return e
    }
    return readStampValue(this.stamps.get(idKey(id)))
  }

  private readBase(): Map<number, ExplicitStamp> {
    const bytes = this.stamps.get(BASE_KEY)
    if (!(bytes instanceof Uint8Array)) return new Map()
    try {
      return decodeBaseStamps(bytes)
    } catch {
      // A base is checked before it is adopted; a damaged entry gives no stamps rather than a crash.
      return new Map()
    }
  }

  /** The stamp of the map item a key lives in (none for the root map). */
  private parentStamp(item: Y.Item): Stamp {
    const parent = item.parent
    if (!(parent instanceof Y.AbstractType)) return NO_STAMP
    const own = parent._item
    return own ? this.stampOf(own) : NO_STAMP
  }
}
