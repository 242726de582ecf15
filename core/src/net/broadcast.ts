import { decodeStateVector } from '../state-vector.js'
import { encodeGraft, encodeHave, encodePrune, type MeshFrame } from './mesh-frames.js'
import type { ReplicaClock, ReplicaLink } from './replica-link.js'

/**
 * How a replica relays updates: `tree` pushes along self-repairing broadcast trees (Plumtree, one
 * tree per writer, with state vectors as the lazy digests; docs/rooms.md "Broadcast"); `flood`
 * forwards every new update to every other link, as y-webrtc does (kept as the baseline of the
 * simulator and benchmarks).
 */
export type RelayMode = 'tree' | 'flood'

/** Options of the broadcast tree. */
export interface BroadcastOptions {
  /** Default `tree`. */
  mode?: RelayMode
  /** Least time between two `have` digests on a link (default 150 ms). */
  haveMs?: number
  /** How long a gap that a `have` showed may last before this peer grafts that link (default 300 ms). */
  graftMs?: number
}

/** What the broadcast needs to know about its replica's document. */
export interface BroadcastHost {
  readonly clock: ReplicaClock
  /** The encoded state vector of the document. */
  stateVector(): Uint8Array
  /** How many structs of `client` the document holds. */
  clockOf(client: number): number
  /** How many clients the document holds structs of. */
  clientCount(): number
  /** The document's 32-bit state fingerprint (inserts and deletes). */
  fingerprint(): number
  /** Whether `link`'s sync frames count now (the peer is in this replica's epoch). */
  inStep(link: ReplicaLink): boolean
  /** Asks `link` for everything this replica lacks (a sync step 1). */
  pull(link: ReplicaLink): void
}

/** Counters of the tree's own traffic. */
export interface BroadcastStats {
  prunesSent: number
  graftsSent: number
  havesSent: number
}

/** Writers (Yjs client ids) remembered per link; past this the link starts over, all eager. */
const MAX_ORIGINS = 1024

class TreeLink {
  /** Writers whose updates we do not push to this link (it pruned them). */
  readonly lazyOut = new Set<number>()
  /** Writers whose updates we asked this link to stop pushing to us. */
  readonly prunedIn = new Set<number>()
  /** The fingerprint the last `have` on this link carried. */
  sentPrint: number | null = null
  /** The latest `have` from this link that showed something missing here. */
  gap: { stateVector: Map<number, number>; fingerprint: number } | null = null
  /** The Yjs client id the peer at the other end writes as (it said so). */
  writer: number | null = null
  /** A `have` is owed to this link (it was quiet, so pushes skipped it). */
  haveDue = false
  constructor(readonly link: ReplicaLink) {}
}

/**
 * The relay decisions of one replica, one tree per writer (the Yjs client ids of an update's
 * structs name its writers): a link that pushes a writer's update we already held is asked to stop
 * pushing that writer's updates (prune); a link whose digest shows a gap that the trees did not
 * fill is asked to push again (graft) and to send what is missing. Pruning is one-way: what we
 * push to a link is only that link's decision, so a prune never cuts the pruning side's own feed.
 * y-webrtc links (`followsEpochs` false) get every update and no tree frames. Timers run only while
 * there is something to send or check, so a quiet room schedules nothing.
 */
export class Broadcast {
  readonly mode: RelayMode
  readonly stats: BroadcastStats = { prunesSent: 0, graftsSent: 0, havesSent: 0 }
  private readonly links = new Map<ReplicaLink, TreeLink>()
  private readonly haveMs: number
  private readonly graftMs: number
  /** Writers whose updates passed through here lately (for updates that name none). */
  private readonly writers = new Set<number>()
  /** Per writer, the link that last brought us something new of it first. */
  private readonly firstFrom = new Map<number, TreeLink>()
  private haveTimer: { cancel(): void } | null = null
  private checkTimer: { cancel(): void } | null = null

