/**
 * A peer's view of the room's links, from the `links` of announces (docs/rooms.md, "Islands are
 * merged"): which peers share its component, and which links a peer can give up without splitting
 * its component. A link counts when both ends list each other, so a link one side dropped is gone.
 */

/** The peers each peer listed in its last announce (its own links for this peer). */
export interface Listed {
  get(id: string): ReadonlySet<string> | undefined
  has(id: string): boolean
  keys(): Iterable<string>
}

/** The peers `a` is linked to in the view. */
export function* neighbours(listed: Listed, a: string): Generator<string> {
  for (const b of listed.get(a) ?? []) if (b !== a && listed.get(b)?.has(a)) yield b
}

/** The key of the link from `a` to `b` in a set (NUL: a character peer ids do not use). */
export const linkKey = (a: string, b: string): string => `${a}\0${b}`

/** The peers reachable from `start` (itself included). */
export function componentOf(listed: Listed, start: string): Set<string> {
  const seen = new Set([start])
  const stack = [start]
  while (stack.length > 0) {
    const a = stack.pop()!
    // Plain loops: this runs every few seconds over the whole view.
    for (const b of listed.get(a) ?? []) {
      if (seen.has(b) || b === a || !listed.get(b)?.has(a)) continue
      seen.add(b)
      stack.push(b)
    }
  }
  return seen
}

/**
 * The links of the view that can go without splitting a component (those on a cycle), as
 * {@link linkKey}s both ways: every link that is not a bridge (Tarjan's low-link, iterative).
 */
export function redundantLinks(listed: Listed): Set<string> {
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const out = new Set<string>()
  const bridges = new Set<string>()
  for (const root of listed.keys()) {
    if (order.has(root)) continue
    const stack: Array<{ id: string; parent: string | null; next: Iterator<string> }> = []
    const enter = (id: string, parent: string | null): void => {
      order.set(id, order.size)
      low.set(id, order.get(id)!)
      stack.push({ id, parent, next: neighbours(listed, id) })
    }
    enter(root, null)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const step = top.next.next()
      if (!step.done) {
        const b = step.value
        if (b === top.parent) continue
        if (order.has(b)) low.set(top.id, Math.min(low.get(top.id)!, order.get(b)!))
        else enter(b, top.id)
        continue
      }
      stack.pop()
      if (top.parent === null) continue
      low.set(top.parent, Math.min(low.get(top.parent)!, low.get(top.id)!))
      if (low.get(top.id)! > order.get(top.parent)!) bridges.add(linkKey(top.parent, top.id))
    }
  }
  for (const a of listed.keys()) {
    for (const b of neighbours(listed, a)) if (!bridges.has(linkKey(a, b)) && !bridges.has(linkKey(b, a))) out.add(linkKey(a, b))
  }
  return out
}

/** The neighbours of `id` whose link is in `redundant`. */
export const spareLinks = (listed: Listed, redundant: ReadonlySet<string>, id: string): string[] =>
  Array.from(neighbours(listed, id)).filter((b) => redundant.has(linkKey(id, b)))

/**
 * Whether `id` can take one more link: it has room under `maxConns`, or a redundant link to give up
 * (`redundant` is only asked for when needed: it costs a walk over the whole view).
 */
export const canTakeLink = (
  listed: Listed,
  redundant: () => ReadonlySet<string>,
  id: string,
  degree: number,
  maxConns: number,
): boolean => degree < maxConns || spareLinks(listed, redundant(), id).length > 0
