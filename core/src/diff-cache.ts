import * as Y from 'yjs'
import { holdsBase } from './base-doc.js'
import { CompactionPolicy } from './compaction-policy.js'
import {
  DataMsg,
  decodeInspected,
  DEFAULT_MAX_MESSAGE_BYTES,
  inspectMessage,
  type Command,
  type EpochCut,
} from './data-msg.js'
import { baseClientOf, nextEpoch } from './epoch.js'
import { Emitter } from './emitter.js'
import {
  CacheKeyError,
  CacheKeyWarning,
  ChecksumMismatchError,
  DiffStreamError,
  DivergedError,
  InvalidMessageError,
  KeyNotFoundError,
  NoChangeError,
  PatchMismatchError,
  ReadOnlyError,
  StaleEpochError,
  WriteOnlyError,
} from './errors.js'
import { HeldMessages } from './held.js'
import { checkWhole, describeSource, divergedError, findDivergence, holdsWhole } from './integrity.js'
import { cloneJson, type JsonObject } from './json.js'
import { checkPatch, checkRecord } from './record.js'
import { Persistence } from './store/persistence.js'
import { keyId, type Key, type KeyLike } from './keys.js'
import type { SourceDigest } from './source-digest.js'
import { Mirror, type RecordChange } from './mirror.js'
import { decodeStateVector, encodeStateVector } from './state-vector.js'
import { StatsCounter, type CacheStats } from './stats.js'
import type { ApplyResult, DiffCacheEvents, DiffCacheOptions, RecordPatch, Role } from './types.js'
import { dependenciesMet, type UpdateInspection } from './update-inspect.js'

const LOCAL = Symbol('diffstream-local')
const REMOTE = Symbol('diffstream-remote')
/** What Yjs emits for a transaction that changed nothing: no structs, no deletes. */
const EMPTY_UPDATE = Uint8Array.of(0, 0)
/** How many messages after a compaction carry its cut, so that receivers in sync follow without a retran. */
const CUT_MESSAGES = 4

/**
 * A cache of keyed records kept in sync by messages that carry only what changed: the DiffStream
 * producer/consumer facade over a Yjs mirror.
 *
 * @example
 * ```ts
 * import { DiffCache } from '@diffstream/core'
 *
 * const producer = DiffCache.producer()
 * const consumer = DiffCache.consumer()
 * const msg = producer.update({ key: 1, name: 'a' })
 * const [cmd, key, data] = consumer.update(msg.encode()) // 'new', 1, { key: 1, name: 'a' }
 * consumer.on('change', ({ key, data, origin }) => console.log(origin, key, data))
 * consumer.update(producer.update({ key: 1, name: 'b' }).encode()) // remote 1 { key: 1, name: 'b' }
 * ```
 */
export class DiffCache<T extends object = JsonObject> extends Emitter<DiffCacheEvents<T>> {
  /** A cache that writes records and emits messages. */
  static producer<T extends object = JsonObject>(options: DiffCacheOptions = {}): DiffCache<T> {
    return new DiffCache<T>('producer', options)
  }

  /** A cache that applies messages; it cannot write. */
  static consumer<T extends object = JsonObject>(options: DiffCacheOptions = {}): DiffCache<T> {
    return new DiffCache<T>('consumer', options)
  }

  /** A cache that both writes and applies messages; concurrent writers merge. */
  static peer<T extends object = JsonObject>(options: DiffCacheOptions = {}): DiffCache<T> {
    return new DiffCache<T>('peer', options)
  }

  /** What this cache may do: see {@link Role}. */
  readonly role: Role
  /** The field that holds each record's key (option `keyName`). */
  readonly keyName: string
  /** Whether the cache keeps and returns copies (option `copy`). */
  readonly copy: boolean
  /** Whether an update that changes nothing throws (option `strict`). */
  readonly strict: boolean
  private readonly mirror: Mirror
  private readonly counters = new StatsCounter()
  private readonly held: HeldMessages<{ update: Uint8Array; inspection: UpdateInspection; msg: DataMsg }>
  private readonly maxMessageBytes: number
  /** With `copy: false`, the caller's own objects, until a remote change replaces them. */
  private readonly own = new Map<string, T>()
  private readonly policy: CompactionPolicy
  /** The cut of this cache's last compaction, sent with the next few messages. */
  private cut: EpochCut | null = null
  private cutLeft = 0
  /** Local writes replayed onto an adopted epoch, sent with the next message. */
  private replayed: Uint8Array | null = null
  private compactionCount = 0
  private readonly persistence: Persistence | null
  private readonly loaded: Promise<void>

