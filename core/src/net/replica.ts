import * as Y from 'yjs'
import { holdsBase } from '../base-doc.js'
import { CompactionPolicy } from '../compaction-policy.js'
import { Emitter } from '../emitter.js'
import { nextEpoch, type EpochInfo, type EpochRecord } from '../epoch.js'
import { InvalidMessageError } from '../errors.js'
import { HeldMessages, type HeldMessage } from '../held.js'
import type { JsonObject } from '../json.js'
import { Mirror } from '../mirror.js'
import { decodeStateVector, encodeStateVector } from '../state-vector.js'
import type { CompactionOptions } from '../types.js'
import { dependenciesMet, inspectUpdate } from '../update-inspect.js'
import { splitUpdate } from '../update-split.js'
import type { Packing } from './environment.js'
import { Broadcast, type BroadcastOptions } from './broadcast.js'
import { AntiEntropy, type AntiEntropyOptions } from './anti-entropy.js'
import { antiEntropyHost } from './replica-heal.js'
import { encodeWriter } from './mesh-frames.js'
import { realClock, type ReplicaClock, type ReplicaLink } from './replica-link.js'
import type { CheckedBatch } from './signed-batch.js'
import { WriterGate, type GateHost, type WriterGateOptions } from './writer-gate.js'
import type { UnauthorizedWriteError } from '../errors.js'
import {
  encodeEpochBase,
  encodeEpochHello,
  encodeEpochWant,
  encodeFeatures,
  encodeSyncPacked,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  FEATURE_PACKED,
  type Frame,
} from './frames.js'

const RESYNC_EVERY_MS = 500
/** Pieces of a large initial sync: a receiver applies one in a few milliseconds. */
export const SYNC_PIECE_BYTES = 64 * 1024
/** The first piece; the next ones double up to SYNC_PIECE_BYTES (the receiver's JIT warms up). */
const SYNC_FIRST_PIECE_BYTES = 4 * 1024
/** How long a new link's first sync step 1 waits for another link's answer at most. */
const ASK_WAIT_MS = 1000
/** Room defaults of the compaction policy (see docs/compaction.md). */
export const ROOM_RATIO = 4
export const ROOM_MIN_BYTES = 1024 * 1024

export type { ReplicaClock, ReplicaLink } from './replica-link.js'

/** Options of a {@link Replica}. */
export interface ReplicaOptions {
  /** Whether this replica compacts by itself (writers do; see docs/compaction.md). */
  compacts: boolean
  compaction?: false | CompactionOptions
  clock?: ReplicaClock
  /** How updates are relayed (default: the broadcast tree; see docs/rooms.md). */
  broadcast?: BroadcastOptions
  /** A signed room: who may write, and this peer's key (docs/writers.md). */
  signed?: WriterGateOptions
  /** Digests that notice a copy holding what its source never wrote, and heal it (docs/anti-entropy.md). */
  antiEntropy?: AntiEntropyOptions
}

/** Events of a {@link Replica}. */
export type ReplicaEvents = {
  /** The replica moved to another epoch (by compacting or by adopting a peer's). */
  epoch: (epoch: number) => void
  /** A link finished (or lost) its initial sync. */
  synced: () => void
  warning: (message: string) => void
  /** A signed room refused what a peer sent (the peer is dropped). */
  refused: (peerId: string, error: UnauthorizedWriteError) => void
}

class LinkState {
  /** The epoch the peer said it is in (null until its hello; y-webrtc peers never say). */
  remoteEpoch: number | null = null
  synced = false
  /** We answered the peer's sync step 1: what arrives from now on is not in that answer. */
  answered = false
  lastResync = 0
  resync: { cancel(): void } | null = null
  wanted = -1
  /** The peer said it reads packed sync frames. */
  readsPacked = false
  /** We sent our first sync step 1 (at `askedAt`) and wait for the answer. */
  asking = false
  askedAt = 0
  /** Our first sync step 1 waits until another link's answer arrived (a newcomer gets the state once). */
  deferred = false
  constructor(
    readonly link: ReplicaLink,
    /** The epoch this replica was in when the link opened: a y-webrtc peer stays in it. */
    readonly openedIn: number,
  ) {}
}

