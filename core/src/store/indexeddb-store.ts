/**
 * The IndexedDB store for browsers and Electron's renderer. Database `diffstream:<name>` holds two
 * object stores: `snapshot` (one record) and `frames` (records keyed by an increasing integer).
 * Every record carries a CRC-32 of its bytes and is checked when read back. Layout: docs/store.md.
 * Nothing here may import Node modules: this file is part of the browser bundle.
 */
import { StoreClosedError, StoreCorruptError, StoreError, StoreLimitError, StoreVersionError } from '../errors.js'
import { crc32 } from './crc32.js'
import { resolveStoreOptions, type ResolvedStoreOptions } from './options.js'
import { QueuedStore } from './queued-store.js'
import { takeWebLock } from './web-lock.js'
import type { DocStore, StoredState, StoreOptions, StoreStats } from './types.js'

/** The database schema version, which is also the format version of its records. */
export const IDB_FORMAT_VERSION = 1
const SNAPSHOT = 'snapshot'
const FRAMES = 'frames'
const SNAPSHOT_KEY = 'current'

/** Options of {@link openIndexedDbStore}. */
export interface IndexedDbStoreOptions extends StoreOptions {
  /**
   * The durability hint of every write transaction. `'strict'` makes the browser flush to disk
   * before reporting the commit, which is what a durable `append` means; `'relaxed'` is faster and
   * survives a tab crash but perhaps not a power cut. Ignored by browsers without the hint.
   * @defaultValue `'strict'`
   */
  durability?: 'strict' | 'relaxed' | 'default'
  /**
   * The IndexedDB to use.
   * @defaultValue `globalThis.indexedDB`
   */
  indexedDB?: IDBFactory
  /**
   * The Web Locks manager; `null` opens without a lock (see {@link IndexedDbStore.exclusive}).
   * @defaultValue `navigator.locks`
   */
  locks?: LockManager | null
}

/** A {@link DocStore} in IndexedDB, as {@link openIndexedDbStore} opens it. */
export interface IndexedDbStore extends DocStore {
  /** The store's name (the database is `diffstream:<name>`). */
  readonly name: string
  /** Whether a Web Lock guards the store; false where `navigator.locks` is missing or `locks: null` was given. */
  readonly exclusive: boolean
  /** Counters since open (a copy). */
  readonly stats: StoreStats
}

/** A stored record: the bytes, their CRC-32 and (snapshot only) the format version. */
interface StoredRecord {
  bytes: Uint8Array
  crc: number
  format?: number
}

/**
 * Opens (creating it if needed) the store `name` of this origin. Takes the Web Lock
 * `diffstream-store:<name>` first, so that a second tab (or a second open in this one) fails.
 *
 * @throws {@link StoreLockedError} another tab or context of this origin holds the store.
 * @throws {@link StoreVersionError} the database was written by a newer DiffStream.
 * @throws {@link StoreCorruptError} the database is not a DiffStream store, or its snapshot is damaged.
 * @throws {@link StoreLimitError} a stored frame or snapshot is above the configured limits.
 * @throws {@link StoreError} there is no IndexedDB here, or the browser refused to open it.
 */
export async function openIndexedDbStore(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a store name is a non-empty string')
  const resolved = resolveStoreOptions(options)
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (!factory) throw new StoreError('IndexedDB is not available here')
  const locks =
    options.locks === undefined
      ? (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
      : options.locks
  const release = locks ? await takeWebLock(locks, `diffstream-store:${name}`, name) : () => undefined
  let db: IDBDatabase | null = null
  try {
    db = await openDatabase(factory, `diffstream:${name}`)
    const read = await readState(db, resolved, true)
    return new IdbStore(name, db, resolved, options.durability ?? 'strict', read, release, locks != null)
  } catch (error) {
    db?.close()
    release()
    throw error
  }
}

function openDatabase(factory: IDBFactory, dbName: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest
    try {
      // No version: an existing database opens at its own version, so a newer one can be recognised.
      request = factory.open(dbName)
    } catch (error) {
      reject(new StoreError(`cannot open IndexedDB database ${dbName}: ${String(error)}`, { cause: error }))
      return
    }
    request.onupgradeneeded = () => {
      const db = request.result
      // Only a database that did not exist gets here (it is created at version 1).
      db.createObjectStore(SNAPSHOT)
      db.createObjectStore(FRAMES)
    }
    request.onblocked = () => undefined
    request.onerror = () =>
      reject(
        new StoreError(`cannot open IndexedDB database ${dbName}: ${String(request.error)}`, { cause: request.error }),
      )
    request.onsuccess = () => {
      const db = request.result
      if (db.version > IDB_FORMAT_VERSION) {
        db.close()
        reject(
          new StoreVersionError(
            `IndexedDB database ${dbName} has format version ${db.version}; this DiffStream reads up to version ${IDB_FORMAT_VERSION} (upgrade it)`,
            db.version,
            IDB_FORMAT_VERSION,
          ),
        )
        return
      }
      if (!db.objectStoreNames.contains(SNAPSHOT) || !db.objectStoreNames.contains(FRAMES)) {
        db.close()
        reject(
          new StoreCorruptError(`IndexedDB database ${dbName} is not a DiffStream store (its object stores differ)`),
        )
        return
      }
      resolve(db)
    }
  })
}