  /** A cache of this role; {@link DiffCache.producer}, `consumer()` and `peer()` say the same more briefly. */
  constructor(role: Role, options: DiffCacheOptions = {}) {
    super()
    this.role = role
    this.keyName = options.keyName ?? 'key'
    this.copy = options.copy ?? true
    this.strict = options.strict ?? false
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.held = new HeldMessages(options.maxHeldBytes ?? 16 * 1024 * 1024)
    this.policy = new CompactionPolicy(options.compaction)
    // Only a cache that receives needs a way back from an update it refuses after applying it, and
    // only one that also sends can carry what it holds into an epoch it adopts, or put a stamped
    // winner back (docs/compaction.md).
    this.mirror = new Mirror({ recoverable: role !== 'producer', carries: role === 'peer' })
    this.mirror.onChange((changes, origin) => this.onMirrorChange(changes, origin))
    const cache = this
    this.persistence = options.store
      ? new Persistence(
          options.store,
          {
            mirror: this.mirror,
            epochRecord: () => ({
              info: { epoch: cache.mirror.epoch, parent: cache.cut?.parent ?? 0, cutState: cache.cut?.state ?? 0 },
            }),
            restoreEpoch: (record, state) => {
              cache.mirror.restoreStored(state, record.info.epoch)
              cache.policy.compacted(cache.mirror.stateBytes())
            },
          },
          (err) => this.emit('error', err instanceof Error ? err : new Error(String(err))),
        )
      : null
    this.loaded = this.persistence ? this.persistence.load().then(() => undefined) : Promise.resolve()
    this.loaded.catch(() => undefined)
  }

  /** Resolves once the cache's stored data is loaded (at once without a `store`). */
  whenLoaded(): Promise<void> {
    return this.loaded
  }

  /** Resolves once every write and received message so far is durable in the store (at once without a `store`). */
  whenStored(): Promise<void> {
    return this.persistence ? this.persistence.whenStored() : Promise.resolve()
  }

  /** Waits for what is pending, releases the store, then {@link DiffCache.destroy | destroys} the cache. */
  async close(): Promise<void> {
    await this.loaded.catch(() => undefined)
    await this.persistence?.close()
    this.destroy()
  }

  /**
   * Producer/peer: stores `data` and returns the message that brings others up to date (`new` the
   * first time its key is seen, then `upd`). Only what changed is written and sent.
   * @throws {@link MissingKeyError} `data` has no key field; {@link UnsupportedValueError} it is not
   * JSON; {@link NoChangeError} (`strict`) nothing changed; {@link ReadOnlyError} on a consumer.
   */
  update(data: T): DataMsg
  /**
   * Consumer/peer: applies a message (or its bytes) and returns `[cmd, key, data]`. A message that
   * builds on one this cache missed is held (and applied once the gap fills) and throws.
   * @throws {@link PatchMismatchError}, {@link CacheKeyError}, {@link CacheKeyWarning}: a gap (see
   * {@link DiffCache.retran}); {@link ChecksumMismatchError}, {@link InvalidMessageError}: refused,
   * nothing applied; {@link StaleEpochError}: from an epoch before the last compaction;
   * {@link WriteOnlyError} on a producer.
   */
  update(msg: DataMsg | Uint8Array): ApplyResult<T>
  update(input: T | DataMsg | Uint8Array): DataMsg | ApplyResult<T> {
    if (input instanceof DataMsg || input instanceof Uint8Array) return this.receive(input)
    return this.write(input)
  }

