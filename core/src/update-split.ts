import { pushVarUint } from './byte-writer.js'
import { SCAN, walkUpdate } from './update-walker.js'

/*
 * A large update (a newcomer's initial sync) cut into pieces that a receiver applies one at a
 * time, each in its own short task: the receiver's event loop and UI breathe between pieces, and it
 * applies the first pieces while the next are still on the wire. Every piece is a valid v1 update
 * of whole structs, and refers only to what the receiver had (its state vector) or what earlier
 * pieces, or the piece itself, carry — so no piece waits for a later one. The delete set travels
 * with the last piece.
 */

/**
 * Splits a valid v1 update into pieces of about `maxBytes` (a single struct may be larger), in the
 * order to apply them. `known` is the receiver's state vector (client → clock). With `firstBytes`,
 * the pieces start that small and double up to `maxBytes`: a receiver's first pieces run before its
 * JIT has warmed up to them. An update that fits is returned as it is.
 */
export function splitUpdate(
  update: Uint8Array,
  maxBytes: number,
  known: ReadonlyMap<number, number>,
  firstBytes = maxBytes,
): Uint8Array[] {
  if (update.length <= maxBytes) return [update]
  const { data, deleteSetAt } = walkUpdate(update, SCAN).structs!
  // Per client, the positions (in `data`) of its structs, in clock order.
  const byClient = new Map<number, number[]>()
  for (let at = 0; at < data.length; at += 6 + 2 * data[at + 5]!) {
    const client = data[at]!
    let list = byClient.get(client)
    if (!list) byClient.set(client, (list = []))
    list.push(at)
  }
  const have = new Map(known)
  const next = new Map<number, number>()
  for (const client of byClient.keys()) next.set(client, 0)
  const met = (at: number): boolean => {
    for (let r = 0, n = data[at + 5]!; r < n; r++) {
      const client = data[at + 6 + 2 * r]!
      if (data[at + 7 + 2 * r]! >= (have.get(client) ?? 0)) return false
    }
    return true
  }
  const pieces: Uint8Array[] = []
  let left = data.length > 0
  let limit = Math.min(firstBytes, maxBytes)
  while (left) {
    // Client by client, as many structs as fit whose references are met; again while that adds some.
    const groups = new Map<number, [number, number]>() // client → [first, end) indexes into its list
    let size = 0
    let progress = true
    while (progress && size < limit) {
      progress = false
      for (const [client, list] of byClient) {
        let i = next.get(client)!
        const from = i
        while (i < list.length && size < limit && met(list[i]!)) {
          const at = list[i]!
          size += data[at + 4]! - data[at + 3]!
          have.set(client, data[at + 1]! + data[at + 2]!)
          i++
        }
        if (i === from) continue
        progress = true
        next.set(client, i)
        const g = groups.get(client)
        groups.set(client, [g ? g[0] : from, i])
      }
    }
    left = Array.from(byClient).some(([client, list]) => next.get(client)! < list.length)
    if (groups.size === 0) {
      // What is left refers to itself in a circle (or to what the receiver lacks): it goes whole,
      // as one piece, which Yjs integrates together.
      for (const [client, list] of byClient) {
        const i = next.get(client)!
        if (i < list.length) groups.set(client, [i, list.length])
      }
      left = false
    }
    pieces.push(encodePiece(update, data, byClient, groups, left ? null : update.subarray(deleteSetAt)))
    limit = Math.min(maxBytes, limit * 2)
  }
  if (pieces.length === 0) return [update]
  return pieces
}

function encodePiece(
  update: Uint8Array,
  data: readonly number[],
  byClient: ReadonlyMap<number, number[]>,
  groups: ReadonlyMap<number, [number, number]>,
  deleteSet: Uint8Array | null,
): Uint8Array {
  const parts: Uint8Array[] = []
  const head: number[] = []
  pushVarUint(head, groups.size)
  let total = head.length
  const heads: number[][] = []
  for (const [client, [from, end]] of groups) {
    const list = byClient.get(client)!
    const first = list[from]!
    const last = list[end - 1]!
    const h: number[] = []
    pushVarUint(h, end - from)
    pushVarUint(h, client)
    pushVarUint(h, data[first + 1]!)
    heads.push(h)
    // a client's structs are contiguous in the update
    const body = update.subarray(data[first + 3]!, data[last + 4]!)
    parts.push(body)
    total += h.length + body.length
  }
  const ds = deleteSet ?? Uint8Array.of(0)
  total += ds.length
  const out = new Uint8Array(total)
  out.set(head)
  let pos = head.length
  for (let i = 0; i < parts.length; i++) {
    out.set(heads[i]!, pos)
    pos += heads[i]!.length
    out.set(parts[i]!, pos)
    pos += parts[i]!.length
  }
  out.set(ds, pos)
  return out
}