/**
 * One copy of a room's dict and the sync protocol around it, independent of the transport: Yjs
 * sync (y-protocols step 1/2 and updates, relayed), updates held until what they build on arrives,
 * and epochs — compacting when the history outweighs the data, and moving to the epoch that wins
 * when peers meet (see docs/compaction.md). The room feeds it decoded frames per link.
 */
export class Replica extends Emitter<ReplicaEvents> {
  readonly mirror: Mirror
  private readonly links = new Map<ReplicaLink, LinkState>()
  /** Updates that arrived before what they build on, with the link that pushed them. */
  private readonly held = new HeldMessages<HeldMessage & { from: LinkState; signed?: CheckedBatch }>(16 * 1024 * 1024)
  private readonly policy: CompactionPolicy
  private readonly clock: ReplicaClock
  /** Which links get updates pushed (the broadcast tree). */
  readonly broadcast: Broadcast
  /** Digests and heals, when the options ask for them (rooms do). */
  readonly antiEntropy: AntiEntropy | null
  private askTimer: { cancel(): void } | null = null
  private info: EpochInfo = { epoch: 0, parent: 0, cutState: 0 }
  /** Updates to send at the next flush, with their writers; `repair`: it came as a sync answer (see `flush`). */
  private outgoing: Outgoing[] = []
  /** A signed room's guard (docs/writers.md); null in an open room. */
  readonly gate: WriterGate | null
  private flushScheduled = false
  private compactionCount = 0

  constructor(private readonly options: ReplicaOptions) {
    super()
    // Every copy in a room sends: it carries what it holds into epochs it adopts, and puts stamped
    // winners back (docs/compaction.md).
    this.mirror = new Mirror({ recoverable: true, carries: true })
    // A compaction briefly stalls a live stream on every peer (encode, rebuild, re-sync), and a room's
    // newcomers sync by state vector anyway: rooms compact less eagerly than the facade by default.
    this.policy = new CompactionPolicy(
      options.compaction === false ? false : { ratio: ROOM_RATIO, minBytes: ROOM_MIN_BYTES, ...options.compaction },
    )
    this.clock = options.clock ?? realClock
    const replica = this
    this.gate = options.signed ? new WriterGate(this.gateHost(), options.signed) : null
    this.broadcast = new Broadcast(
      {
        clock: this.clock,
        stateVector: () => this.mirror.encodeStateVector(),
        clockOf: (client) => this.mirror.clock(client),
        clientCount: () => this.mirror.doc.store.clients.size,
        fingerprint: () => this.mirror.fingerprint(),
        inStep(link) {
          const s = replica.links.get(link)
          return s !== undefined && replica.inStep(s)
        },
        pull: (link) => link.send(encodeSyncStep1(this.mirror.encodeStateVector())),
      },
      options.broadcast,
    )
    this.antiEntropy = options.antiEntropy
      ? new AntiEntropy(antiEntropyHost(this, this.clock, (link) => this.isInStep(link)), options.antiEntropy)
      : null
    // A new epoch writes as a new Yjs client: the neighbours learn which.
    this.on('epoch', () => {
      const writer = encodeWriter(this.mirror.doc.clientID)
      for (const s of this.links.values()) if (s.link.followsEpochs) s.link.send(writer)
    })
  }

  get epoch(): number {
    return this.info.epoch
  }

  get compactions(): number {
    return this.compactionCount
  }

  /** Whether every open link finished its initial sync (and there is at least one). */
  get synced(): boolean {
    if (this.links.size === 0) return false
    for (const s of this.links.values()) if (!s.synced) return false
    return true
  }

  // --- local writes -----------------------------------------------------------------------------

  /** Writes a record; returns the update bytes or null when nothing changed. */
  write(id: string, value: JsonObject, origin: unknown): Uint8Array | null {
    const update = this.mirror.write(id, value, origin)
    if (update) this.queue(update, null)
    return update
  }