  /**
   * Producer/peer: changes only the fields that `partial` names in the record `key`, and returns the
   * `upd` message. For callers who know what changed: the cost follows `partial`, while `update()`
   * compares the whole record with the mirror to find the change. A field set to `undefined` is
   * deleted; a plain object merges into an object field the same way (recursively); an array or any
   * other value replaces the field. The key field cannot change. Throws `KeyNotFoundError` when
   * there is no such record (create it with `update()`), and `UnsupportedValueError`, changing
   * nothing, when a value is not JSON.
   *
   * @example
   * ```ts
   * import { DiffCache } from '@diffstream/core'
   *
   * const producer = DiffCache.producer()
   * const consumer = DiffCache.consumer()
   * consumer.update(producer.update({ key: 'lot-1', title: 'Lamp', last_bid: { user: 'Ann', price: 10 } }).encode())
   * const msg = producer.patch('lot-1', { last_bid: { price: 12 } })   // only `price` travels
   * consumer.update(msg.encode())   // ['upd', 'lot-1', { key: 'lot-1', title: 'Lamp', last_bid: { user: 'Ann', price: 12 } }]
   * ```
   */
  patch(key: KeyLike, partial: RecordPatch<T>): DataMsg {
    this.assertWriter('patch')
    const id = keyId(key)
    if (!this.mirror.has(id)) throw new KeyNotFoundError(`no record with key ${JSON.stringify(key)}`)
    const checked = checkPatch(partial, this.keyName, this.keyOf(id))
    this.maybeCompact()
    const edits = this.mirror.planPatch(id, checked)
    let update = this.mirror.edit(edits, LOCAL)
    if (!update) {
      if (this.strict && !this.replayed) throw new NoChangeError(`the patch of ${JSON.stringify(key)} changes nothing`)
      update = EMPTY_UPDATE
    }
    update = this.withReplayed(update)
    // the caller's object no longer holds the record
    this.own.delete(id)
    const digest = this.mirror.digest(id)!
    const msg = this.message('upd', this.keyOf(id), update, digest.hash)
    this.counters.sentMessage('upd', msg.byteLength, digest.bytes)
    return msg
  }

  /** Deletes the record `key` and returns the `del` message. */
  delete(key: KeyLike): DataMsg {
    this.assertWriter('delete')
    const id = keyId(key)
    if (!this.mirror.has(id)) throw new KeyNotFoundError(`no record with key ${JSON.stringify(key)}`)
    this.maybeCompact()
    const storedKey = this.keyOf(id)
    const update = this.withReplayed(this.mirror.remove(id, LOCAL)!)
    const msg = this.message('del', storedKey, update)
    this.counters.sentMessage('del', msg.byteLength, 0)
    return msg
  }

  /**
   * A `ret` message with what a consumer whose state vector is `stateVector` lacks, or everything
   * this cache holds when no vector is given. It makes a consumer that raised
   * `PatchMismatchError` or `CacheKeyError` whole. For a key this cache does not hold (deleted, or
   * never written) the message still brings the consumer up to date, deletions included, and
   * carries no checksum; the consumer answers `['ret', key, null]`.
   *
   * The message also carries what this cache holds ({@link DataMsg.source}: its state vector and a
   * digest of its records), so that the consumer finds out when it is still not what this cache
   * holds afterwards: it throws {@link DivergedError}, and `consumer.resync(retran(key))` (no state
   * vector: the whole state) repairs it. See docs/integrity.md.
   */
  retran(key: KeyLike, stateVector?: Uint8Array): DataMsg {
    const id = keyId(key)
    const sv = stateVector === undefined ? undefined : encodeStateVector(decodeStateVector(stateVector))
    // A vector from another epoch names none of this epoch's clients, so the diff holds everything.
    const update = this.mirror.diff(sv)
    const digest = this.mirror.digest(id)
    const source = describeSource(this.mirror, this.vouched())
    const msg = digest
      ? this.message('ret', this.keyOf(id), update, digest.hash, source)
      : new DataMsg({ cmd: 'ret', key: key instanceof Uint8Array ? id : key, update, epoch: this.mirror.epoch, source })
    this.counters.sentMessage('ret', msg.byteLength, digest?.bytes ?? 0)
    return msg
  }

