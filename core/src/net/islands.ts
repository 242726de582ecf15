import type { ReplicaClock } from './replica-link.js'
import { canTakeLink, componentOf, redundantLinks, spareLinks, type Listed } from './room-view.js'

/** A peer's links are announced again (`news`) this long after they changed... */
const NEWS_AFTER_MS = 1_000
/** ...and at most this often. */
const NEWS_EVERY_MS = 2_000
/** The view is checked for islands this often (±50%). */
const CHECK_MS = 3_000
/** Announces listing more links than this are not taken into the view. */
const MAX_LISTED = 1024

/** What the island watch needs of membership. */
export interface IslandHost {
  readonly self: string
  readonly maxConns: number
  readonly clock: ReplicaClock
  readonly random: () => number
  /** Ids of the peers we hold a link to that is up. */
  openLinks(): string[]
  /** Links held and asked for. */
  degree(): number
  /** Whether `id` may be asked now: not linked or asked already, not backing off. */
  askable(id: string): boolean
  /** Sends `want` with `room` to `id`. */
  ask(id: string): void
  /** Broadcasts an announce with `news`. */
  announceNews(): void
}

/**
 * Finds and merges islands (docs/rooms.md, "Islands are merged"): keeps the view of the room's
 * links, announces this peer's links when they change, and checks the view for peers outside its
 * component.
 */
export class IslandWatch {
  /** The links every DiffStream peer listed in its last announce. */
  private readonly heardLinks = new Map<string, ReadonlySet<string>>()
  private newsTimer: { cancel(): void } | null = null
  private newsAt = -Infinity
  private checkTimer: { cancel(): void } | null = null
  /** Whether the last check saw peers outside our component. */
  private splitSeen = false

  constructor(private readonly host: IslandHost) {}

  start(): void {
    if (!this.checkTimer) this.schedule()
  }

  stop(): void {
    this.newsTimer?.cancel()
    this.newsTimer = null
    this.checkTimer?.cancel()
    this.checkTimer = null
    this.splitSeen = false
  }

  /** The `links` field of an announce from DiffStream peer `id`. */
  heard(id: string, links: unknown): void {
    if (links === null || typeof links !== 'object' || Array.isArray(links)) return
    const ids = Object.keys(links)
    if (ids.length <= MAX_LISTED) this.heardLinks.set(id, new Set(ids))
  }

  /** `id` is forgotten (it failed too often): out of the view until it announces again. */
  forget(id: string): void {
    this.heardLinks.delete(id)
  }

  /** The set of links that are up changed: the others' views hear of it soon. */
  changed(): void {
    if (this.newsTimer || !this.checkTimer) return
    const now = this.host.clock.now()
    const at = Math.max(now + NEWS_AFTER_MS, this.newsAt + NEWS_EVERY_MS)
    this.newsTimer = this.host.clock.later(() => {
      this.newsTimer = null
      this.newsAt = this.host.clock.now()
      this.host.announceNews()
    }, at - now)
  }

  /** Whether the view puts `id` in another component than ours. */
  outside(id: string): boolean {
    const view = this.view()
    return view.has(id) && !componentOf(view, this.host.self).has(id)
  }

  /** One of our links that is up and can go without splitting our component, if any. */
  redundant(): string | null {
    const view = this.view()
    const ids = spareLinks(view, redundantLinks(view), this.host.self)
    return ids.length === 0 ? null : ids[Math.floor(this.host.random() * ids.length)]!
  }

  private view(): Listed {
    const { self } = this.host
    const heard = this.heardLinks
    const own = new Set(this.host.openLinks())
    return {
      get: (id) => (id === self ? own : heard.get(id)),
      has: (id) => id === self || heard.has(id),
      *keys() {
        yield self
        yield* heard.keys()
      },
    }
  }

  private schedule(): void {
    this.checkTimer = this.host.clock.later(
      () => {
        this.check()
        this.schedule()
      },
      CHECK_MS * (0.5 + this.host.random()),
    )
  }

  private check(): void {
    const { self, maxConns } = this.host
    const view = this.view()
    const mine = componentOf(view, self)
    const askable: string[] = []
    for (const id of this.heardLinks.keys()) if (!mine.has(id) && this.host.askable(id)) askable.push(id)
    const twice = askable.length > 0 && this.splitSeen
    this.splitSeen = askable.length > 0
    if (!twice) return
    let walked: Set<string> | null = null
    const redundant = (): Set<string> => (walked ??= redundantLinks(view))
    if (!this.actsFor(view, redundant, mine)) return
    const degree = (id: string): number => view.get(id)?.size ?? 0
    const open = askable.filter((id) => canTakeLink(view, redundant, id, degree(id), maxConns))
    const from = open.length > 0 ? open : askable
    this.host.ask(from[Math.floor(this.host.random() * from.length)]!)
  }

  /** Whether this peer is the one of its component to ask: the smallest id that can take a link. */
  private actsFor(view: Listed, redundant: () => ReadonlySet<string>, mine: ReadonlySet<string>): boolean {
    const { self, maxConns } = this.host
    const smaller = Array.from(mine).filter((id) => id < self)
    // Room under maxConns first: it needs no walk over the view.
    if (smaller.some((id) => (view.get(id)?.size ?? 0) < maxConns)) return false
    if (!canTakeLink(view, redundant, self, this.host.degree(), maxConns)) return false
    return !smaller.some((id) => canTakeLink(view, redundant, id, maxConns, maxConns))
  }
}
