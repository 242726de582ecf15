import { ByteReader } from '../byte-reader.js'
import { concatBytes, pushVarUint } from '../byte-writer.js'
import type { EpochRecord } from '../epoch.js'
import { StoreCorruptError } from '../errors.js'
import { skipLineage } from '../lineage-codec.js'
import type { Mirror } from '../mirror.js'
import { inspectUpdate } from '../update-inspect.js'
import type { DocStore } from './types.js'

/*
 * What a cache or room keeps in its store (docs/store.md, "What DiffStream stores"): a snapshot —
 * the epoch and the whole document state — then frames appended as the document accepts updates
 * (type 1). A move to another epoch, or a log grown well past the snapshot, writes a fresh
 * snapshot. Format 1 also held a lineage and a journal of local writes; both are read past (the
 * journal's writes are in the stored document, and stamps carry them into newer epochs).
 */

const SNAPSHOT_VERSION = 2
const FRAME_UPDATE = 1
/** Journal frames of format 1: skipped. */
const FRAME_JOURNAL = 2
/** The log may grow to this many times the last snapshot (and at least 1 MiB) before a new one. */
const LOG_RATIO = 4
const MIN_LOG_BYTES = 1024 * 1024

const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/** What a persistent cache or room exposes to its persistence: its mirror and its epoch. */
export interface PersistedReplica {
  readonly mirror: Mirror
  epochRecord(): EpochRecord
  /** Puts the stored epoch and state in place (what was written before loading is carried into it). */
  restoreEpoch(record: EpochRecord, state: Uint8Array): void
}

/**
 * Keeps a replica in a {@link DocStore}: loads it, then appends what it accepts and snapshots on
 * epoch changes. `whenStored()` resolves once everything accepted so far is durable.
 */
export class Persistence {
  private last: Promise<void> = Promise.resolve()
  private failure: unknown = null
  private snapshotBytes = 0
  /** Bytes of the updates logged since the last snapshot that only add (see `sink.update`). */
  private addedBytes = 0
  private pending = 0
  private compacting = false
  private closed = false

  constructor(
    private readonly store: DocStore,
    private readonly replica: PersistedReplica,
    private readonly onError: (err: unknown) => void,
    /** Called when `saved` may have changed. */
    private readonly onSavedChange: () => void = () => undefined,
  ) {}

  /** Loads what the store holds into the replica; returns what the store repaired, if anything. */
  async load(): Promise<string | null> {
    const { snapshot, frames, repaired } = await this.store.load()
    const mirror = this.replica.mirror
    let epoch = 0
    if (snapshot) {
      const s = decodeSnapshot(snapshot)
      epoch = s.record.info.epoch
      this.replica.restoreEpoch(s.record, s.state)
      this.snapshotBytes = snapshot.length
    }
    for (const frame of frames) {
      const f = decodeFrame(frame)
      if (f.kind === 'update' && f.epoch === epoch) {
        try {
          mirror.applyStored(f.update)
        } catch (err) {
          throw new StoreCorruptError(`a stored update does not apply: ${String(err)}`, { cause: err })
        }
      }
    }
    mirror.sink = {
      update: (update) => {
        // An update without deletes (its delete set is the single byte 0) only adds to the state:
        // logging it wastes nothing, so it does not count towards the next snapshot — an initial
        // sync's pieces then cost no snapshot (a full encode, one long task) while they arrive.
        if (update[update.length - 1] === 0) this.addedBytes += update.length
        this.append(encodeUpdateFrame(mirror.epoch, update))
      },
      epoch: () => this.snapshot(),
    }
    // Writes made while loading are in memory only: one snapshot stores them with the rest.
    this.snapshot()
    return repaired
  }

  /** Resolves once everything accepted so far is durable; rejects if the store failed. */
  whenStored(): Promise<void> {
    return this.last
  }