  /**
   * Consumer/peer: discards this cache's state and takes the whole state of `msg`'s sender instead
   * of merging: the recovery from {@link DivergedError}, when a forged or corrupted update made
   * this copy hold what its source never wrote. `msg` is a full retran from a source this cache
   * trusts: `source.retran(key)` without a state vector. It may be of any epoch, older ones
   * included. A peer keeps its own writes that the source has not seen and sends them on (a
   * `repair` event, or with its next message); everything else it held is dropped, and so are the
   * messages it held back. Returns `['ret', key, record]` like `update`. See docs/integrity.md.
   *
   * @example
   * ```ts
   * import { DiffCache, DivergedError } from '@diffstream/core'
   *
   * const producer = DiffCache.producer()
   * const consumer = DiffCache.consumer()
   * consumer.update(producer.update({ key: 'lot-1', price: 10 }).encode())
   * try {
   *   consumer.update(producer.retran('lot-1', consumer.stateVector()))
   * } catch (err) {
   *   if (err instanceof DivergedError) consumer.resync(producer.retran('lot-1'))
   * }
   * ```
   * @throws {@link InvalidMessageError} not a `ret` from `retran`, or not the whole state (a retran
   * given a state vector), or malformed; {@link ChecksumMismatchError} its state does not match its
   * own digest; {@link WriteOnlyError} on a producer. Nothing changes then.
   */
  resync(input: DataMsg | Uint8Array): ApplyResult<T> {
    if (this.role === 'producer') throw new WriteOnlyError('a producer does not apply messages; use DiffCache.peer()')
    const { msg, inspection } = this.inspect(input)
    const source = msg.source
    if (msg.cmd !== 'ret' || !source)
      throw new InvalidMessageError(`${describe(msg)}: resync takes a message of retran()`)
    if (!holdsWhole(inspection, source.stateVector))
      throw new InvalidMessageError(
        `${describe(msg)}: not the whole state; resync takes a retran without a state vector`,
      )
    // What the source has seen of this copy's own writes (nothing, when it is in another epoch).
    const seen = this.role === 'peer' ? (msg.epoch === this.mirror.epoch ? source.stateVector : new Map()) : null
    this.mirror.takeReplayed()
    this.replayed = null
    try {
      this.mirror.replace(
        msg.update,
        msg.epoch,
        (root, fingerprint) => checkWhole(msg, source, root, fingerprint, this.mirror.views),
        seen,
      )
    } catch (err) {
      if (err instanceof DiffStreamError) throw err
      throw new InvalidMessageError(`${describe(msg)}: the state does not apply`, { cause: err })
    }
    this.held.discard(() => true)
    this.cut = null
    this.cutLeft = 0
    if (this.role !== 'consumer') this.policy.compacted(this.mirror.stateBytes())
    this.counters.receivedMessage(msg.byteLength)
    this.sendRepairs(msg.key)
    return [msg.cmd, msg.key, this.get(keyId(msg.key)) ?? null]
  }

  /**
   * Compacts now: starts a new epoch whose document holds only the live records (see
   * docs/compaction.md). Writers also do this by themselves when the `compaction` option allows.
   */
  compact(): void {
    this.assertWriter('compact')
    this.compactNow()
  }

  /** The epoch this cache is in: 0 until the first compaction, then an id that only grows. */
  get epoch(): number {
    return this.mirror.epoch
  }

  /** How many times this cache compacted by itself. */
  get compactions(): number {
    return this.compactionCount
  }

  /** Bytes of this cache's whole state (what a newcomer's catch-up costs). */
  stateBytes(): number {
    return this.mirror.stateBytes()
  }

  /** This cache's Yjs state vector: what it has seen, for `retran`. */
  stateVector(): Uint8Array {
    return this.mirror.encodeStateVector()
  }

  /** The record with this key (a copy unless `copy: false`), or undefined. */
  get(key: KeyLike): T | undefined {
    const id = keyId(key)
    const own = this.own.get(id)
    if (own !== undefined) return own
    const v = this.mirror.read(id)
    if (v === undefined) return undefined
    return (this.copy ? cloneJson(v) : v) as T
  }

  /** Whether a record with this key exists. */
  has(key: KeyLike): boolean {
    return this.mirror.has(keyId(key))
  }

  /** Number of records. */
  get size(): number {
    return this.mirror.size
  }

