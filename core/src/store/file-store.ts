/// <reference types="node" />
/**
 * The file store for Node and Electron: a directory holding `snapshot` (one checksummed frame) and
 * `log` (the frames appended since), both tagged with the snapshot's generation, plus `lock`.
 * Layout, crash points and recovery: docs/store.md.
 */
import { mkdir, open, readdir, rename, truncate, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreCorruptError } from '../errors.js'
import {
  decodeHeader,
  decodeSnapshotFile,
  encodeFrame,
  encodeHeader,
  encodeSnapshotFile,
  HEADER_BYTES,
  scanFrames,
} from './file-format.js'
import { readIfExists, syncDirectory, writeAll, writeFileDurably } from './file-io.js'
import { lockDirectory, type DirLock } from './file-lock.js'
import { resolveStoreOptions, type ResolvedStoreOptions } from './options.js'
import { QueuedStore } from './queued-store.js'
import type { DocStore, StoredState, StoreOptions, StoreStats } from './types.js'

export const LOG_FILE = 'log'
export const SNAPSHOT_FILE = 'snapshot'
const TEMP_SUFFIX = '.tmp'

/** Options of {@link openFileStore}. */
export interface FileStoreOptions extends StoreOptions {
  /**
   * A group-commit batch stops growing at this many bytes.
   * @defaultValue 4 MiB
   */
  maxBatchBytes?: number
}

/** A {@link DocStore} in a directory, as {@link openFileStore} opens it. */
export interface FileStore extends DocStore {
  /** The store's directory. */
  readonly dir: string
  /** Counters since open (a copy). */
  readonly stats: FileStoreStats
}

/** The default of {@link FileStoreOptions.maxBatchBytes}. */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024

/** {@link StoreStats} of the file store, with the fsyncs it did. */
export interface FileStoreStats extends StoreStats {
  /** fsync/fdatasync calls on files and directories, compactions included. */
  fsyncs: number
}

/**
 * Opens (creating it if needed) the store in directory `dir`: takes its lock, checks both files,
 * cuts a torn or corrupt log tail (reported by {@link FileStore.load} in `repaired`) and finishes
 * an interrupted compaction.
 *
 * @throws {@link StoreLockedError} another process (or an open store in this one) holds `dir`.
 * @throws {@link StoreCorruptError} a file is not a DiffStream store file or its snapshot is damaged.
 * @throws {@link StoreVersionError} the store was written by a newer format version.
 * @throws {@link StoreLimitError} a stored frame or snapshot is above the configured limits.
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { DiffCache } from '@diffstream/core'
 * import { openFileStore } from '@diffstream/core/node'
 *
 * const dir = mkdtempSync(join(tmpdir(), 'diffstream-'))
 * const cache = DiffCache.peer({ store: await openFileStore(dir) })
 * await cache.whenLoaded() // what the store held is back
 * cache.update({ key: 'todo', text: 'buy milk' })
 * await cache.whenStored() // fsync'd: survives a crash from here on
 * await cache.close() // releases the store's lock
 * ```
 */
export async function openFileStore(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
  const resolved = resolveStoreOptions(options)
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
  if (!Number.isSafeInteger(maxBatchBytes) || maxBatchBytes < 1) throw new RangeError('maxBatchBytes must be ≥ 1')
  await mkdir(dir, { recursive: true })
  const lock = await lockDirectory(dir)
  try {
    const counters: FileStoreStats = {
      appends: 0,
      flushes: 0,
      compactions: 0,
      largestBatch: 0,
      bytesWritten: 0,
      fsyncs: 0,
    }
    const opened = await recover(dir, resolved, counters)
    return new DirectoryStore(dir, lock, resolved, maxBatchBytes, opened, counters)
  } catch (error) {
    await lock.release()
    throw error
  }
}

interface Opened {
  handle: FileHandle
  generation: number
  /** Where the next frame goes: the end of the last good frame. */
  end: number
  snapshotBytes: number
  state: StoredState
}

/** Brings the directory to a consistent state and reads it (see "Opening" in docs/store.md). */
async function recover(dir: string, options: ResolvedStoreOptions, stats: FileStoreStats): Promise<Opened> {
  const logPath = join(dir, LOG_FILE)
  const snapshotPath = join(dir, SNAPSHOT_FILE)
  // Temporaries are never part of the committed state: a crash left them half written or unused.
  for (const name of await readdir(dir)) {
    if (name === LOG_FILE + TEMP_SUFFIX || name === SNAPSHOT_FILE + TEMP_SUFFIX) await unlink(join(dir, name))
  }
  const snapshotFile = await readIfExists(snapshotPath)
  const snap = snapshotFile ? decodeSnapshotFile(snapshotFile, options.maxSnapshotBytes, snapshotPath) : null
  const generation = snap?.generation ?? 0
  const logFile = await readIfExists(logPath)
  let frames: Uint8Array[] = []
  let end = HEADER_BYTES
  let repaired: string | null = null

  if (logFile === null) {
    // Only a brand-new store has no log: every later change replaces the log by a rename.
    if (snap) throw new StoreCorruptError(`${logPath} is missing (the snapshot of generation ${generation} is there)`)
    await writeLog(dir, generation, stats)
  } else {
    const header = decodeHeader(logFile, 'log', logPath)
    if (header.generation > generation) {
      throw new StoreCorruptError(
        `${logPath} continues snapshot ${header.generation}, but ${snap ? `the snapshot is number ${generation}` : 'there is no snapshot'}`,
      )
    }
    if (header.generation < generation) {
      // A compaction committed its snapshot and crashed before replacing the log: every frame of
      // this log is inside the snapshot. Finish the compaction.
      await writeLog(dir, generation, stats)
    } else {
      const scan = scanFrames(logFile, HEADER_BYTES, options.maxFrameBytes, logPath)
      frames = scan.frames
      end = scan.end
      if (scan.problem !== null) {
        const cut = logFile.length - scan.end
        repaired = `${logPath}: cut ${cut} byte${cut === 1 ? '' : 's'} at offset ${scan.end} after ${frames.length} good frame${frames.length === 1 ? '' : 's'}: ${scan.problem}`
        await truncate(logPath, scan.end)
      }
    }
  }
  const handle = await open(logPath, 'r+')
  try {
    if (repaired !== null) {
      await handle.sync()
      stats.fsyncs++
    }
  } catch (error) {
    await handle.close()
    throw error
  }
  return {
    handle,
    generation,
    end,
    snapshotBytes: snapshotFile?.length ?? 0,
    state: { snapshot: snap?.snapshot ?? null, frames, repaired },
  }
}

