import { Emitter } from '../emitter.js'
import { InvalidMessageError } from '../errors.js'
import type { UpdateInspection } from '../update-inspect.js'
import type { AntiEntropyEvents, AntiEntropyHost, AntiEntropyOptions } from './anti-entropy-types.js'
import {
  encodeDigest,
  encodeDigestRecords,
  encodeDigestWant,
  encodeHealState,
  encodeHealWant,
  type DigestFrame,
  type OwnerClaim,
} from './digest-frames.js'
import { forgedItems, itemsOf, Provenance, recordsTouched, type ItemSnapshot } from './divergence-heal.js'
import { BucketIndex, bucketCountFor, differingBuckets, differingRecords, recordsIn } from './record-digest.js'
import type { ReplicaLink } from './replica-link.js'
import { LinkEntropy, sameStateVector } from './anti-entropy-link.js'

export type { AntiEntropyHost, AntiEntropyOptions, Divergence } from './anti-entropy-types.js'

const DEFAULT_DIGEST_MS = 5000
/** Own client ids remembered (a copy writes under a new one per epoch and per heal). */
const MAX_OWN = 64
/** A heal not answered by then may be asked of another peer. */
const HEAL_WAIT_MS = 10_000
/** Least time between two whole states sent to one link, and between two digests after refusals. */
const HEAL_STATE_EVERY_MS = 2000
const REFUSAL_DIGEST_EVERY_MS = 1000
/** Least time between two `digest-records` answers to one link (each walks every record). */
const RECORDS_EVERY_MS = 500
/** Records whose checksums one slice of the first index build reads (a few ms for 500). */
const INDEX_SLICE = 500
/** After a proven forgery, how long a client's structs beyond the owner's claim come only from the owner. */
const QUARANTINE_MS = 15_000

/**
 * A room copy's anti-entropy (docs/anti-entropy.md): digests of what it holds go to every
 * DiffStream link now and then; a digest that proves this copy holds structs their owner never
 * wrote, or equal state with other records, makes it take a fresh copy of the state from the
 * trusted peer (keeping its own writes) and drop the links that brought the forgery. It also
 * refuses updates that claim to be this copy's own writes.
 */
export class AntiEntropy extends Emitter<AntiEntropyEvents> {
  private readonly provenance = new Provenance<ReplicaLink>()
  private readonly links = new Map<ReplicaLink, LinkEntropy>()
  /** Client ids this copy wrote under, and how far. */
  private readonly own = new Map<number, number>()
  /** Which link claims each client id; ids two links claim are trusted to neither. */
  private readonly claimedBy = new Map<number, ReplicaLink>()
  private readonly contested = new Set<number>()
  /** The heal asked for; `items`: what the records that differ held (to find the forged items afterwards). */
  private healing: {
    link: ReplicaLink
    timer: { cancel(): void }
    items: ItemSnapshot[]
    /** The records found wrong: of these only this copy's own values are carried. */
    affected: Set<string>
  } | null = null
  /**
   * Clients whose structs beyond `from` were forged: for a while they are taken only from their
   * owner, lest a neighbour that holds the forgery too brings it back right after the heal.
   */
  private readonly quarantine = new Map<number, { from: number; owner: ReplicaLink; until: number }>()
  /** Bucket sums kept up to date from the mirror's change events, built when first needed. */
  private index: BucketIndex | null = null
  /** While the index is being built in slices: what waits for it. */
  private indexWaiters: Array<() => void> | null = null
  private readonly digestMs: number
  private readonly random: () => number

  constructor(
    private readonly host: AntiEntropyHost,
    private readonly options: AntiEntropyOptions,
  ) {
    super()
    this.digestMs = options.digestMs ?? DEFAULT_DIGEST_MS
    this.random = options.random ?? Math.random
    host.watch((ids) => {
      const index = this.index
      if (index) for (const id of ids) index.set(id, host.checksum(id))
    })
  }

  // --- from the replica -------------------------------------------------------------------------

  add(link: ReplicaLink): void {
    if (!link.followsEpochs) return
    const l = new LinkEntropy(link)
    this.links.set(link, l)
    this.schedule(l)
  }

