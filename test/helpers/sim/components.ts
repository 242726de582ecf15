// The connected components of a simulated room: the links that are up on both sides.
import type { SimNet, SimPeer } from './network.js'

/** Live peers grouped by component (a link counts when both ends hold it up). */
export function components(net: SimNet): SimPeer[][] {
  const live = net.live()
  const byId = new Map(live.map((p) => [p.id, p]))
  const seen = new Set<string>()
  const out: SimPeer[][] = []
  for (const start of live) {
    if (seen.has(start.id)) continue
    const group: SimPeer[] = []
    const stack = [start]
    seen.add(start.id)
    while (stack.length > 0) {
      const p = stack.pop()!
      group.push(p)
      for (const id of p.mesh.peers) {
        const q = byId.get(id)
        if (!q || seen.has(id) || !q.mesh.peers.includes(p.id)) continue
        seen.add(id)
        stack.push(q)
      }
    }
    out.push(group)
  }
  return out
}