  /** Changes only the fields `partial` names (see `DiffCache.patch`); returns the update bytes or null. */
  patch(id: string, partial: JsonObject, origin: unknown): Uint8Array | null {
    const update = this.mirror.edit(this.mirror.planPatch(id, partial), origin)
    if (update) this.queue(update, null)
    return update
  }

  remove(id: string, origin: unknown): Uint8Array | null {
    const update = this.mirror.remove(id, origin)
    if (update) this.queue(update, null)
    return update
  }

  /** The epoch (what a store keeps). */
  epochRecord(): EpochRecord {
    return { info: { ...this.info } }
  }

  /** Puts a stored epoch and state in place, before any link opens. */
  restoreEpoch(record: EpochRecord, state: Uint8Array): void {
    this.mirror.restoreStored(state, record.info.epoch)
    this.info = { ...record.info }
    this.policy.compacted(this.mirror.stateBytes())
  }

  /** Compacts now, whatever the policy says (tests, and the app's "compact" action). */
  compact(): void {
    const parent = this.info.epoch
    const epoch = nextEpoch(parent)
    this.compactTo({ epoch, parent, cutState: this.mirror.fingerprint() })
    this.compactionCount++
    this.afterEpochChange()
  }

  /** Compacts into `info.epoch`; this replica holds exactly what the compaction's cut holds. */
  private compactTo(info: EpochInfo): void {
    this.switchEpoch(info, () => this.mirror.compact(info.epoch))
    this.gate?.newEpoch(info, this.mirror.diff(), this.mirror.doc.clientID)
  }

  /**
   * Moves the mirror to `info`'s epoch with `info` already in place: a store snapshots the new
   * epoch while the mirror switches, and must record the epoch its state belongs to. (It recorded
   * the old one: a restart then dropped every write made after a compaction as another epoch's.)
   */
  private switchEpoch(info: EpochInfo, change: () => void): void {
    const before = this.info
    this.info = { ...info }
    try {
      change()
    } catch (err) {
      this.info = before
      throw err
    }
  }

  // --- links ------------------------------------------------------------------------------------

  /** A connection opened: say which epoch we are in, then ask for what we lack. */
  open(link: ReplicaLink): void {
    const state = new LinkState(link, this.info.epoch)
    const waiting = Array.from(this.links.values()).some((s) => s.asking)
    this.links.set(link, state)
    this.broadcast.add(link)
    this.gate?.opened(link)
    this.antiEntropy?.add(link)
    if (link.followsEpochs) {
      if (this.packing) link.send(encodeFeatures(FEATURE_PACKED))
      link.send(encodeEpochHello(this.info))
      link.send(encodeWriter(this.mirror.doc.clientID))
    }
    if (!waiting) {
      state.asking = true
      state.askedAt = this.clock.now()
      link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
      return
    }
    // Another link is answering our ask: ask this one after it, for what is still missing then.
    state.deferred = true
    this.askTimer ??= this.clock.later(() => this.askDeferred(), ASK_WAIT_MS)
  }

  close(link: ReplicaLink): void {
    const s = this.links.get(link)
    s?.resync?.cancel()
    this.links.delete(link)
    this.broadcast.remove(link)
    this.gate?.closed(link)
    this.antiEntropy?.remove(link)
    if (s?.asking) this.askDeferred()
    this.emit('synced')
  }

  /**
   * Asks the next link whose first sync step 1 waited (one at a time: each answer leaves less for
   * the next); if it does not answer within ASK_WAIT_MS, the one after it is asked too.
   */
  private askDeferred(): void {
    this.askTimer?.cancel()
    this.askTimer = null
    for (const s of this.links.values()) {
      if (!s.deferred) continue
      s.deferred = false
      s.asking = true
      s.askedAt = this.clock.now()
      s.link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
      break
    }
    if (Array.from(this.links.values()).some((s) => s.deferred))
      this.askTimer = this.clock.later(() => this.askDeferred(), ASK_WAIT_MS)
  }

