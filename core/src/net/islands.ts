import type { ReplicaClock } from './replica-link.js'
import { buildView, canTakeLink, componentOf, redundantLinks, type ViewGraph } from './room-view.js'

/** A peer's links are announced again (`news`) this long after they changed... */
const NEWS_AFTER_MS = 1_000
/** ...and at most this often. */
const NEWS_EVERY_MS = 2_000
/** The view is checked for islands this often (±50%). */
const CHECK_MS = 3_000

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
  /** DiffStream peers known with the links of their last announce; `askable`: not linked or asked, not backing off. */
  peers(): Iterable<{ id: string; links: ReadonlySet<string>; askable: boolean }>
  /** Sends `want` with `room` to `id`. */
  ask(id: string): void
  /** Broadcasts an announce with `news`. */
  announceNews(): void
}

/**
 * Finds and merges islands (docs/rooms.md, "Islands are merged"): announces this peer's links when
 * they change, and checks its view of the room's links for peers outside its component.
 */
export class IslandWatch {
  private newsTimer: { cancel(): void } | null = null
  private newsAt = -Infinity
  private checkTimer: { cancel(): void } | null = null
  /** Whether the last check saw peers outside our component. */
  private splitSeen = false

  constructor(private readonly host: IslandHost) {}

  start(): void {
    this.schedule()
  }

  stop(): void {
    this.newsTimer?.cancel()
    this.newsTimer = null
    this.checkTimer?.cancel()
    this.checkTimer = null
    this.splitSeen = false
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
    const ids = redundantLinks(this.view(), this.host.self)
    return ids.length === 0 ? null : ids[Math.floor(this.host.random() * ids.length)]!
  }

  private view(): Map<string, Set<string>> {
    const others = new Map<string, ReadonlySet<string>>()
    for (const p of this.host.peers()) others.set(p.id, p.links)
    return buildView(this.host.self, this.host.openLinks(), others)
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
    const askable = new Set<string>()
    const degrees = new Map<string, number>()
    for (const p of this.host.peers()) {
      degrees.set(p.id, p.links.size)
      if (p.askable && !mine.has(p.id)) askable.add(p.id)
    }
    const degree = (id: string): number => degrees.get(id) ?? 0
    const split = askable.size > 0
    const twice = split && this.splitSeen
    this.splitSeen = split
    if (!twice || !this.actsFor(view, mine, degree)) return
    const ids = Array.from(askable)
    const open = ids.filter((id) => canTakeLink(view, id, degree(id), maxConns))
    const from = open.length > 0 ? open : ids
    this.host.ask(from[Math.floor(this.host.random() * from.length)]!)
  }

  /** Whether this peer is the one of its component to ask: the smallest id that can take a link. */
  private actsFor(view: ViewGraph, mine: ReadonlySet<string>, degree: (id: string) => number): boolean {
    const { self, maxConns } = this.host
    if (!canTakeLink(view, self, this.host.degree(), maxConns)) return false
    for (const id of mine) if (id < self && canTakeLink(view, id, degree(id), maxConns)) return false
    return true
  }
}