  /** Whether every write so far is durable. */
  get saved(): boolean {
    return this.pending === 0 && this.failure === null
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.replica.mirror.sink = null
    await this.last.catch(() => undefined)
    await this.store.close()
  }

  private track(p: Promise<void>): void {
    this.pending++
    if (this.pending === 1) this.onSavedChange()
    const done = p.then(
      () => {
        this.pending--
        if (this.pending === 0) this.onSavedChange()
      },
      (err: unknown) => {
        this.pending--
        this.onSavedChange()
        this.failure = err
        this.onError(err)
        throw err
      },
    )
    const previous = this.last
    this.last = Promise.all([previous, done]).then(() => undefined)
    this.last.catch(() => undefined)
  }

  private append(frame: Uint8Array): void {
    if (this.closed) return
    this.track(this.store.append(frame))
    if (!this.compacting && this.store.size - this.addedBytes > Math.max(MIN_LOG_BYTES, LOG_RATIO * this.snapshotBytes))
      this.snapshot()
  }

  private snapshot(): void {
    if (this.closed) return
    const mirror = this.replica.mirror
    const bytes = encodeSnapshot(this.replica.epochRecord(), mirror.diff())
    this.snapshotBytes = bytes.length
    this.addedBytes = 0
    this.compacting = true
    const p = this.store.compact(bytes)
    const reset = (): void => {
      this.compacting = false
    }
    p.then(reset, reset)
    this.track(p)
  }
}

function encodeSnapshot(record: EpochRecord, state: Uint8Array): Uint8Array {
  const head: number[] = []
  pushVarUint(head, SNAPSHOT_VERSION)
  pushVarUint(head, record.info.epoch)
  pushVarUint(head, record.info.parent)
  pushVarUint(head, record.info.cutState >>> 0)
  pushVarUint(head, state.length)
  return concatBytes([head, state])
}

function decodeSnapshot(bytes: Uint8Array): { record: EpochRecord; state: Uint8Array } {
  try {
    const r = new ByteReader(bytes)
    const version = r.varUint()
    if (version !== 1 && version !== SNAPSHOT_VERSION)
      r.fail(`snapshot format ${version} (this version reads 1 and ${SNAPSHOT_VERSION})`)
    const info = { epoch: r.varUint(), parent: r.varUint(), cutState: r.varUint() }
    if (version === 1) skipLineage(r)
    const state = r.varBytes()
    inspectUpdate(state)
    if (version === 1) checkJson(r.varBytes())
    if (r.remaining !== 0) r.fail('trailing bytes after the snapshot')
    return { record: { info }, state }
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err
    throw new StoreCorruptError(`the stored snapshot is not a DiffStream snapshot: ${String(err)}`, { cause: err })
  }
}

function encodeUpdateFrame(epoch: number, update: Uint8Array): Uint8Array {
  const head = [FRAME_UPDATE]
  pushVarUint(head, epoch)
  return concatBytes([head, update])
}

type StoredFrame = { kind: 'update'; epoch: number; update: Uint8Array } | { kind: 'journal' }

function decodeFrame(bytes: Uint8Array): StoredFrame {
  try {
    const r = new ByteReader(bytes)
    const type = r.u8()
    if (type === FRAME_UPDATE) {
      const epoch = r.varUint()
      const update = bytes.subarray(r.pos)
      inspectUpdate(update)
      return { kind: 'update', epoch, update }
    }
    if (type === FRAME_JOURNAL) {
      checkJson(bytes.subarray(1))
      return { kind: 'journal' }
    }
    return r.fail(`unknown stored frame type ${type}`)
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err
    throw new StoreCorruptError(`a stored frame is not a DiffStream frame: ${String(err)}`, { cause: err })
  }
}

/** A format-1 journal (skipped) must still be what it claims to be: damage is reported, not ignored. */
function checkJson(bytes: Uint8Array): void {
  JSON.parse(fromUtf8.decode(bytes))
}