  constructor(
    private readonly host: BroadcastHost,
    options: BroadcastOptions = {},
  ) {
    this.mode = options.mode ?? 'tree'
    this.haveMs = options.haveMs ?? 150
    this.graftMs = options.graftMs ?? 300
  }

  add(link: ReplicaLink): void {
    this.links.set(link, new TreeLink(link))
  }

  remove(link: ReplicaLink): void {
    const t = this.links.get(link)
    this.links.delete(link)
    for (const [w, f] of this.firstFrom) if (f === t) this.firstFrom.delete(w)
  }

  /**
   * Whether an update by `writers` goes to `link`: yes unless the link pruned every one of them.
   * An update without structs (deletes only) names no writer: it goes to the links that get some
   * writer's updates from us.
   */
  pushesTo(link: ReplicaLink, writers: readonly number[]): boolean {
    const t = this.tree(link)
    if (!t) return true
    if (link.quiet?.()) return false
    if (t.lazyOut.size === 0) return true
    for (const w of writers.length > 0 ? writers : this.writers) if (!t.lazyOut.has(w)) return true
    return false
  }

  /** An update by `writers` is about to be pushed. */
  saw(writers: readonly number[]): void {
    if (this.writers.size + writers.length > MAX_ORIGINS) this.writers.clear()
    for (const w of writers) this.writers.add(w)
  }

  /** `link` pushed an update by `writers` that this replica already held: another link brings them first. */
  duplicate(link: ReplicaLink, writers: readonly number[]): void {
    const t = this.tree(link)
    if (!t) return
    for (const w of writers) {
      // The writer itself sent it second: its direct link stays, the relay that came first goes.
      if (t.writer === w) {
        const first = this.firstFrom.get(w)
        if (first && first !== t && this.links.get(first.link) === first) this.prune(first, [w])
      }
    }
    this.prune(
      t,
      writers.filter((w) => w !== t.writer),
    )
  }

  private prune(t: TreeLink, writers: readonly number[]): void {
    const fresh = writers.filter((w) => !t.prunedIn.has(w))
    if (fresh.length === 0) return
    if (t.prunedIn.size + fresh.length > MAX_ORIGINS) t.prunedIn.clear()
    for (const w of fresh) t.prunedIn.add(w)
    this.stats.prunesSent++
    t.link.send(encodePrune(fresh))
  }

  /**
   * `link` pushed something new by `writers` although we had pruned them: our prune crossed its
   * push, and another link may be pruned next for delivering that update second. So `link` is
   * grafted back for them, lest this peer end with no link pushing those writers to it.
   */
  fresh(link: ReplicaLink, writers: readonly number[]): void {
    const t = this.tree(link)
    if (!t) return
    if (this.firstFrom.size + writers.length > MAX_ORIGINS) this.firstFrom.clear()
    for (const w of writers) this.firstFrom.set(w, t)
    const back = writers.filter((w) => t.prunedIn.has(w))
    if (back.length === 0) return
    this.graft(t, back)
  }

  /** `link` speaks again after a silence during which nothing was pushed to it: it gets a `have`. */
  awake(link: ReplicaLink): void {
    const t = this.tree(link)
    if (!t) return
    t.haveDue = true
    t.sentPrint = null
    this.changed()
  }

  /** The document changed (a local write or a remote update that added something). */
  changed(): void {
    if (this.mode === 'flood' || this.haveTimer) return
    this.haveTimer = this.host.clock.later(() => this.sendHaves(), this.haveMs)
  }

  /** Handles a prune, graft or have frame from `link`. */
  receive(link: ReplicaLink, frame: MeshFrame): void {
    const t = this.tree(link)
    if (!t) return
    switch (frame.kind) {
      case 'prune':
        if (t.lazyOut.size + frame.writers.length > MAX_ORIGINS) t.lazyOut.clear()
        for (const w of frame.writers) t.lazyOut.add(w)
        return
      case 'graft':
        if (frame.writers.length === 0) t.lazyOut.clear()
        for (const w of frame.writers) t.lazyOut.delete(w)
        return
      case 'have':
        if (!this.host.inStep(link)) return
        this.onHave(t, decodeStateVector(frame.stateVector), frame.fingerprint)
        return
      case 'writer':
        t.writer = frame.client
        // Its own updates always come straight from it: nothing of ours may stop that.
        if (t.prunedIn.delete(frame.client)) this.graft(t, [frame.client])
        return
      default:
        return
    }
  }

