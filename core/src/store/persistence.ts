import { ByteReader } from '../byte-reader.js'
import { concatBytes, pushVarUint } from '../byte-writer.js'
import type { EpochRecord } from '../epoch.js'
import { StoreCorruptError } from '../errors.js'
import type { JournalEntry } from '../journal.js'
import { pushLineage, readLineage } from '../lineage-codec.js'
import type { Mirror } from '../mirror.js'
import { inspectUpdate } from '../update-inspect.js'
import type { DocStore } from './types.js'

/*
 * What a cache or room keeps in its store (docs/store.md, "What DiffStream stores"): a snapshot —
 * the epoch, its lineage, the whole document state and the journal of local writes — then frames
 * appended as the document accepts updates (type 1) and notes local writes (type 2). A move to
 * another epoch, or a log grown well past the snapshot, writes a fresh snapshot.
 */

const SNAPSHOT_VERSION = 1
const FRAME_UPDATE = 1
const FRAME_JOURNAL = 2
/** The log may grow to this many times the last snapshot (and at least 1 MiB) before a new one. */
const LOG_RATIO = 4
const MIN_LOG_BYTES = 1024 * 1024

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/** What a persistent cache or room exposes to its persistence: its mirror and its epoch. */
export interface PersistedReplica {
  readonly mirror: Mirror
  epochRecord(): EpochRecord
  /** Puts the stored epoch and state in place (local writes made before loading are replayed). */
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
    const journal: JournalEntry[] = []
    let epoch = 0
    if (snapshot) {
      const s = decodeSnapshot(snapshot)
      epoch = s.record.info.epoch
      this.replica.restoreEpoch(s.record, s.state)
      journal.push(...s.journal)
      this.snapshotBytes = snapshot.length
    }
    for (const frame of frames) {
      const f = decodeFrame(frame)
      if (f.kind === 'journal') journal.push(f.entry)
      else if (f.epoch === epoch) {
        try {
          mirror.applyStored(f.update)
        } catch (err) {
          throw new StoreCorruptError(`a stored update does not apply: ${String(err)}`, { cause: err })
        }
      }
    }
    mirror.journal?.restore(journal)
    mirror.sink = {
      update: (update) => {
        // An update without deletes (its delete set is the single byte 0) only adds to the state:
        // logging it wastes nothing, so it does not count towards the next snapshot — an initial
        // sync's pieces then cost no snapshot (a full encode, one long task) while they arrive.
        if (update[update.length - 1] === 0) this.addedBytes += update.length
        this.append(encodeUpdateFrame(mirror.epoch, update))
      },
      journal: (entry) => this.append(encodeJournalFrame(entry)),
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
    const bytes = encodeSnapshot(this.replica.epochRecord(), mirror.diff(), mirror.journal?.all() ?? [])
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

function encodeSnapshot(record: EpochRecord, state: Uint8Array, journal: readonly JournalEntry[]): Uint8Array {
  const head: number[] = []
  pushVarUint(head, SNAPSHOT_VERSION)
  pushVarUint(head, record.info.epoch)
  pushVarUint(head, record.info.parent)
  pushVarUint(head, record.info.cutState >>> 0)
  const parts: Array<ArrayLike<number>> = [head]
  pushLineage(parts, record.lineage)
  const json = utf8.encode(JSON.stringify(journal))
  const mid: number[] = []
  pushVarUint(mid, state.length)
  parts.push(mid, state)
  const tail: number[] = []
  pushVarUint(tail, json.length)
  parts.push(tail, json)
  return concatBytes(parts)
}

function decodeSnapshot(bytes: Uint8Array): { record: EpochRecord; state: Uint8Array; journal: JournalEntry[] } {
  try {
    const r = new ByteReader(bytes)
    const version = r.varUint()
    if (version !== SNAPSHOT_VERSION) r.fail(`snapshot format ${version} (this version reads ${SNAPSHOT_VERSION})`)
    const info = { epoch: r.varUint(), parent: r.varUint(), cutState: r.varUint() }
    const lineage = readLineage(r)
    const state = r.varBytes()
    inspectUpdate(state)
    const journal = parseJournal(r.varBytes())
    if (r.remaining !== 0) r.fail('trailing bytes after the snapshot')
    return { record: { info, lineage }, state, journal }
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

function encodeJournalFrame(entry: JournalEntry): Uint8Array {
  return concatBytes([[FRAME_JOURNAL], utf8.encode(JSON.stringify(entry))])
}

type StoredFrame = { kind: 'update'; epoch: number; update: Uint8Array } | { kind: 'journal'; entry: JournalEntry }

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
      const entry = JSON.parse(fromUtf8.decode(bytes.subarray(1))) as unknown
      checkEntry(entry)
      return { kind: 'journal', entry }
    }
    return r.fail(`unknown stored frame type ${type}`)
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err
    throw new StoreCorruptError(`a stored frame is not a DiffStream frame: ${String(err)}`, { cause: err })
  }
}

function parseJournal(bytes: Uint8Array): JournalEntry[] {
  const list = JSON.parse(fromUtf8.decode(bytes)) as unknown
  if (!Array.isArray(list)) throw new StoreCorruptError('the stored journal is not a list')
  for (const e of list) checkEntry(e)
  return list as JournalEntry[]
}

function checkEntry(e: unknown): asserts e is JournalEntry {
  const x = e as Partial<JournalEntry> | null
  const ok =
    x !== null &&
    typeof x === 'object' &&
    Number.isSafeInteger(x.epoch) &&
    Number.isSafeInteger(x.client) &&
    Number.isSafeInteger(x.from) &&
    Number.isSafeInteger(x.to) &&
    Array.isArray(x.deletes) &&
    Array.isArray(x.ops) &&
    x.ops.every(
      (op) =>
        op !== null && typeof op === 'object' && Array.isArray(op.path) && op.path.every((k) => typeof k === 'string'),
    )
  if (!ok) throw new StoreCorruptError('a stored journal entry has the wrong shape')
}