  /** The keys of all records, as their records hold them (numbers stay numbers). */
  keys(): Key[] {
    return Array.from(this.mirror.ids(), (id) => this.keyOf(id))
  }

  /** Messages and bytes sent and received, next to what full JSON would have cost. */
  get stats(): CacheStats {
    return this.counters.snapshot()
  }

  /** For logs: `DiffCache producer`. */
  override toString(): string {
    return `DiffCache ${this.role}`
  }

  /** Releases the mirror. The cache must not be used afterwards. */
  destroy(): void {
    this.mirror.destroy()
  }

  private write(data: T): DataMsg {
    this.assertWriter('update')
    const { key, id, value } = checkRecord(data, this.keyName)
    this.maybeCompact()
    const existed = this.mirror.has(id)
    let update = this.mirror.write(id, value, LOCAL)
    if (!update) {
      if (this.strict && !this.replayed) throw new NoChangeError(`the update of ${JSON.stringify(key)} changes nothing`)
      update = EMPTY_UPDATE
    }
    update = this.withReplayed(update)
    if (!this.copy) this.own.set(id, data)
    const cmd: Command = existed ? 'upd' : 'new'
    // The checksum and the JSON size come from the mirror's views, which the write only
    // invalidated along the paths it changed: neither walks the whole record.
    const digest = this.mirror.digest(id)!
    const msg = this.message(cmd, key, update, digest.hash)
    this.counters.sentMessage(cmd, msg.byteLength, digest.bytes)
    return msg
  }

  /** A message of this cache's epoch (with the cut of a fresh compaction) and its state fingerprint. */
  private message(
    cmd: Command,
    key: Key,
    update: Uint8Array,
    checksum = 0,
    source: SourceDigest | null = null,
  ): DataMsg {
    let cut: EpochCut | null = null
    if (this.cutLeft > 0) {
      this.cutLeft--
      cut = this.cut
    }
    return new DataMsg({ cmd, key, update, checksum, state: this.fingerprint(), epoch: this.mirror.epoch, cut, source })
  }

  /**
   * The client ids whose clocks this cache vouches for in a retran: a producer is its stream's only
   * writer; a peer knows only what it wrote itself, and the epoch's base (docs/integrity.md).
   */
  private vouched(): 'all' | number[] {
    if (this.role === 'producer') return 'all'
    const own = this.mirror.ownClients()
    const epoch = this.mirror.epoch
    return epoch > 0 ? [...own, baseClientOf(epoch)] : own
  }

  /** Takes what the mirror wrote to carry or put back values, to send with the next message. */
  private keepRepairs(): void {
    const update = this.mirror.takeReplayed()
    if (update) this.replayed = this.replayed ? Y.mergeUpdates([this.replayed, update]) : update
  }

  /**
   * Sends what the mirror wrote on its own as a `repair` event (a `ret` message, which others apply
   * like a retransmission), or keeps it for the next message when nobody listens.
   */
  private sendRepairs(key: Key): void {
    this.keepRepairs()
    const update = this.replayed
    if (!update || this.listenerCount('repair') === 0) return
    this.replayed = null
    // The checksum names one record the receiver can check; with none left, the message carries no state.
    const id = this.mirror.has(keyId(key)) ? keyId(key) : this.mirror.ids().next().value
    const msg =
      id === undefined
        ? new DataMsg({ cmd: 'ret', key, update, epoch: this.mirror.epoch })
        : this.message('ret', this.keyOf(id), update, this.mirror.digest(id)!.hash)
    this.counters.sentMessage('ret', msg.byteLength, 0)
    this.emit('repair', msg)
  }

  private withReplayed(update: Uint8Array): Uint8Array {
    const replayed = this.replayed
    if (!replayed) return update
    this.replayed = null
    return update === EMPTY_UPDATE ? replayed : Y.mergeUpdates([replayed, update])
  }

  private maybeCompact(): void {
    if (this.policy.due(this.mirror)) this.compactNow()
  }

  private compactNow(): void {
    const parent = this.mirror.epoch
    const state = this.fingerprint()
    this.mirror.compact(nextEpoch(parent))
    this.cut = { parent, state }
    this.cutLeft = CUT_MESSAGES
    this.compactionCount++
    this.policy.compacted(this.mirror.stateBytes())
  }