  /** Handles a sync or epoch frame from `link`; throws `InvalidMessageError` when the peer misbehaves. */
  receive(link: ReplicaLink, frame: Frame): void {
    if (this.gate) this.gate.receive(link, frame)
    else this.take(link, frame)
  }

  /** What the signed room's gate needs of this replica. */
  private gateHost(): GateHost {
    return {
      epoch: () => this.info.epoch,
      holds: (update) => this.mirror.holdsAll(inspectUpdate(update)),
      deliver: (link, frame) => this.take(link, frame),
      adoptBase: (link, info, state) => {
        const s = this.links.get(link)
        if (s) this.onBase(s, { ...info, state })
      },
      applySigned: (link, checked, answer) => {
        const s = this.links.get(link)
        if (s && this.inStep(s)) this.applyRemote(s, checked.batch.update, answer ? 'answer' : 'push', checked)
      },
      signed: (checked) => {
        this.outgoing.push({ update: checked.batch.update, except: null, repair: false, writers: [...checked.ranges.keys()], signed: checked })
        this.scheduleFlush()
      },
      refused: (link, error) => this.emit('refused', link.id, error),
      warn: (message) => this.emit('warning', message),
    }
  }

  private take(link: ReplicaLink, frame: Frame): void {
    const s = this.links.get(link)
    if (!s) return
    switch (frame.kind) {
      case 'sync-step1':
        if (!this.inStep(s)) return
        this.answerStep1(link, decodeStateVector(frame.stateVector))
        s.answered = true
        return
      case 'features':
        s.readsPacked = link.followsEpochs && (frame.mask & FEATURE_PACKED) !== 0
        return
      case 'sync-packed':
        if (!this.packing) throw new InvalidMessageError('a packed sync frame, which this peer never asked for')
        if (!this.inStep(s)) return
        this.receive(link, { kind: frame.sub, update: this.unpack(frame.packed, frame.length) })
        return
      case 'sync-step2':
        if (!this.inStep(s)) return
        this.applyRemote(s, frame.update, 'answer')
        if (s.asking) {
          s.asking = false
          this.askDeferred()
        }
        if (!s.synced) {
          s.synced = true
          this.antiEntropy?.synced(link)
          this.emit('synced')
        }
        return
      case 'update':
        if (this.inStep(s)) this.applyRemote(s, frame.update, 'push')
        return
      case 'prune':
      case 'graft':
      case 'have':
      case 'writer':
        if (link.followsEpochs) this.broadcast.receive(link, frame)
        return
      case 'digest':
      case 'digest-want':
      case 'digest-records':
      case 'heal-want':
      case 'heal-state':
        if (link.followsEpochs) this.antiEntropy?.receive(link, frame)
        return
      case 'epoch-hello':
        if (!link.followsEpochs) return
        this.onHello(s, frame)
        return
      case 'epoch-want':
        if (this.gate) {
          if (link.followsEpochs) this.gate.want(link, frame.epoch)
          return
        }
        if (link.followsEpochs && frame.epoch === this.info.epoch && this.info.epoch > 0)
          link.send(encodeEpochBase(this.info, this.mirror.diff()))
        return
      case 'epoch-base':
        if (link.followsEpochs) this.onBase(s, frame)
        return
      default:
        return
    }
  }

