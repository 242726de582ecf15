import * as Y from 'yjs'
import type { StampedNode } from '../stamped-merge.js'

/*
 * What a room's anti-entropy needs to act on a divergence (docs/anti-entropy.md): which records a
 * forged range of structs touched, which links brought a client's structs, and what of a wrong
 * copy's state a heal keeps (what the copy wrote itself).
 */

/** Ranges remembered per client, and clients remembered at most. */
const RANGES_PER_CLIENT = 32
const MAX_CLIENTS = 1024

/** Which link brought which clock range of each client's structs (the latest few per client). */
export class Provenance<L> {
  private readonly byClient = new Map<number, Array<{ start: number; end: number; link: L }>>()

  note(link: L, ranges: ReadonlyMap<number, { start: number; end: number }>): void {
    for (const [client, range] of ranges) {
      let list = this.byClient.get(client)
      if (!list) {
        if (this.byClient.size >= MAX_CLIENTS) this.byClient.clear()
        list = []
        this.byClient.set(client, list)
      }
      list.push({ start: range.start, end: range.end, link })
      if (list.length > RANGES_PER_CLIENT) list.shift()
    }
  }

  /** The links that brought structs of `client` at or beyond `clock`. */
  linksBeyond(client: number, clock: number): Set<L> {
    const out = new Set<L>()
    for (const r of this.byClient.get(client) ?? []) if (r.end > clock) out.add(r.link)
    return out
  }

  /** The links that brought the struct of `client` at `clock`. */
  linksWith(client: number, clock: number): Set<L> {
    const out = new Set<L>()
    for (const r of this.byClient.get(client) ?? []) if (r.start <= clock && clock < r.end) out.add(r.link)
    return out
  }

  forget(link: L): void {
    for (const [client, list] of this.byClient) {
      const kept = list.filter((r) => r.link !== link)
      if (kept.length === 0) this.byClient.delete(client)
      else this.byClient.set(client, kept)
    }
  }

  clear(): void {
    this.byClient.clear()
  }
}

/** The ids of the records that structs of `client` from clock `from` on wrote into. */
export function recordsTouched(doc: Y.Doc, root: Y.Map<unknown>, client: number, from: number): string[] {
  const structs = doc.store.clients.get(client)
  const out = new Set<string>()
  if (!structs) return []
  for (let i = structs.length - 1; i >= 0; i--) {
    const struct = structs[i]!
    if (struct.id.clock + struct.length <= from) break
    let item: Y.Item | null = struct instanceof Y.Item ? struct : null
    while (item) {
      if (item.parent === root) {
        if (item.parentSub !== null) out.add(item.parentSub)
        break
      }
      item = item.parent instanceof Y.AbstractType ? item.parent._item : null
    }
  }
  return Array.from(out).sort()
}

/**
 * What a healing copy carries into the fresh state: of the records found wrong (`affected`), only
 * the values it wrote itself (their stamps name its own client ids); every other record whole, since
 * nothing showed it wrong, and what the trusted state holds already costs nothing to join.
 */
export function keepForHeal(
  held: ReadonlyMap<string, StampedNode>,
  own: ReadonlySet<number>,
  affected: ReadonlySet<string>,
): Map<string, StampedNode> {
  const out = new Map<string, StampedNode>()
  for (const [id, node] of held) {
    const kept = affected.has(id) ? keepNode(node, own) : node
    if (kept) out.set(id, kept)
  }
  return out
}

/** Only the values whose stamps name one of `own`. */
export function keepOwn(held: ReadonlyMap<string, StampedNode>, own: ReadonlySet<number>): Map<string, StampedNode> {
  const out = new Map<string, StampedNode>()
  for (const [key, node] of held) {
    const kept = keepNode(node, own)
    if (kept) out.set(key, kept)
  }
  return out
}

function keepNode(node: StampedNode, own: ReadonlySet<number>): StampedNode | null {
  if (node.kind !== 'map') return own.has(node.s.w) ? node : null
  const children = keepOwn(node.children, own)
  // A map this copy created travels with what it holds of its own; one it only wrote into travels
  // as the frame of those writes.
  if (children.size === 0 && !own.has(node.s.w)) return null
  return { ...node, children }
}

/** One item of a record, as it was before a heal: its id and its content. */
export interface ItemSnapshot {
  client: number
  clock: number
  content: string
}

/** Items looked at per heal at most. */
const MAX_ITEMS = 10_000

/** The single-unit items (map values, array elements) of records `ids`, with their content. */
export function itemsOf(root: Y.Map<unknown>, ids: readonly string[]): ItemSnapshot[] {
  const out: ItemSnapshot[] = []
  const visit = (item: Y.Item | null | undefined): void => {
    if (!item || item.deleted || out.length >= MAX_ITEMS) return
    const content = item.content
    if (content instanceof Y.ContentType) {
      const type = content.type
      if (type instanceof Y.Map) for (const child of type._map.values()) visit(child)
      else for (let c = type._start; c; c = c.right) visit(c)
    } else if (item.length === 1) {
      out.push({ client: item.id.client, clock: item.id.clock, content: JSON.stringify(content.getContent()) })
    }
  }
  for (const id of ids) visit(root._map.get(id))
  return out
}

/** The items of `before` that `doc` holds under the same id with other content: forged ones. */
export function forgedItems(doc: Y.Doc, before: readonly ItemSnapshot[]): ItemSnapshot[] {
  return before.filter(({ client, clock, content }) => {
    const structs = doc.store.clients.get(client)
    if (!structs || clock >= Y.getState(doc.store, client)) return false
    const struct = structs[Y.findIndexSS(structs, clock)]
    if (!(struct instanceof Y.Item) || struct.id.clock !== clock || struct.length !== 1) return false
    return JSON.stringify(struct.content.getContent()) !== content
  })
}
