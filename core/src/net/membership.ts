import type {
  AnnounceFields,
  CloseReason,
  MembershipOptions,
  MembershipTransport,
  OfferVerdict,
  ReceivedAnnounce,
} from './membership-types.js'
import { IslandWatch } from './islands.js'
import { staleLink, type Known, type LinkEntry } from './membership-state.js'

export type {
  AnnounceFields,
  CloseReason,
  MembershipOptions,
  MembershipTransport,
  OfferVerdict,
  ReceivedAnnounce,
} from './membership-types.js'

/** A connection attempt that is not up within this time is dropped. */
export const CONNECT_TIMEOUT_MS = 8_000
/** A peer that said it is full (or said bye) is not asked again for this long, unless it announces anew. */
const FULL_MS = 30_000
/** Answers to broadcast announces: at most one per peer in this time. */
const REPLY_EVERY_MS = 2_000
/** A peer that failed this many times in a row is forgotten until it announces again. */
const FORGET_AFTER = 5
/** While short of links: look for candidates again this often. */
const RECONSIDER_MS = 1_000
/** Alone this long, with every peer we know full: ask one to make room. */
const LONELY_AFTER_MS = 3_000

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null)

/**
 * Decides which peers this one links to (docs/rooms.md, "Links"): a bounded degree, peers picked at
 * random among all it heard of, newcomers let in, stale links replaced, failed peers retried with
 * backoff. It knows peers only by id; the transport (WebRTC with a signaling server, or a simulated
 * network) carries out its `dial`, `hangUp` and `announce` calls and reports what happens to links.
 */
export class Membership {
  readonly target: number
  private readonly links = new Map<string, LinkEntry>()
  private readonly known = new Map<string, Known>()
  /** Peers we asked to offer us a link, with when we asked. */
  private readonly wants = new Map<string, { at: number; timer: { cancel(): void } }>()
  private readonly random: () => number
  private nextLid = 1
  private active = false
  private reconsider: { cancel(): void } | null = null
  private lookTimer: { cancel(): void } | null = null
  private lookDelay = 1_000
  /** Since when this peer has had no link at all (null while it has one). */
  private aloneSince: number | null = null
  private readonly islands: IslandWatch

  constructor(
    private readonly options: MembershipOptions,
    private readonly transport: MembershipTransport,
  ) {
    const max = Math.max(1, options.maxConns)
    this.target = max <= 4 ? max : max - 2
    this.random = options.random ?? Math.random
    this.islands = new IslandWatch({
      self: options.peerId,
      maxConns: max,
      clock: options.clock,
      random: this.random,
      openLinks: () => Array.from(this.links).flatMap(([id, e]) => (e.open ? [id] : [])),
      degree: () => this.links.size + this.wants.size,
      askable: (id) => {
        // A `full` answer does not count: a `room` ask is for full peers too.
        const k = this.known.get(id)
        return !!k && !this.links.has(id) && !this.wants.has(id) && k.retryAt <= options.clock.now()
      },
      ask: (id) => {
        const k = this.known.get(id)
        if (k) this.connect(id, k, { room: 1 })
      },
      announceNews: () => {
        if (this.active) this.transport.announce(this.fields({ news: 1 }))
      },
    })
  }

  /** Our id of the link to `id`, if there is one. */
  linkId(id: string): number | undefined {
    return this.links.get(id)?.lid
  }

  /**
   * Starts looking for links once signaling is up (again): the transport has just announced this
   * peer, so peers it knows of are asked right away. Calling it again is harmless.
   */
  start(): void {
    if (!this.active) {
      this.lookDelay = 1_000
      this.islands.start()
    }
    this.active = true
    this.maintain()
  }

  /** Stops looking for links (offline or closed); the transport closes the links. */
  stop(): void {
    this.active = false
    this.islands.stop()
    this.reconsider?.cancel()
    this.reconsider = null
    this.lookTimer?.cancel()
    this.lookTimer = null
    for (const w of this.wants.values()) w.timer.cancel()
    this.wants.clear()
    for (const e of this.links.values()) e.timer?.cancel()
    this.links.clear()
  }