  remove(link: ReplicaLink): void {
    const l = this.links.get(link)
    l?.timer?.cancel()
    this.links.delete(link)
    this.provenance.forget(link)
    for (const [client, by] of this.claimedBy) if (by === link) this.claimedBy.delete(client)
    for (const [client, q] of this.quarantine) if (q.owner === link) this.quarantine.delete(client)
    if (this.healing?.link === link) this.stopHealing()
  }

  /** The link's first sync is done: compare at once. */
  synced(link: ReplicaLink): void {
    const l = this.links.get(link)
    if (l) this.sendDigest(l, false)
  }

  /** This copy wrote (a local write, or values it carried or put back). */
  wrote(): void {
    this.changed()
    const id = this.host.clientId()
    if (!this.own.has(id) && this.own.size >= MAX_OWN) this.own.delete(this.own.keys().next().value!)
    this.own.set(id, Math.max(this.own.get(id) ?? 0, this.host.clockOf(id)))
  }

  /**
   * Whether an update from `link` must be refused: it carries structs under one of this copy's own
   * client ids beyond what this copy wrote. The link is sent a digest (so a relay learns it is wrong).
   */
  refuses(link: ReplicaLink, inspection: UpdateInspection): boolean {
    const me = this.host.clientId()
    const now = this.host.clock.now()
    for (const [client, range] of inspection.ranges) {
      const q = this.quarantine.get(client)
      if (q && range.end > q.from && link !== q.owner) {
        if (now < q.until) return true
        this.quarantine.delete(client)
      }
      const wrote = client === me ? Math.max(this.own.get(me) ?? 0, this.host.clockOf(me)) : this.own.get(client)
      if (wrote === undefined || range.end <= wrote) continue
      this.emit('refused', link.id)
      const l = this.links.get(link)
      if (l && now - l.lastRefusal >= REFUSAL_DIGEST_EVERY_MS) {
        l.lastRefusal = now
        this.sendDigest(l, false)
      }
      return true
    }
    return false
  }

  /** An update from `link` was applied: remember which ranges it brought. */
  applied(link: ReplicaLink, inspection: UpdateInspection): void {
    this.provenance.note(link, inspection.ranges)
    this.changed()
  }

  /** The state changed: every idle link gets a digest within the period. */
  private changed(): void {
    for (const l of this.links.values()) this.schedule(l)
  }

  /** Handles an anti-entropy frame; throws `InvalidMessageError` when the peer misbehaves. */
  receive(link: ReplicaLink, frame: DigestFrame): void {
    const l = this.links.get(link)
    if (!l) return
    if (frame.epoch !== this.host.epoch()) {
      if (frame.kind === 'digest' && frame.answer) l.confirm = null
      return
    }
    switch (frame.kind) {
      case 'digest':
        l.rank = frame.rank
        this.onDigest(l, frame)
        return
      case 'digest-want':
        if (frame.buckets.length === 0) this.sendDigest(l, true)
        else if (this.host.clock.now() - l.lastRecordsSent >= RECORDS_EVERY_MS) {
          l.lastRecordsSent = this.host.clock.now()
          const wanted = new Set(frame.buckets)
          const records = recordsIn(this.host.records(), frame.bucketCount, wanted)
          link.send(encodeDigestRecords(frame.epoch, frame.bucketCount, this.host.fingerprint(), records))
        }
        return
      case 'digest-records':
        this.onRecords(l, frame)
        return
      case 'heal-want': {
        const now = this.host.clock.now()
        if (now - l.lastStateSent < HEAL_STATE_EVERY_MS) return
        l.lastStateSent = now
        link.send(encodeHealState(frame.epoch, this.host.fullState()))
        return
      }
      case 'heal-state':
        this.onHealState(l, frame.state)
        return
    }
  }

  destroy(): void {
    this.index = null
    this.indexWaiters = null
    for (const l of this.links.values()) l.timer?.cancel()
    this.links.clear()
    this.stopHealing()
  }

  // --- digests ----------------------------------------------------------------------------------

