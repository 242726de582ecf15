/**
 * A peer's view of the room's links, built from the `links` of announces (docs/rooms.md, "Islands
 * are merged"): which peers share its component, and which links a peer can give up without
 * splitting its component.
 */

/** Undirected links by peer id (a link counts when both ends list each other). */
export type ViewGraph = ReadonlyMap<string, ReadonlySet<string>>

/**
 * The view: `self` with its links that are up, and every other peer with the links it last
 * announced. A link is kept when both ends list it, so a link one side dropped is gone.
 */
export function buildView(
  self: string,
  own: Iterable<string>,
  others: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const listed = new Map<string, ReadonlySet<string>>(others)
  listed.set(self, new Set(own))
  const view = new Map<string, Set<string>>()
  for (const id of listed.keys()) view.set(id, new Set())
  for (const [a, links] of listed) {
    for (const b of links) {
      if (a < b && listed.get(b)?.has(a)) {
        view.get(a)!.add(b)
        view.get(b)!.add(a)
      }
    }
  }
  return view
}

/** The peers reachable from `start` (itself included), leaving out the link `without` when given. */
export function componentOf(view: ViewGraph, start: string, without?: readonly [string, string]): Set<string> {
  const seen = new Set([start])
  const stack = [start]
  while (stack.length > 0) {
    const a = stack.pop()!
    for (const b of view.get(a) ?? []) {
      if (seen.has(b)) continue
      if (without && ((a === without[0] && b === without[1]) || (a === without[1] && b === without[0]))) continue
      seen.add(b)
      stack.push(b)
    }
  }
  return seen
}

/** The neighbours of `id` whose link to it can go without splitting its component. */
export function redundantLinks(view: ViewGraph, id: string): string[] {
  return Array.from(view.get(id) ?? []).filter((b) => componentOf(view, id, [id, b]).has(b))
}

/** Whether `id` can take one more link: it has room under `maxConns`, or a redundant link to give up. */
export function canTakeLink(view: ViewGraph, id: string, degree: number, maxConns: number): boolean {
  return degree < maxConns || redundantLinks(view, id).length > 0
}