  /** Announces again on every server (a signaling server came back). */
  reannounce(): void {
    if (this.active) this.transport.announce(this.fields())
  }

  // --- what the transport reports ---------------------------------------------------------------

  /** An announce from another peer (broadcast or addressed to us). */
  announced(a: ReceivedAnnounce): void {
    if (!this.active || a.from === this.options.peerId) return
    const now = this.options.clock.now()
    const ds = a.ds === 1
    const lid = num(a.lid)
    const deg = num(a.deg)
    const news = a.news === 1
    let k = this.known.get(a.from)
    if (!k) {
      k = { ds, lid: -1, deg, failures: 0, retryAt: 0, fullUntil: 0, repliedAt: 0 }
      this.known.set(a.from, k)
    }
    if (ds) this.islands.heard(a.from, a.links)
    if (!ds || (lid !== null && lid > k.lid && !news)) {
      // It announced anew: whatever kept us from it is over.
      k.lid = lid ?? k.lid
      k.failures = 0
      k.retryAt = 0
      k.fullUntil = 0
    }
    k.ds = ds
    if (deg !== null) k.deg = deg
    const toMe = a.to === this.options.peerId
    let e = this.links.get(a.from)
    if (e && staleLink(e, a, this.options.peerId, lid, now)) {
      this.drop(a.from, 'the peer announced without this link: replaced', false)
      e = undefined
    }
    if (toMe && a.full === 1) {
      k.fullUntil = now + FULL_MS
      this.unwant(a.from)
      if (e && e.initiator && !e.open) this.drop(a.from, 'the peer has no room', false)
      this.maintain()
      return
    }
    if (e && toMe && a.want === 1 && !e.open && !e.initiator) {
      // We wait for its offer and it asks for ours: neither would come. Start over, offering.
      this.drop(a.from, 'the peer asked for an offer', false)
      e = undefined
    }
    if (e) return
    if (toMe && a.want === 1) {
      this.unwant(a.from)
      const room = a.room === 1 && this.islands.outside(a.from)
      if (this.canAccept(a.lonely === 1) || (room && this.giveUpSpare())) this.dial(a.from)
      else this.transport.announce(this.fields({ full: 1 }), a.from)
      return
    }
    if (this.wants.has(a.from)) return
    // News is for the view only: links are looked for as before (`maintain`), the mesh keeps its shape.
    if (news) return
    if (this.links.size + this.wants.size < this.target) this.connect(a.from, k)
    else if (a.to === undefined) this.replyTo(a.from, k, now)
  }

  /** An offer from `from`; `lid` is its id for the attempt, `deg` its degree if it said. */
  offered(from: string, info: { ds: boolean; lid: number | null }): OfferVerdict {
    if (!this.active) return { action: 'refuse' }
    const e = this.links.get(from)
    let asked = this.wants.has(from)
    if (e) {
      const sameAttempt = !e.initiator && !e.open && (info.lid === null || info.lid === e.remoteLid)
      if (sameAttempt || (e.initiator && !e.open)) return { action: 'existing' }
      // An offer on a link that is up (or for another attempt): the peer started over.
      this.drop(from, 'the peer offered a new connection: replaced', false)
      asked = true
    }
    if (!asked && !this.canAccept(false)) {
      this.transport.announce(this.fields({ full: 1 }), from)
      return { action: 'refuse' }
    }
    // The answer to a `room` ask made while full: give up a redundant link for it, or refuse.
    if (this.links.size >= this.options.maxConns && !this.giveUpSpare()) {
      this.unwant(from)
      return { action: 'refuse' }
    }
    this.unwant(from)
    this.remember(from, info.ds)
    const entry = this.add(from, false)
    entry.remoteLid = info.lid
    return { action: 'new', lid: entry.lid }
  }