/** Replaces the log by an empty one for `generation`: temp file, fsync, rename, fsync the directory. */
async function writeLog(dir: string, generation: number, stats: FileStoreStats): Promise<void> {
  const temp = join(dir, LOG_FILE + TEMP_SUFFIX)
  await writeFileDurably(temp, [encodeHeader('log', generation)])
  await rename(temp, join(dir, LOG_FILE))
  await syncDirectory(dir)
  stats.fsyncs += 2
  stats.bytesWritten += HEADER_BYTES
}

/**
 * The {@link FileStore}. Appends go to the log; those that arrive while a write+fsync is in flight
 * share the next one (`sync: 'group'`, the default).
 */
class DirectoryStore extends QueuedStore<FileStoreStats> implements FileStore {
  private handle: FileHandle | null
  private generation: number
  private end: number
  private snapshotBytes: number

  constructor(
    /** The store's directory. */
    readonly dir: string,
    private readonly lock: DirLock,
    options: ResolvedStoreOptions,
    maxBatchBytes: number,
    opened: Opened,
    counters: FileStoreStats,
  ) {
    super(options, counters, opened.state, maxBatchBytes)
    this.handle = opened.handle
    this.generation = opened.generation
    this.end = opened.end
    this.snapshotBytes = opened.snapshotBytes
  }

  /** Bytes of both files, plus frames accepted but not yet written. */
  get size(): number {
    return this.snapshotBytes + this.end + this.pendingBytes
  }

  protected get label(): string {
    return `the store in ${this.dir}`
  }

  protected async reload(): Promise<StoredState> {
    const logPath = join(this.dir, LOG_FILE)
    const snapshotPath = join(this.dir, SNAPSHOT_FILE)
    const snapshotFile = await readIfExists(snapshotPath)
    const snap = snapshotFile ? decodeSnapshotFile(snapshotFile, this.options.maxSnapshotBytes, snapshotPath) : null
    const logFile = (await readIfExists(logPath)) ?? new Uint8Array(0)
    decodeHeader(logFile, 'log', logPath)
    const scan = scanFrames(logFile.subarray(0, this.end), HEADER_BYTES, this.options.maxFrameBytes, logPath)
    // We hold the lock and wrote these bytes: any problem now is damage from outside, not a torn write.
    if (scan.problem !== null || (snap?.generation ?? 0) !== this.generation) {
      throw new StoreCorruptError(`${this.dir} changed under an open store: ${scan.problem ?? 'generation mismatch'}`)
    }
    return { snapshot: snap?.snapshot ?? null, frames: scan.frames, repaired: null }
  }

  /** The frame as the log holds it: header, payload and checksum (a copy). */
  protected prepareFrame(frame: Uint8Array): Uint8Array {
    return encodeFrame(frame)
  }

  /** Closes the log, then releases the lock. */
  protected async release(): Promise<void> {
    const handle = this.handle
    this.handle = null
    try {
      await handle?.close()
    } finally {
      await this.lock.release()
    }
  }

  protected async writeFrames(frames: readonly Uint8Array[]): Promise<void> {
    const handle = this.handle!
    const bytes = await writeAll(handle, frames, this.end)
    // fdatasync: the data and the new file length, without the timestamps nobody reads.
    await handle.datasync()
    this.end += bytes
    this.counters.fsyncs++
    this.flushed(frames.length, bytes)
  }

  /**
   * The compaction. Its commit point is the rename of the snapshot: before it the old snapshot and
   * log are untouched; after it the new snapshot's generation makes the old log stale, and opening
   * replaces a stale log by an empty one.
   */
  protected async writeSnapshot(snapshot: Uint8Array): Promise<void> {
    const next = this.generation + 1
    const dir = this.dir
    const snapshotTemp = join(dir, SNAPSHOT_FILE + TEMP_SUFFIX)
    const logTemp = join(dir, LOG_FILE + TEMP_SUFFIX)
    const snapshotFile = encodeSnapshotFile(next, snapshot)
    await writeFileDurably(snapshotTemp, snapshotFile)
    await writeFileDurably(logTemp, [encodeHeader('log', next)])
    await rename(snapshotTemp, join(dir, SNAPSHOT_FILE))
    await syncDirectory(dir)
    // Committed. Windows cannot rename over an open file, so the old log is closed first.
    this.generation = next
    await this.handle!.close()
    this.handle = null
    await rename(logTemp, join(dir, LOG_FILE))
    await syncDirectory(dir)
    this.handle = await open(join(dir, LOG_FILE), 'r+')
    this.end = HEADER_BYTES
    this.snapshotBytes = snapshotFile.reduce((n, b) => n + b.length, 0)
    const c = this.counters
    c.fsyncs += 4
    c.compactions++
    c.bytesWritten += this.snapshotBytes + HEADER_BYTES
  }
}
