import type { ReceivedAnnounce } from './membership-types.js'

/** A pending attempt older than this is replaced by a newer announce that does not list it. */
const STALE_PENDING_MS = 1_500

/** One of our links, pending or up. */
export interface LinkEntry {
  /** Our id for this attempt. */
  readonly lid: number
  /** The peer's id for it, from its signals (null until one arrives). */
  remoteLid: number | null
  readonly initiator: boolean
  readonly since: number
  open: boolean
  timer: { cancel(): void } | null
}

/** What we know of a peer we heard of. */
export interface Known {
  ds: boolean
  /** The largest `lid` of its announces seen: a larger one means it announced anew. */
  lid: number
  deg: number | null
  failures: number
  retryAt: number
  fullUntil: number
  repliedAt: number
}

/**
 * Whether an announce from the other end of link `e` shows the link is stale (docs/rooms.md, "Stale
 * links are replaced"): `self` is our id, `lid` the announce's, if it is a DiffStream one.
 */
export function staleLink(e: LinkEntry, a: ReceivedAnnounce, self: string, lid: number | null, now: number): boolean {
  const pendingTooLong = !e.open && now - e.since > STALE_PENDING_MS
  if (a.ds !== 1) return pendingTooLong
  const links = a.links
  if (links !== null && typeof links === 'object' && Object.hasOwn(links, self)) return false
  if (e.open) return e.remoteLid !== null && lid !== null && e.remoteLid < lid
  return pendingTooLong
}