  /**
   * Whether a signal from `from` belongs to our current link to it: `lid` is the sender's id of its
   * attempt, `rlid` our id of the attempt it answers (when it says); answers to an attempt we gave up
   * are ignored, and the first fitting signal tells us the sender's id.
   */
  signalFits(from: string, lid: number | null, rlid: number | null = null): boolean {
    const e = this.links.get(from)
    if (!e) return false
    if (rlid !== null && rlid !== e.lid) return false
    if (lid === null) return true
    if (e.remoteLid === null) e.remoteLid = lid
    return e.remoteLid === lid
  }

  /** The peer's id of our link to `id`, once known. */
  remoteLinkId(id: string): number | null {
    return this.links.get(id)?.remoteLid ?? null
  }

  /** The link `lid` to `id` is up. */
  opened(id: string, lid: number): void {
    const e = this.links.get(id)
    if (!e || e.lid !== lid) return
    e.open = true
    e.timer?.cancel()
    e.timer = null
    this.islands.changed()
    const k = this.known.get(id)
    if (k) k.failures = 0
  }

  /** The link `lid` to `id` is gone, for `reason`. */
  closed(id: string, lid: number, reason: CloseReason): void {
    const e = this.links.get(id)
    if (!e || e.lid !== lid) return
    e.timer?.cancel()
    this.links.delete(id)
    if (e.open) this.islands.changed()
    this.afterLoss(id, reason)
  }

  // --- decisions --------------------------------------------------------------------------------

  /** The announce fields that describe this peer now. */
  fields(extra: { want?: 1; full?: 1; lonely?: 1; room?: 1; news?: 1 } = {}): AnnounceFields {
    const links: Record<string, number> = {}
    for (const [id, e] of this.links) links[id] = e.lid
    return { ds: 1, lid: this.nextLid, links, deg: this.links.size, ...extra }
  }

  private canAccept(lonely: boolean): boolean {
    if (this.links.size + this.wants.size < this.options.maxConns) return true
    if (!lonely) return false
    // A peer without a single link, refused by everyone it tried: make room for it.
    const open = Array.from(this.links).filter(([, e]) => e.open)
    if (open.length === 0) return false
    const [victim] = open[Math.floor(this.random() * open.length)]!
    this.drop(victim, 'making room for a peer with too few links', true)
    return true
  }

  /** Closes one of our redundant links (saying bye) to make room for merging an island; false with none. */
  private giveUpSpare(): boolean {
    const spare = this.islands.redundant()
    if (spare !== null) this.drop(spare, 'making room to merge an island', true)
    return spare !== null
  }

  /**
   * Links to `id`: offers when this side offers, else asks it to offer; with `lonely` or `room` it
   * always asks (the other side has to make room).
   */
  private connect(id: string, k: Known, ask: { lonely?: 1; room?: 1 } = {}): void {
    const special = ask.lonely === 1 || ask.room === 1
    if (k.ds && this.options.peerId < id && !special) {
      this.dial(id)
      return
    }
    const timer = this.options.clock.later(() => {
      if (!this.wants.delete(id)) return
      this.failed(id)
      this.maintain()
    }, CONNECT_TIMEOUT_MS)
    this.wants.set(id, { at: this.options.clock.now(), timer })
    this.transport.announce(this.fields({ want: 1, ...ask }), id)
  }

  private dial(id: string): void {
    const e = this.add(id, true)
    this.transport.dial(id, e.lid)
  }

  private add(id: string, initiator: boolean): LinkEntry {
    const entry: LinkEntry = {
      lid: this.nextLid++,
      remoteLid: null,
      initiator,
      since: this.options.clock.now(),
      open: false,
      timer: null,
    }
    entry.timer = this.options.clock.later(() => {
      if (this.links.get(id) !== entry || entry.open) return
      this.drop(id, `no connection within ${CONNECT_TIMEOUT_MS / 1000} s`, false)
      this.failed(id)
      this.maintain()
    }, CONNECT_TIMEOUT_MS)
    this.links.set(id, entry)
    return entry
  }