  /**
   * Moves to the newer epoch of `msg` if it can: from a message that holds that epoch's whole base
   * (a retran), or — when this cache holds exactly the state the sender compacted — by compacting
   * the same way itself. Returns how, or null when it cannot (the message is then held). An adopted
   * message has been applied and checked whole.
   */
  private enterEpoch(msg: DataMsg, inspection: UpdateInspection): 'adopted' | 'compacted' | null {
    let how: 'adopted' | 'compacted'
    if (holdsBase(inspection, msg.epoch)) {
      try {
        this.mirror.adopt(msg.update, msg.epoch, (root, fingerprint) => {
          if (msg.cmd === 'del' || msg.state === 0 || msg.state !== (fingerprint || 1)) return
          const hash = this.mirror.views.digest(root.get(keyId(msg.key))).hash
          if (hash !== msg.checksum)
            throw new ChecksumMismatchError(
              `${describe(msg)}: the record would hash to ${hash}, the message says ${msg.checksum}`,
            )
        })
      } catch (err) {
        if (err instanceof DiffStreamError) throw err
        throw new InvalidMessageError(`${describe(msg)}: the epoch's base does not apply`, { cause: err })
      }
      how = 'adopted'
    } else if (msg.cut && msg.cut.parent === this.mirror.epoch && msg.cut.state === this.fingerprint()) {
      this.mirror.compact(msg.epoch)
      how = 'compacted'
    } else {
      return null
    }
    this.keepRepairs()
    // Only a writer compacts by itself; measuring the state costs a full encode.
    if (this.role !== 'consumer') this.policy.compacted(this.mirror.stateBytes())
    const epoch = this.mirror.epoch
    this.held.discard((h) => h.msg.epoch < epoch)
    return how
  }

  /** Checks a message, or decodes and checks its bytes, and inspects its update. */
  private inspect(input: DataMsg | Uint8Array): { msg: DataMsg; inspection: UpdateInspection } {
    if (input instanceof DataMsg) return { msg: input, inspection: inspectMessage(input) }
    return decodeInspected(input, { maxBytes: this.maxMessageBytes })
  }

  private receive(input: DataMsg | Uint8Array): ApplyResult<T> {
    if (this.role === 'producer') throw new WriteOnlyError('a producer does not apply messages; use DiffCache.peer()')
    const { msg, inspection } = this.inspect(input)
    const id = keyId(msg.key)
    if (msg.epoch < this.mirror.epoch) {
      throw new StaleEpochError(
        `${describe(msg)}: from epoch ${msg.epoch}, older than this cache's ${this.mirror.epoch}`,
      )
    }
    const entered = msg.epoch > this.mirror.epoch ? this.enterEpoch(msg, inspection) : null
    if (msg.epoch > this.mirror.epoch && entered === null) {
      const dropped = this.held.add({ update: msg.update, inspection, msg })
      this.counters.held++
      this.counters.dropped += dropped
      throw new PatchMismatchError(
        `${describe(msg)}: from epoch ${msg.epoch}, newer than this cache's ${this.mirror.epoch}; held until a retran brings that epoch`,
      )
    }
    if (entered === 'adopted') {
      // applied and checked with the base: applying it again would only cost a second pass
      this.counters.receivedMessage(msg.byteLength)
      this.drainHeld()
      this.sendRepairs(msg.key)
      return msg.cmd === 'del' ? ['del', msg.key, null] : [msg.cmd, msg.key, this.get(id) ?? null]
    }
    // Messages of this epoch held while this cache was behind may apply now, and this one on them.
    if (entered === 'compacted') this.drainHeld()
    const had = this.mirror.has(id)
    if (!this.ready(inspection)) {
      const dropped = this.held.add({ update: msg.update, inspection, msg })
      this.counters.held++
      this.counters.dropped += dropped
      if (msg.cmd === 'upd' && !had)
        throw new CacheKeyError(`${describe(msg)}: this cache never had that record; held until it arrives`)
      if (msg.cmd === 'del' && !had) throw new CacheKeyWarning(`${describe(msg)}: this cache does not hold that record`)
      throw new PatchMismatchError(`${describe(msg)}: builds on changes this cache missed; held until they arrive`)
    }
    this.applyChecked(msg, id)
    this.drainHeld()
    this.sendRepairs(msg.key)
    // A deletion is a tombstone with a stamp (docs/compaction.md): it is applied even where the record
    // was already gone, since later messages of its sender build on it; the caller still hears so.
    if (msg.cmd === 'del' && !had)
      throw new CacheKeyWarning(`del ${JSON.stringify(msg.key)}: this cache did not hold that record`)
    if (msg.cmd === 'del') return ['del', msg.key, null]
    return [msg.cmd, msg.key, this.get(id) ?? null]
  }