/** Resolves when `tx` commits; rejects with its error when it aborts. */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error ?? new StoreError('IndexedDB transaction aborted'))
  })
}

function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

interface ReadState {
  state: StoredState
  nextKey: number
  snapshotBytes: number
  frameBytes: number
}

/**
 * Reads and checks everything. A damaged frame (wrong shape, checksum, key) cuts it and every later
 * one when `repair` is set (reported in `repaired`), else it is a {@link StoreCorruptError}.
 */
async function readState(db: IDBDatabase, options: ResolvedStoreOptions, repair: boolean): Promise<ReadState> {
  const tx = db.transaction([SNAPSHOT, FRAMES], 'readonly')
  const done = committed(tx)
  done.catch(() => undefined) // a failed request rejects below; the abort it causes is the same failure
  const [snapshotRecord, keys, values] = await Promise.all([
    result(tx.objectStore(SNAPSHOT).get(SNAPSHOT_KEY) as IDBRequest<unknown>),
    result(tx.objectStore(FRAMES).getAllKeys()),
    result(tx.objectStore(FRAMES).getAll() as IDBRequest<unknown[]>),
  ])
  await done
  const snapshot =
    snapshotRecord === undefined ? null : checkSnapshot(snapshotRecord, options.maxSnapshotBytes, db.name)
  const frames: Uint8Array[] = []
  let problem: string | null = null
  let frameBytes = 0
  let badKey: IDBValidKey | null = null
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0) {
      problem = `a frame has the key ${JSON.stringify(key)}, not an integer`
    } else {
      const record = values[i]
      problem = recordProblem(record)
      if (problem === null) {
        const bytes = (record as StoredRecord).bytes
        if (bytes.length > options.maxFrameBytes) {
          throw new StoreLimitError(
            `${db.name}: frame ${key} has ${bytes.length} bytes, above maxFrameBytes (${options.maxFrameBytes}); open with a larger limit`,
          )
        }
        frames.push(bytes)
        frameBytes += bytes.length
        continue
      }
      problem = `frame ${key}: ${problem}`
    }
    badKey = key
    break
  }
  let repaired: string | null = null
  if (problem !== null) {
    const cut = keys.length - frames.length
    if (!repair) throw new StoreCorruptError(`${db.name} changed under an open store: ${problem}`)
    repaired = `${db.name}: cut ${cut} frame${cut === 1 ? '' : 's'} after ${frames.length} good one${frames.length === 1 ? '' : 's'}: ${problem}`
    const cutTx = db.transaction([FRAMES], 'readwrite', { durability: 'strict' })
    cutTx.objectStore(FRAMES).delete(IDBKeyRange.lowerBound(badKey!))
    await committed(cutTx)
  }
  const lastGood = frames.length > 0 ? (keys[frames.length - 1] as number) : -1
  // Keys keep growing past anything ever seen (damaged keys included) so a cut key is never reused.
  const maxKey = keys.reduce<number>(
    (m, k) => (typeof k === 'number' && Number.isSafeInteger(k) && k > m ? k : m),
    lastGood,
  )
  return {
    state: { snapshot, frames, repaired },
    nextKey: maxKey + 1,
    snapshotBytes: snapshot?.length ?? 0,
    frameBytes,
  }
}

function checkSnapshot(record: unknown, maxSnapshotBytes: number, dbName: string): Uint8Array {
  const format = (record as StoredRecord | null)?.format
  if (typeof format === 'number' && format > IDB_FORMAT_VERSION) {
    throw new StoreVersionError(
      `${dbName}: the snapshot has format version ${format}; this DiffStream reads up to version ${IDB_FORMAT_VERSION}`,
      format,
      IDB_FORMAT_VERSION,
    )
  }
  const problem = recordProblem(record) ?? (format === IDB_FORMAT_VERSION ? null : `format ${String(format)}`)
  if (problem !== null) throw new StoreCorruptError(`${dbName}: damaged snapshot: ${problem}`)
  const bytes = (record as StoredRecord).bytes
  if (bytes.length > maxSnapshotBytes) {
    throw new StoreLimitError(
      `${dbName}: the snapshot has ${bytes.length} bytes, above maxSnapshotBytes (${maxSnapshotBytes}); open with a larger limit`,
    )
  }
  return bytes
}