  /**
   * Sends what a peer whose state vector is `sv` lacks. A DiffStream peer gets a large answer in
   * pieces of SYNC_PIECE_BYTES (update frames, the last one as the step 2), each of which it can
   * apply on its own (see update-split.ts): it applies them one task at a time as they arrive, so
   * its event loop and UI breathe and applying overlaps the transfer. A y-webrtc peer gets the one
   * step 2 it expects.
   */
  private answerStep1(link: ReplicaLink, sv: Map<number, number>): void {
    if (this.gate && link.followsEpochs) {
      this.gate.answer(link, sv)
      return
    }
    const diff = this.mirror.diff(encodeStateVector(sv))
    const pieces = link.followsEpochs ? splitUpdate(diff, SYNC_PIECE_BYTES, sv, SYNC_FIRST_PIECE_BYTES) : [diff]
    const s = this.links.get(link)
    const packing = pieces.length > 1 && s?.readsPacked ? this.packing : null
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      const last = i === pieces.length - 1
      if (packing) link.send(encodeSyncPacked(last, piece.length, packing.deflate(piece)))
      else link.send(last ? encodeSyncStep2(piece) : encodeUpdate(piece))
    }
  }

  /** Raw DEFLATE for packed sync frames, when the platform has it synchronously (the room sets it). */
  packing: Packing | null = null
  /** Largest update a packed frame may inflate to. */
  maxPackedBytes = 64 * 1024 * 1024

  private unpack(packed: Uint8Array, length: number): Uint8Array {
    if (length > this.maxPackedBytes)
      throw new InvalidMessageError(
        `a packed sync frame of ${length} bytes exceeds the limit of ${this.maxPackedBytes}`,
      )
    try {
      return this.packing!.inflate(packed, length)
    } catch (err) {
      throw new InvalidMessageError('a packed sync frame does not inflate to its declared size', { cause: err })
    }
  }

  private isInStep(link: ReplicaLink): boolean {
    const s = this.links.get(link)
    return s !== undefined && this.inStep(s)
  }

  /** Frames of the Yjs sync count only from a peer in our epoch: others' build on another document. */
  private inStep(s: LinkState): boolean {
    return s.link.followsEpochs ? s.remoteEpoch === this.info.epoch : s.openedIn === this.info.epoch
  }

  private onHello(s: LinkState, info: EpochInfo): void {
    // The first hello of a link opened in this epoch: the sync step 1 of open() (sent or waiting
    // its turn) stands, and a second one would only bring the state again.
    const first = s.remoteEpoch === null && s.openedIn === this.info.epoch && info.epoch === this.info.epoch
    const wasIn = first || s.remoteEpoch === this.info.epoch
    s.remoteEpoch = info.epoch
    if (info.epoch === this.info.epoch) {
      // It just moved into our epoch: its sync step 1 follows on the channel; ours starts anew.
      if (!wasIn) {
        s.synced = false
        s.answered = false
        s.link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
      }
      return
    }
    s.synced = false
    s.answered = false
    if (info.epoch < this.info.epoch) return // it adopts ours from our hello
    if (info.parent === this.info.epoch && info.cutState === this.mirror.fingerprint()) {
      // We hold exactly what it compacted: compacting the same way gives the same document.
      this.compactTo(info)
      this.afterEpochChange()
      return
    }
    if (s.wanted !== info.epoch) {
      s.wanted = info.epoch
      s.link.send(encodeEpochWant(info.epoch))
    }
  }

  private onBase(s: LinkState, frame: EpochInfo & { state: Uint8Array }): void {
    if (frame.epoch <= this.info.epoch) return
    const inspection = inspectUpdate(frame.state)
    if (!holdsBase(inspection, frame.epoch))
      throw new InvalidMessageError(`epoch ${frame.epoch}: the base sent is incomplete`)
    try {
      const info = { epoch: frame.epoch, parent: frame.parent, cutState: frame.cutState }
      this.switchEpoch(info, () => this.mirror.adopt(frame.state, frame.epoch))
    } catch (err) {
      throw new InvalidMessageError(`epoch ${frame.epoch}: the base does not apply`, { cause: err })
    }
    this.gate?.newEpoch(this.info, frame.state, this.mirror.doc.clientID)
    s.remoteEpoch = frame.epoch
    this.afterEpochChange()
  }

  /** After any move: tell every peer, drop y-webrtc peers (they cannot follow), send what was carried. */
  private afterEpochChange(): void {
    this.held.discard(() => true)
    this.policy.compacted(this.mirror.stateBytes())
    for (const s of Array.from(this.links.values())) {
      s.synced = false
      s.answered = false
      s.resync?.cancel()
      s.resync = null
      if (!s.link.followsEpochs) {
        this.links.delete(s.link)
        s.link.drop('a y-webrtc peer cannot follow a compaction; it must rejoin with an empty document')
        continue
      }
      s.link.send(encodeEpochHello(this.info))
      if (s.remoteEpoch === this.info.epoch) s.link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
    }
    const replayed = this.mirror.takeReplayed()
    if (replayed) this.queue(replayed, null)
    this.emit('epoch', this.info.epoch)
    this.emit('synced')
  }

  /**
   * The document was replaced within this epoch (a heal, see replica-heal.ts): held updates go, the
   * neighbours learn the new writer id and are asked again, and what was carried is sent.
   */
  restarted(): void {
    this.held.discard(() => true)
    const writer = encodeWriter(this.mirror.doc.clientID)
    for (const s of this.links.values()) {
      if (s.link.followsEpochs) s.link.send(writer)
      if (this.inStep(s)) s.link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
    }
    const replayed = this.mirror.takeReplayed()
    if (replayed) this.queue(replayed, null)
  }

  // --- remote updates ---------------------------------------------------------------------------

  /**
   * Applies an update from `s`: `push` a relayed update (a duplicate then prunes that link), `held`
   * a push that waited for what it builds on, `answer` a sync answer (step 2, never pruned).
   */
  private applyRemote(s: LinkState, update: Uint8Array, how: 'push' | 'held' | 'answer', signed?: CheckedBatch): void {
    const inspection = inspectUpdate(update)
    if (!dependenciesMet(inspection, (c) => this.mirror.clock(c))) {
      // Arrived ahead of what it builds on (relayed out of order): hold it and ask this peer for
      // what we lack, instead of letting Yjs integrate half of it.
      this.held.add({ update, inspection, from: s, signed })
      this.requestResync(s)
      return
    }
    // Structs under this copy's own client ids that it never wrote: forged (docs/anti-entropy.md).
    if (this.antiEntropy?.refuses(s.link, inspection)) return
    const writers = Array.from(inspection.ranges.keys())
    // A relay of what we hold: nothing to apply, nothing to relay, and that link is off these writers' trees.
    if (this.mirror.holdsAll(inspection)) {
      if (how !== 'answer') this.broadcast.duplicate(s.link, writers)
      return
    }
    // Writers whose part of it we held already: this link is not their shortest way here.
    const held = how !== 'answer' ? writers.filter((w) => inspection.ranges.get(w)!.end <= this.mirror.clock(w)) : []
    if (held.length > 0) this.broadcast.duplicate(s.link, held)
    const before = this.mirror.fingerprint()
    try {
      this.mirror.tryApply(update, s.link)
    } catch (err) {
      throw new InvalidMessageError('an update from this peer does not apply', { cause: err })
    }
    this.antiEntropy?.applied(s.link, inspection)
    if (this.mirror.fingerprint() !== before) {
      if (how !== 'answer')
        this.broadcast.fresh(s.link, held.length > 0 ? writers.filter((w) => !held.includes(w)) : writers)
      if (signed) this.gate?.keep(signed)
      this.queue(update, s.link, how === 'answer', writers, signed)
    }
    const repaired = this.mirror.takeReplayed()
    if (repaired) this.queue(repaired, null)
    for (;;) {
      const next = this.held.takeReady((h) => dependenciesMet(h.inspection, (c) => this.mirror.clock(c)))
      if (!next) break
      try {
        // It counts as pushed by the link it came from (if that link is still open).
        this.applyRemote(this.links.get(next.from.link) === next.from ? next.from : s, next.update, 'held', next.signed)
      } catch {
        // a held update that no longer applies is dropped; a state-vector sync recovers
      }
    }
  }

  /** Asks for what we lack at most every RESYNC_EVERY_MS: one state-vector sync answers every gap. */
  private requestResync(s: LinkState): void {
    if (s.resync) return
    // A first sync is under way (a newcomer, or a peer back from offline): its answer brings what
    // the held update builds on, and asking every link that pushes meanwhile would bring it each time.
    const now = this.clock.now()
    for (const o of this.links.values())
      if (o !== s && o.asking && this.inStep(o) && now - o.askedAt < ASK_WAIT_MS) return
    const ask = (): void => {
      s.resync = null
      if (this.links.get(s.link) !== s || !this.inStep(s)) return
      s.lastResync = this.clock.now()
      s.link.send(encodeSyncStep1(this.mirror.encodeStateVector()))
    }
    const wait = s.lastResync + RESYNC_EVERY_MS - this.clock.now()
    if (wait <= 0) ask()
    else s.resync = this.clock.later(ask, wait)
  }

  // --- outgoing updates: batched per tick, pushed along the broadcast tree (not to their source) --

  private queue(update: Uint8Array, except: ReplicaLink | null, repair = false, writers?: number[], signed?: CheckedBatch): void {
    const ws = writers ?? Array.from(inspectUpdate(update).ranges.keys())
    if (except === null) this.antiEntropy?.wrote()
    this.broadcast.saw(ws)
    this.outgoing.push({ update, except, repair, writers: ws, signed })
    this.broadcast.changed()
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(() => this.flush())
  }

  /** Sends what was queued; a writer then checks whether it is time to compact. */
  flush(): void {
    this.flushScheduled = false
    let items = this.outgoing
    this.outgoing = []
    // A signed room sends only signed batches: what this peer wrote is signed first (and comes back).
    if (this.gate) items = this.gate.outgoing(items, this.mirror.doc.clientID)
    if (items.length > 0) {
      const tree = this.broadcast.mode === 'tree'
      for (const s of this.links.values()) {
        if (!this.inStep(s)) continue
        const mine = items.filter((i) => i.except !== s.link && this.broadcast.pushesTo(s.link, i.writers))
        if (this.gate) {
          // Signed batches travel one by one (merging would break their signatures); the tree's
          // rule for repairs is the same as below.
          const answered = s.synced || s.answered
          for (const i of mine) if (!tree || !i.repair || answered) this.gate.send(s.link, i.signed!, tree && i.repair)
          continue
        }
        // On the tree, what a sync answer brought goes on as a sync answer too: to the peers below
        // this one, which lack it as well, but not as a push, since the peer above, which may hold
        // it, would take it for a duplicate and prune this link. A peer whose step 1 we have not
        // answered yet gets it in that answer; once answered, it must get it here (a y-webrtc peer
        // has no other way to learn of it: it never compares states again).
        const pushes = tree ? mine.filter((i) => !i.repair).map((i) => i.update) : mine.map((i) => i.update)
        const repairs = tree && (s.synced || s.answered) ? mine.filter((i) => i.repair).map((i) => i.update) : []
        if (pushes.length > 0) s.link.send(encodeUpdate(merged(pushes)))
        if (repairs.length > 0) s.link.send(encodeSyncStep2(merged(repairs)))
      }
    }
    // (in a signed room only a writer compacts: nobody else can sign the base)
    if (this.options.compacts && (this.gate?.writes ?? true) && items.some((i) => i.except === null)) this.maybeCompact()
  }

  private maybeCompact(): void {
    // A y-webrtc peer cannot follow: compaction waits while one is connected.
    for (const s of this.links.values()) if (!s.link.followsEpochs) return
    if (this.policy.due(this.mirror)) this.compact()
  }

  destroy(): void {
    for (const s of this.links.values()) s.resync?.cancel()
    this.askTimer?.cancel()
    this.broadcast.destroy()
    this.antiEntropy?.destroy()
    this.links.clear()
    this.mirror.destroy()
  }
}

interface Outgoing {
  update: Uint8Array
  except: ReplicaLink | null
  repair: boolean
  writers: number[]
  /** In a signed room: the signed batch this update travels in. */
  signed?: CheckedBatch
}

const merged = (updates: Uint8Array[]): Uint8Array => (updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates))