  private ready(inspection: UpdateInspection): boolean {
    return dependenciesMet(inspection, (client) => this.mirror.clock(client))
  }

  /**
   * Applies a message whose dependencies are met, or throws and changes nothing: an update that
   * makes Yjs throw, or leaves the record not matching its checksum, is undone by going back to the
   * mirror's recovery point, and nobody hears of the changes it made.
   */
  private applyChecked(msg: DataMsg, id: string): void {
    try {
      this.mirror.tryApply(msg.update, REMOTE, () => {
        // A retran says what its sender holds: a copy that still differs is refused (integrity.ts),
        // which also covers the record's checksum.
        const d = msg.source && findDivergence(this.mirror, msg.source, msg.state)
        if (d) throw divergedError(describe(msg), d, (rid) => this.keyOf(rid))
        this.checkChecksum(msg, id)
      })
    } catch (err) {
      if (err instanceof DiffStreamError) throw err
      throw new InvalidMessageError(`${describe(msg)}: the update does not apply`, { cause: err })
    }
    this.counters.receivedMessage(msg.byteLength)
  }

  /**
   * The checksum describes the sender's record; it can only be compared when this cache holds
   * exactly what the sender held (same inserts and deletes). Otherwise concurrent writes, or a
   * delete-only message still on its way, make them differ legitimately and the CRDT merge is what
   * counts. A message without a state fingerprint is never compared.
   */
  private checkChecksum(msg: DataMsg, id: string): void {
    if (msg.cmd === 'del' || msg.state === 0 || msg.state !== this.mirror.fingerprint()) return
    const hash = this.mirror.digest(id)?.hash ?? 0
    if (hash !== msg.checksum) {
      throw new ChecksumMismatchError(
        `${describe(msg)}: the record would hash to ${hash}, the message says ${msg.checksum}`,
      )
    }
  }

  private drainHeld(): void {
    for (;;) {
      const epoch = this.mirror.epoch
      const next = this.held.takeReady((h) => h.msg.epoch === epoch && this.ready(h.inspection))
      if (!next) return
      try {
        this.applyChecked(next.msg, keyId(next.msg.key))
      } catch (err) {
        if (!(err instanceof DiffStreamError)) throw err
        this.counters.dropped++
        if (err instanceof DivergedError) this.emit('diverged', err)
      }
    }
  }

  private assertWriter(what: string): void {
    if (this.role === 'consumer') throw new ReadOnlyError(`a consumer cannot ${what}; use DiffCache.peer() to write`)
  }

  /** The state fingerprint a message carries; 0 means "none", so a real 0 becomes 1. */
  private fingerprint(): number {
    return this.mirror.fingerprint() || 1
  }

  /** The key as the record holds it (a number stays a number), else the id. */
  private keyOf(id: string): Key {
    return this.mirror.keyOf(id, this.keyName)
  }

  private onMirrorChange(changes: Map<string, RecordChange>, origin: unknown): void {
    const remote = origin !== LOCAL
    if (remote) for (const id of changes.keys()) this.own.delete(id)
    if (this.listenerCount('change') === 0) return
    for (const [id, cmd] of changes) {
      const data = cmd === 'del' ? null : (this.get(id) ?? null)
      this.emit('change', { cmd, key: this.keyOf(id), data, origin: remote ? 'remote' : 'local' })
    }
  }
}

/** How errors name a message (built only when one is thrown). */
function describe(msg: DataMsg): string {
  return `${msg.cmd} ${JSON.stringify(msg.key)}`
}