  /**
   * Arms the link's digest timer. It fires every period while there is something to say: this
   * copy's state changed since the last digest on the link, or the peer's last digest differed from
   * it. A quiet room whose copies agree schedules nothing.
   */
  private schedule(l: LinkEntropy): void {
    if (l.timer) return
    const wait = this.digestMs * (0.75 + 0.5 * this.random())
    l.timer = this.host.clock.later(() => {
      l.timer = null
      if (this.links.get(l.link) !== l) return
      if (l.link.quiet?.()) return this.schedule(l)
      if (l.described === this.stateKey()) return
      this.sendDigest(l, false)
      this.schedule(l)
    }, wait)
  }

  private stateKey(): string {
    return `${this.host.epoch()}:${this.host.fingerprint()}`
  }

  /** The peer's digest differs from this copy's state: it gets ours within the period. */
  private owe(l: LinkEntropy): void {
    l.described = null
    this.schedule(l)
  }

  private claims(): OwnerClaim[] {
    const me = this.host.clientId()
    const out: OwnerClaim[] = [{ client: me, clock: Math.max(this.own.get(me) ?? 0, this.host.clockOf(me)) }]
    // Ids of earlier epochs (or heals) count only while this document holds structs of theirs.
    for (const [client, clock] of this.own) if (client !== me && this.host.clockOf(client) > 0) out.push({ client, clock })
    return out
  }

  /**
   * Whether the bucket index is complete; if not, `then` runs once it is. The first build needs every
   * record's checksum, which on a copy that just took 50 000 records costs a few hundred ms: it runs
   * in slices between other tasks, so that a page stays responsive while it joins.
   */
  private indexed(then: () => void): boolean {
    if (this.index && !this.indexWaiters) return true
    if (this.indexWaiters) {
      this.indexWaiters.push(then)
      return false
    }
    const index = new BucketIndex()
    // Set before it is complete: change events keep the records already in it current, and a
    // record changed before its turn is read again when its turn comes.
    this.index = index
    const waiting: Array<() => void> = [then]
    this.indexWaiters = waiting
    const ids = Array.from(this.host.ids())
    let next = 0
    const step = (): void => {
      if (this.index !== index) return
      const end = Math.min(ids.length, next + INDEX_SLICE)
      for (; next < end; next++) index.set(ids[next]!, this.host.checksum(ids[next]!))
      if (next < ids.length) {
        this.host.clock.later(step, 0)
        return
      }
      this.indexWaiters = null
      for (const fn of waiting) fn()
    }
    step()
    return false
  }

  private hashes(buckets: number): Uint32Array {
    return this.index!.bucketHashes(buckets)
  }

  private sendDigest(l: LinkEntropy, answer: boolean): void {
    if (!this.host.inStep(l.link)) return
    if (!this.indexed(() => this.links.get(l.link) === l && this.sendDigest(l, answer))) return
    l.described = this.stateKey()
    const records = this.host.recordCount()
    l.link.send(
      encodeDigest({
        epoch: this.host.epoch(),
        answer,
        rank: this.options.rank,
        stateVector: this.host.stateVector(),
        fingerprint: this.host.fingerprint(),
        records,
        claims: this.claims(),
        buckets: this.hashes(bucketCountFor(records)),
      }),
    )
  }

  private onDigest(l: LinkEntropy, d: Extract<DigestFrame, { kind: 'digest' }>): void {
    if (!this.indexed(() => this.links.get(l.link) === l && this.onDigest(l, d))) return
    // A confirmation: the owner answered after our question arrived, so it claims at least every
    // write of its that this copy could have held when asking.
    if (d.answer && l.confirm) {
      const asked = l.confirm
      l.confirm = null
      const forged = d.claims.filter((c) => this.trusts(l.link, c.client) && (asked.get(c.client) ?? 0) > c.clock)
      if (forged.length > 0) {
        this.proven(l, forged)
        return
      }
    }
    const suspects = d.claims.filter((c) => this.trusts(l.link, c.client) && this.host.clockOf(c.client) > c.clock)
    if (suspects.length > 0 && !l.confirm) {
      l.confirm = new Map(suspects.map((c) => [c.client, this.host.clockOf(c.client)]))
      l.link.send(encodeDigestWant(d.epoch, 1, []))
      return
    }
    if (suspects.length > 0) return
    if (d.fingerprint !== this.host.fingerprint() || !sameStateVector(d.stateVector, this.host.stateVector())) {
      this.owe(l)
      return
    }
    const buckets = differingBuckets(this.hashes(d.buckets.length), d.buckets)
    if (buckets.length === 0) return
    // Same state, other records: the peer learns it from our digest too (the lower rank heals).
    this.owe(l)
    if (l.asked) return
    l.asked = { count: d.buckets.length, buckets: new Set(buckets) }
    l.link.send(encodeDigestWant(d.epoch, d.buckets.length, buckets))
  }