/** Why `record` is not a stored record with intact bytes, or null. */
function recordProblem(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return `not a record (${record === null ? 'null' : typeof record})`
  const { bytes, crc } = record as Partial<StoredRecord>
  if (!(bytes instanceof Uint8Array)) return 'no bytes'
  if (typeof crc !== 'number') return 'no checksum'
  if (crc32(bytes) !== crc) return `checksum mismatch (${bytes.length} bytes)`
  return null
}

/**
 * The {@link IndexedDbStore}. Appends made in the same tick, or while a commit is in flight, share
 * one readwrite transaction (`sync: 'group'`, the default).
 */
class IdbStore extends QueuedStore implements IndexedDbStore {
  private nextKey: number
  private snapshotBytes: number
  private frameBytes: number

  constructor(
    /** The store's name (the database is `diffstream:<name>`). */
    readonly name: string,
    private readonly db: IDBDatabase,
    options: ResolvedStoreOptions,
    private readonly durability: 'strict' | 'relaxed' | 'default',
    read: ReadState,
    private readonly releaseLock: () => void,
    /** Whether a Web Lock guards the store; false where `navigator.locks` is missing. */
    readonly exclusive: boolean,
  ) {
    const counters: StoreStats = { appends: 0, flushes: 0, compactions: 0, largestBatch: 0, bytesWritten: 0 }
    super(options, counters, read.state, 8 * 1024 * 1024)
    this.nextKey = read.nextKey
    this.snapshotBytes = read.snapshotBytes
    this.frameBytes = read.frameBytes
    // Another tab deleting or upgrading the database: let it, and refuse work from now on.
    db.onversionchange = () => {
      db.close()
      this.failure ??= new StoreClosedError(`the IndexedDB store "${name}" was deleted or upgraded elsewhere`)
    }
    // The browser closed the connection itself (storage cleared, disk error).
    db.onclose = () => {
      this.failure ??= new StoreClosedError(`the browser closed the IndexedDB store "${name}"`)
    }
  }

  /** Bytes of the snapshot and the frames (payloads only), pending frames included. */
  get size(): number {
    return this.snapshotBytes + this.frameBytes + this.pendingBytes
  }

  protected get label(): string {
    return `the IndexedDB store "${this.name}"`
  }

  protected async reload(): Promise<StoredState> {
    const read = await readState(this.db, this.options, false)
    return read.state
  }

  /** slice: an exact buffer, so that structured cloning stores these bytes and nothing around them. */
  protected prepareFrame(frame: Uint8Array): Uint8Array {
    return frame.slice()
  }

  /** Closes the database, then releases the lock. */
  protected release(): void {
    this.db.close()
    this.releaseLock()
  }

  /** A store closed by the browser or another tab says so; any other failure is wrapped. */
  protected override failedError(cause: unknown): StoreClosedError {
    return cause instanceof StoreClosedError ? cause : super.failedError(cause)
  }

  protected async writeFrames(frames: readonly Uint8Array[]): Promise<void> {
    if (this.failure !== null) throw this.failure
    const tx = this.db.transaction([FRAMES], 'readwrite', { durability: this.durability })
    const done = committed(tx)
    let bytes = 0
    try {
      const store = tx.objectStore(FRAMES)
      for (const frame of frames) {
        const record: StoredRecord = { bytes: frame, crc: crc32(frame) }
        store.add(record, this.nextKey++)
        bytes += frame.length
      }
    } catch (error) {
      // Never commit part of a batch.
      done.catch(() => undefined)
      tx.abort()
      throw error
    }
    await done
    this.frameBytes += bytes
    this.flushed(frames.length, bytes)
  }

  protected async writeSnapshot(snapshot: Uint8Array): Promise<void> {
    if (this.failure !== null) throw this.failure
    const tx = this.db.transaction([SNAPSHOT, FRAMES], 'readwrite', { durability: this.durability })
    const done = committed(tx)
    try {
      tx.objectStore(FRAMES).clear()
      const record: StoredRecord = { bytes: snapshot, crc: crc32(snapshot), format: IDB_FORMAT_VERSION }
      tx.objectStore(SNAPSHOT).put(record, SNAPSHOT_KEY)
    } catch (error) {
      done.catch(() => undefined)
      tx.abort()
      throw error
    }
    await done
    this.snapshotBytes = snapshot.length
    this.frameBytes = 0
    this.counters.compactions++
    this.counters.bytesWritten += snapshot.length
  }
}
