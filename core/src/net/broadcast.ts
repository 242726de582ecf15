import { decodeStateVector } from '../state-vector.js'
import { encodeGraft, encodeHave, encodePrune, type MeshFrame } from './mesh-frames.js'
import type { ReplicaClock, ReplicaLink } from './replica-link.js'

/**
 * How a replica relays updates: `tree` pushes along a self-repairing broadcast tree (Plumtree, with
 * state vectors as the lazy digests; docs/rooms.md "Broadcast"); `flood` forwards every new update
 * to every other link, as y-webrtc does (kept as the baseline of the simulator and benchmarks).
 */
export type RelayMode = 'tree' | 'flood'

/** Options of the broadcast tree. */
export interface BroadcastOptions {
  /** Default `tree`. */
  mode?: RelayMode
  /** Least time between two `have` digests on a lazy link (default 250 ms). */
  haveMs?: number
  /** How long a gap that a `have` showed may last before this peer grafts that link (default 500 ms). */
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

class TreeLink {
  eager = true
  /** The fingerprint the last `have` on this link carried. */
  sentPrint: number | null = null
  /** The latest `have` from this link that showed something missing here. */
  gap: { stateVector: Map<number, number>; fingerprint: number } | null = null
  constructor(readonly link: ReplicaLink) {}
}

/**
 * The relay decisions of one replica: which links get pushed updates (eager) and which only
 * digests (lazy), pruning a link that delivered a duplicate and grafting one whose digest showed a
 * gap that the tree did not fill. y-webrtc links (`followsEpochs` false) are always eager and are
 * never sent tree frames. Timers run only while there is something to send or check, so a quiet
 * room schedules nothing.
 */
export class Broadcast {
  readonly mode: RelayMode
  readonly stats: BroadcastStats = { prunesSent: 0, graftsSent: 0, havesSent: 0 }
  private readonly links = new Map<ReplicaLink, TreeLink>()
  private readonly haveMs: number
  private readonly graftMs: number
  private haveTimer: { cancel(): void } | null = null
  private checkTimer: { cancel(): void } | null = null

  constructor(
    private readonly host: BroadcastHost,
    options: BroadcastOptions = {},
  ) {
    this.mode = options.mode ?? 'tree'
    this.haveMs = options.haveMs ?? 250
    this.graftMs = options.graftMs ?? 500
  }

  add(link: ReplicaLink): void {
    this.links.set(link, new TreeLink(link))
  }

  remove(link: ReplicaLink): void {
    this.links.delete(link)
  }

  /** Whether updates are pushed to `link`. */
  pushesTo(link: ReplicaLink): boolean {
    if (this.mode === 'flood' || !link.followsEpochs) return true
    return this.links.get(link)?.eager ?? false
  }

  /** How many links are eager now (all of them when flooding). */
  get eagerCount(): number {
    let n = 0
    for (const l of this.links.keys()) if (this.pushesTo(l)) n++
    return n
  }

  /** `link` delivered an update this replica already held: it is not needed on the tree. */
  duplicate(link: ReplicaLink): void {
    const t = this.tree(link)
    if (!t || !t.eager) return
    t.eager = false
    this.stats.prunesSent++
    link.send(encodePrune())
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
        t.eager = false
        return
      case 'graft':
        t.eager = true
        return
      case 'have':
        if (!this.host.inStep(link)) return
        this.onHave(t, decodeStateVector(frame.stateVector), frame.fingerprint)
        return
      default:
        return
    }
  }

  destroy(): void {
    this.haveTimer?.cancel()
    this.checkTimer?.cancel()
    this.links.clear()
  }

  /** The tree state of a DiffStream link in tree mode; null for y-webrtc links and when flooding. */
  private tree(link: ReplicaLink): TreeLink | null {
    if (this.mode === 'flood' || !link.followsEpochs) return null
    return this.links.get(link) ?? null
  }

  private sendHaves(): void {
    this.haveTimer = null
    const print = this.host.fingerprint()
    let sv: Uint8Array | null = null
    for (const t of this.links.values()) {
      if (t.eager || !t.link.followsEpochs || t.sentPrint === print || !this.host.inStep(t.link)) continue
      sv ??= this.host.stateVector()
      t.sentPrint = print
      this.stats.havesSent++
      t.link.send(encodeHave(sv, print))
    }
  }

  private onHave(t: TreeLink, sv: Map<number, number>, fingerprint: number): void {
    if (!this.missing(sv, fingerprint)) {
      t.gap = null
      return
    }
    t.gap = { stateVector: sv, fingerprint }
    this.checkTimer ??= this.host.clock.later(() => this.check(), this.graftMs)
  }

  /**
   * Whether a peer whose state is `sv`/`fingerprint` holds something this one lacks: an insert
   * (a clock above ours), or, with the very same inserts, other deletes (which a state vector
   * does not show).
   */
  private missing(sv: Map<number, number>, fingerprint: number): boolean {
    let same = sv.size === this.host.clientCount()
    for (const [client, clock] of sv) {
      const ours = this.host.clockOf(client)
      if (clock > ours) return true
      if (clock !== ours) same = false
    }
    return same && fingerprint !== this.host.fingerprint()
  }

  /**
   * A gap a `have` showed is still there after `graftMs`: the tree did not bring it, so graft one
   * link that showed it (it pushes again) and pull what is missing from it; if gaps remain, the
   * next link is grafted a round later. Each `have` leads to at most one graft, so a gap that
   * cannot be filled (another epoch) does not loop.
   */
  private check(): void {
    this.checkTimer = null
    let grafted = false
    let pending = false
    for (const t of this.links.values()) {
      const gap = t.gap
      if (!gap) continue
      if (!this.host.inStep(t.link) || !this.missing(gap.stateVector, gap.fingerprint)) {
        t.gap = null
        continue
      }
      if (grafted) {
        pending = true
        continue
      }
      t.gap = null
      grafted = true
      if (!t.eager) {
        t.eager = true
        this.stats.graftsSent++
        t.link.send(encodeGraft())
      }
      this.host.pull(t.link)
    }
    if (pending) this.checkTimer = this.host.clock.later(() => this.check(), this.graftMs)
  }
}
