/**
 * The byte layout of the file store (docs/store.md): a 24-byte header, then frames of
 * `length u32 | crc32 u32 | payload`. Pure functions over bytes, so that the layout can be checked
 * without touching a disk. Everything read is treated as hostile: bounded, checksummed, typed errors.
 */
import { StoreCorruptError, StoreLimitError, StoreVersionError } from '../errors.js'
import { crc32 } from './crc32.js'

/** The format version this code writes and the newest it reads. */
export const FORMAT_VERSION = 1
export const HEADER_BYTES = 24
export const FRAME_HEADER_BYTES = 8

export type FileKind = 'log' | 'snapshot'

// 0x89 first (not ASCII, so no text file starts like this), CR LF last (catches newline conversion).
const MAGIC: Record<FileKind, Uint8Array> = {
  log: Uint8Array.of(0x89, 0x44, 0x53, 0x4c, 0x4f, 0x47, 0x0d, 0x0a), // \x89DSLOG\r\n
  snapshot: Uint8Array.of(0x89, 0x44, 0x53, 0x53, 0x4e, 0x50, 0x0d, 0x0a), // \x89DSSNP\r\n
}
const MAGIC_BYTES = 8

/** What a header says. The generation ties a log to the snapshot it continues. */
export interface Header {
  kind: FileKind
  version: number
  generation: number
}

/** A header for a file of `kind` continuing snapshot number `generation`. */
export function encodeHeader(kind: FileKind, generation: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  out.set(MAGIC[kind], 0)
  view.setUint32(8, FORMAT_VERSION, true)
  view.setBigUint64(12, BigInt(generation), true)
  view.setUint32(20, crc32(out.subarray(0, 20)), true)
  return out
}

/**
 * Reads the header of a file that must be a `kind` file. Throws {@link StoreCorruptError} for a
 * truncated, foreign or damaged header and {@link StoreVersionError} for a newer format.
 */
export function decodeHeader(bytes: Uint8Array, kind: FileKind, path: string): Header {
  if (bytes.length === 0)
    throw new StoreCorruptError(`${path} is empty (a ${kind} file starts with a ${HEADER_BYTES}-byte header)`)
  const other: FileKind = kind === 'log' ? 'snapshot' : 'log'
  const head = bytes.subarray(0, MAGIC_BYTES)
  if (!startsWith(MAGIC[kind], head)) {
    if (startsWith(MAGIC[other], head) && head.length > 1) {
      throw new StoreCorruptError(`${path} is a DiffStream ${other} file, not a ${kind} file`)
    }
    throw new StoreCorruptError(`${path} is not a DiffStream ${kind} file (unknown magic ${hex(head)})`)
  }
  if (bytes.length < HEADER_BYTES) {
    throw new StoreCorruptError(`${path}: truncated header (${bytes.length} of ${HEADER_BYTES} bytes)`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES)
  // The version comes before the header checksum: a newer format may lay out the rest differently.
  const version = view.getUint32(8, true)
  if (version > FORMAT_VERSION) {
    throw new StoreVersionError(
      `${path} has format version ${version}; this DiffStream reads up to version ${FORMAT_VERSION} (upgrade it)`,
      version,
      FORMAT_VERSION,
    )
  }
  if (view.getUint32(20, true) !== crc32(bytes.subarray(0, 20))) {
    throw new StoreCorruptError(`${path}: header checksum mismatch`)
  }
  if (version === 0) throw new StoreCorruptError(`${path}: invalid format version 0`)
  const generation = view.getBigUint64(12, true)
  if (generation > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StoreCorruptError(`${path}: generation ${generation} out of range`)
  }
  return { kind, version, generation: Number(generation) }
}

/** One frame as it is written: length, checksum of length and payload, payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, payload.length, true)
  out.set(payload, FRAME_HEADER_BYTES)
  view.setUint32(4, frameChecksum(out.subarray(0, 4), payload), true)
  return out
}

// The length is covered too: a zero-filled tail (length 0, crc 0) or a flipped length bit fails the check.
function frameChecksum(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes))
}

/** What {@link scanFrames} found: the good frames, where they end, and why the scan stopped early. */
export interface Scan {
  /** Views into the scanned bytes, one per good frame. */
  frames: Uint8Array[]
  /** Offset just after the last good frame. */
  end: number
  /** Why bytes after `end` are not frames (torn or corrupt), or null when the scan reached the end. */
  problem: string | null
}

/**
 * Reads frames from `offset` to the end of `bytes`, stopping at the first one that is torn or fails
 * its checksum. A frame that is whole and checksums but exceeds `maxFrameBytes` is not damage, it
 * is data this configuration refuses: {@link StoreLimitError}, so that a lowered limit never cuts
 * good frames.
 */
export function scanFrames(bytes: Uint8Array, offset: number, maxFrameBytes: number, path: string): Scan {
  const frames: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  let at = offset
  while (at < bytes.length) {
    const left = bytes.length - at
    if (left < FRAME_HEADER_BYTES) {
      return { frames, end: at, problem: `torn frame header (${left} of ${FRAME_HEADER_BYTES} bytes)` }
    }
    const length = view.getUint32(at, true)
    const stored = view.getUint32(at + 4, true)
    if (length > left - FRAME_HEADER_BYTES) {
      const why =
        length > maxFrameBytes
          ? `frame length ${length} above the limit and past`
          : `frame of ${length} bytes runs past`
      return { frames, end: at, problem: `${why} the end of the file (${left - FRAME_HEADER_BYTES} bytes left)` }
    }
    const payload = bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length)
    if (frameChecksum(bytes.subarray(at, at + 4), payload) !== stored) {
      return { frames, end: at, problem: `checksum mismatch in a frame of ${length} bytes` }
    }
    if (length > maxFrameBytes) {
      throw new StoreLimitError(
        `${path}: a frame of ${length} bytes at offset ${at} is above maxFrameBytes (${maxFrameBytes}); open with a larger limit`,
      )
    }
    frames.push(payload)
    at += FRAME_HEADER_BYTES + length
  }
  return { frames, end: at, problem: null }
}

/** A whole snapshot file: header and exactly one frame. */
export function encodeSnapshotFile(generation: number, snapshot: Uint8Array): Uint8Array[] {
  return [encodeHeader('snapshot', generation), encodeFrame(snapshot)]
}

/**
 * Reads a snapshot file. It is written to a temporary file and renamed into place, so it is never
 * torn by a crash; any damage is corruption, and cutting it would lose the state the log builds on:
 * {@link StoreCorruptError}.
 */
export function decodeSnapshotFile(
  bytes: Uint8Array,
  maxSnapshotBytes: number,
  path: string,
): { generation: number; snapshot: Uint8Array } {
  const header = decodeHeader(bytes, 'snapshot', path)
  const scan = scanFrames(bytes, HEADER_BYTES, maxSnapshotBytes, path)
  if (scan.problem !== null) throw new StoreCorruptError(`${path}: damaged snapshot: ${scan.problem}`)
  if (scan.frames.length !== 1) {
    throw new StoreCorruptError(`${path}: a snapshot file holds one frame, found ${scan.frames.length}`)
  }
  return { generation: header.generation, snapshot: scan.frames[0]! }
}

function startsWith(magic: Uint8Array, head: Uint8Array): boolean {
  if (head.length === 0) return false
  for (let i = 0; i < head.length; i++) if (head[i] !== magic[i]) return false
  return true
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}