  /** Whether `link`'s claim about `client` counts: not ours, and no other link claims it. */
  private trusts(link: ReplicaLink, client: number): boolean {
    if (this.own.has(client) || client === this.host.clientId() || this.contested.has(client)) return false
    const by = this.claimedBy.get(client)
    if (by && by !== link && this.links.has(by)) {
      if (this.contested.size > 1024) this.contested.clear()
      this.contested.add(client)
      return false
    }
    this.claimedBy.set(client, link)
    return true
  }

  private onRecords(l: LinkEntropy, frame: Extract<DigestFrame, { kind: 'digest-records' }>): void {
    const asked = l.asked
    l.asked = null
    if (!asked || asked.count !== frame.bucketCount) return
    // Either side moved on since the digest: the next round compares again.
    if (frame.fingerprint !== this.host.fingerprint()) return
    const mine = recordsIn(this.host.records(), asked.count, asked.buckets)
    const ids = differingRecords(mine, frame.records)
    if (ids.length === 0) return
    const healing = l.rank > this.options.rank
    this.emit('diverged', { peerId: l.link.id, reason: 'content', records: ids, clients: [], healing })
    if (healing) this.askHeal(l.link, ids, itemsOf(this.host.root(), ids))
  }

  // --- heal -------------------------------------------------------------------------------------

  private proven(l: LinkEntropy, forged: OwnerClaim[]): void {
    const records = new Set<string>()
    const suspects = new Set<ReplicaLink>()
    const until = this.host.clock.now() + QUARANTINE_MS
    for (const { client, clock } of forged) {
      if (this.quarantine.size > 1024) this.quarantine.clear()
      this.quarantine.set(client, { from: clock, owner: l.link, until })
      for (const id of recordsTouched(this.host.doc(), this.host.root(), client, clock)) records.add(id)
      for (const link of this.provenance.linksBeyond(client, clock)) if (link !== l.link) suspects.add(link)
    }
    this.emit('diverged', {
      peerId: l.link.id,
      reason: 'forged-clock',
      records: Array.from(records).sort(),
      clients: forged.map((c) => c.client),
      healing: true,
    })
    this.dropAll(suspects)
    this.askHeal(l.link, records)
  }

  private dropAll(links: Iterable<ReplicaLink>): void {
    for (const link of Array.from(links)) {
      this.emit('dropped', link.id)
      link.drop('it sent structs that their writer never wrote')
    }
  }

  private askHeal(link: ReplicaLink, affected: Iterable<string>, items: ItemSnapshot[] = []): void {
    if (this.healing) return
    const timer = this.host.clock.later(() => this.stopHealing(), HEAL_WAIT_MS)
    this.healing = { link, timer, items, affected: new Set(affected) }
    link.send(encodeHealWant(this.host.epoch()))
  }

  private stopHealing(): void {
    this.healing?.timer.cancel()
    this.healing = null
  }

  private onHealState(l: LinkEntropy, state: Uint8Array): void {
    if (this.healing?.link !== l.link) return
    const { items: before, affected } = this.healing
    this.stopHealing()
    let changed: string[]
    try {
      changed = this.host.heal(state, new Set(this.own.keys()), affected)
    } catch (err) {
      throw err instanceof InvalidMessageError ? err : new InvalidMessageError('a heal state does not apply', { cause: err })
    }
    for (const o of this.links.values()) {
      o.confirm = null
      o.asked = null
    }
    this.changed()
    this.emit('healed', l.link.id, changed)
    // Items the trusted state holds under the same ids with other content were forged: the links
    // that brought them go (with a content divergence, only now are they known).
    const suspects = new Set<ReplicaLink>()
    for (const { client, clock } of forgedItems(this.host.doc(), before))
      for (const link of this.provenance.linksWith(client, clock)) if (link !== l.link) suspects.add(link)
    this.dropAll(suspects)
  }
}