  destroy(): void {
    this.firstFrom.clear()
    this.haveTimer?.cancel()
    this.checkTimer?.cancel()
    this.links.clear()
  }

  /** The tree state of a DiffStream link in tree mode; null for y-webrtc links and when flooding. */
  private tree(link: ReplicaLink): TreeLink | null {
    if (this.mode === 'flood' || !link.followsEpochs) return null
    return this.links.get(link) ?? null
  }

  private graft(t: TreeLink, writers: readonly number[]): void {
    if (writers.length === 0) t.prunedIn.clear()
    for (const w of writers) t.prunedIn.delete(w)
    this.stats.graftsSent++
    t.link.send(encodeGraft(writers))
  }

  /** Digests go to every link that pruned at least one writer: it may lack what we have. */
  private sendHaves(): void {
    this.haveTimer = null
    const print = this.host.fingerprint()
    let sv: Uint8Array | null = null
    for (const t of this.links.values()) {
      if (
        (t.lazyOut.size === 0 && !t.haveDue) ||
        t.sentPrint === print ||
        t.link.quiet?.() ||
        !this.host.inStep(t.link)
      )
        continue
      t.haveDue = false
      sv ??= this.host.stateVector()
      t.sentPrint = print
      this.stats.havesSent++
      t.link.send(encodeHave(sv, print))
    }
  }

  private onHave(t: TreeLink, sv: Map<number, number>, fingerprint: number): void {
    if (this.missing(sv, fingerprint) === null) {
      t.gap = null
      return
    }
    t.gap = { stateVector: sv, fingerprint }
    this.checkTimer ??= this.host.clock.later(() => this.check(), this.graftMs)
  }

  /**
   * What a peer whose state is `sv`/`fingerprint` holds that this one lacks: the writers of inserts
   * we lack (a clock above ours); or, with the very same inserts, an empty list for other deletes
   * (which a state vector does not show, nor whose they are); null when nothing.
   */
  private missing(sv: Map<number, number>, fingerprint: number): number[] | null {
    let same = sv.size === this.host.clientCount()
    const lacking: number[] = []
    for (const [client, clock] of sv) {
      const ours = this.host.clockOf(client)
      if (clock > ours) lacking.push(client)
      if (clock !== ours) same = false
    }
    if (lacking.length > 0) return lacking
    return same && fingerprint !== this.host.fingerprint() ? [] : null
  }

  /**
   * A gap a `have` showed is still there after `graftMs`: the trees did not bring it, so graft one
   * link that showed it (for the writers we lack) and pull what is missing from it; if gaps remain,
   * the next link is grafted a round later. Each `have` leads to at most one graft, so a gap that
   * cannot be filled (another epoch) does not loop.
   */
  private check(): void {
    this.checkTimer = null
    let grafted = false
    let pending = false
    for (const t of this.links.values()) {
      const gap = t.gap
      if (!gap) continue
      const lacking = this.host.inStep(t.link) ? this.missing(gap.stateVector, gap.fingerprint) : null
      if (lacking === null) {
        t.gap = null
        continue
      }
      if (grafted) {
        pending = true
        continue
      }
      t.gap = null
      grafted = true
      this.graft(t, lacking)
      this.host.pull(t.link)
      // The links that should have brought it did not (a peer above stood still, a link broke):
      // they are asked to stop pushing these writers, lest they send it all again when they wake.
      if (lacking.length > 0)
        for (const o of this.links.values())
          if (o !== t)
            this.prune(
              o,
              lacking.filter((w) => w !== o.writer),
            )
    }
    if (pending) this.checkTimer = this.host.clock.later(() => this.check(), this.graftMs)
  }
}