  private remember(id: string, ds: boolean): void {
    if (!this.known.has(id))
      this.known.set(id, { ds, lid: -1, deg: null, failures: 0, retryAt: 0, fullUntil: 0, repliedAt: 0 })
  }

  private unwant(id: string): void {
    this.wants.get(id)?.timer.cancel()
    this.wants.delete(id)
  }

  /** Forgets the link at once and has the transport close it (`bye`: tell the peer first). */
  private drop(id: string, reason: string, bye: boolean): void {
    const e = this.links.get(id)
    if (!e) return
    e.timer?.cancel()
    this.links.delete(id)
    if (e.open) this.islands.changed()
    this.transport.hangUp(id, e.lid, reason, bye)
  }

  private afterLoss(id: string, reason: CloseReason): void {
    const k = this.known.get(id)
    if (k) {
      if (reason === 'failed' || reason === 'dead') this.failed(id)
      else if (reason === 'bye') k.fullUntil = this.options.clock.now() + FULL_MS
    }
    this.maintain()
  }

  /** Backs off from `id`: 1 s doubling to 30 s, ±50%; forgotten after a few failures in a row. */
  private failed(id: string): void {
    const k = this.known.get(id)
    if (!k) return
    k.failures++
    if (k.failures >= FORGET_AFTER) {
      this.known.delete(id)
      this.islands.forget(id)
      return
    }
    const base = Math.min(30_000, 1_000 * 2 ** (k.failures - 1))
    k.retryAt = this.options.clock.now() + base * (0.5 + this.random())
  }

  private replyTo(id: string, k: Known, now: number): void {
    if (now - k.repliedAt < REPLY_EVERY_MS) return
    const many = 4 * this.options.maxConns
    if (this.known.size > many && this.random() * this.known.size > many) return
    k.repliedAt = now
    this.transport.announce(this.fields(), id)
  }

  /** Looks for links while short of the target: random candidates, else a broadcast announce. */
  private maintain(): void {
    if (!this.active) return
    let degree = this.links.size + this.wants.size
    const now = this.options.clock.now()
    if (this.links.size > 0) this.aloneSince = null
    else this.aloneSince ??= now
    if (degree >= this.target) {
      this.lookDelay = 1_000
      return
    }
    const candidates = Array.from(this.known).filter(
      ([id, k]) => !this.links.has(id) && !this.wants.has(id) && k.retryAt <= now && k.fullUntil <= now,
    )
    // Fisher-Yates over the candidates: uniform picks make the mesh random (and its links long).
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!]
    }
    for (const [id, k] of candidates) {
      if (degree >= this.target) break
      this.connect(id, k)
      degree++
    }
    if (degree >= this.target) return
    if (degree === 0 && candidates.length === 0 && now - (this.aloneSince ?? now) >= LONELY_AFTER_MS) {
      // Alone, and everyone we know said it is full: ask one of them to make room.
      const full = Array.from(this.known).filter(([, k]) => k.ds && k.retryAt <= now && k.fullUntil > now)
      const pick = full[Math.floor(this.random() * full.length)]
      if (pick) {
        this.connect(pick[0], pick[1], { lonely: 1 })
        return
      }
    }
    this.reconsider ??= this.options.clock.later(() => {
      this.reconsider = null
      this.maintain()
    }, RECONSIDER_MS)
    if (candidates.length === 0 && !this.lookTimer) {
      this.lookTimer = this.options.clock.later(
        () => {
          this.lookTimer = null
          if (!this.active || this.links.size + this.wants.size >= this.target) return
          this.transport.announce(this.fields())
        },
        this.lookDelay * (0.5 + this.random()),
      )
      this.lookDelay = Math.min(60_000, this.lookDelay * 2)
    }
  }
}
