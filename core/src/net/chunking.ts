import { ByteReader } from '../byte-reader.js'
import { writeVarUintAt } from '../byte-writer.js'
import { InvalidMessageError } from '../errors.js'

/*
 * Chromium and @roamhq/wrtc data channels drop (or close on) messages above 256 KiB without telling
 * the sender, so anything larger than MAX_FRAME travels as numbered chunk frames:
 *
 *   varuint CHUNK_TYPE, varuint id, varuint index, varuint total, payload bytes
 *
 * The leading varuint is the data-channel message type. y-webrtc does not know this type and drops
 * such frames, so rooms send chunks only to peers that said while signaling that they are DiffStream.
 */

/** Data-channel message type of a chunk frame (y-webrtc uses 0, 1, 3 and 4). */
export const CHUNK_TYPE = 10

/** Largest data-channel message DiffStream sends; bigger messages are split. */
export const MAX_FRAME = 16 * 1024

/** Default cap on a reassembled message (matches the 64 MiB default of the data-message decoder). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

/** Default number of partially received messages a {@link Reassembler} holds at once. */
export const DEFAULT_MAX_PENDING = 4

/** Bytes of a varuint up to 2^53 (lib0 encoding, 7 bits per byte). */
function varUintLength(n: number): number {
  let len = 1
  while (n > 0x7f) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** Worst-case header: type byte plus three varuints of at most 8 bytes each (values below 2^53). */
const MAX_HEADER = 1 + 8 * 3

/**
 * Splits a data-channel message into frames of at most `maxFrame` bytes.
 *
 * @param message - A complete data-channel message (starting with its own varuint type).
 * @param id - Identifies the message among those in flight on this channel; the sender should use
 *   a counter so no two partial messages to the same peer share an id.
 * @param maxFrame - Largest frame to produce, header included.
 * @returns `[message]` itself when it already fits, otherwise chunk frames (each a fresh array) in
 *   index order, every one at most `maxFrame` bytes.
 * @throws RangeError when `id` is not a safe non-negative integer or `maxFrame` leaves no room
 *   for payload.
 */
export function splitMessage(message: Uint8Array, id: number, maxFrame: number = MAX_FRAME): Uint8Array[] {
  if (message.length <= maxFrame) return [message]
  if (!Number.isSafeInteger(id) || id < 0)
    throw new RangeError(`chunk id must be a safe non-negative integer, got ${id}`)
  if (!Number.isSafeInteger(maxFrame) || maxFrame <= MAX_HEADER) {
    throw new RangeError(`maxFrame must be an integer above ${MAX_HEADER}, got ${maxFrame}`)
  }
  const fixed = 1 + varUintLength(id)
  // The header grows with the chunk count, and the count with the header; settle on a payload size
  // that leaves room for the largest index and total that size implies.
  let total = 2
  let payload: number
  for (;;) {
    payload = maxFrame - fixed - 2 * varUintLength(total)
    const needed = Math.ceil(message.length / payload)
    if (varUintLength(needed) <= varUintLength(total)) {
      total = needed
      break
    }
    total = needed
  }
  const frames: Uint8Array[] = []
  for (let index = 0; index < total; index++) {
    const slice = message.subarray(index * payload, (index + 1) * payload)
    const header = fixed + varUintLength(index) + varUintLength(total)
    const frame = new Uint8Array(header + slice.length)
    let pos = writeVarUintAt(frame, 0, CHUNK_TYPE)
    pos = writeVarUintAt(frame, pos, id)
    pos = writeVarUintAt(frame, pos, index)
    pos = writeVarUintAt(frame, pos, total)
    frame.set(slice, pos)
    frames.push(frame)
  }
  return frames
}

/** Limits of a {@link Reassembler}; the defaults suit one peer's data channel. */
export interface ReassemblerOptions {
  /**
   * Largest reassembled message accepted, in bytes.
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number
  /**
   * Most partially received messages held at once.
   * @defaultValue `4`
   */
  maxPending?: number
  /**
   * The sender's `maxFrame`; bounds how many chunks a message of `maxMessageBytes` can honestly
   * have. Senders using a smaller `maxFrame` may be refused.
   * @defaultValue {@link MAX_FRAME} (16 KiB)
   */
  maxFrame?: number
  /**
   * Drop a partial message when its first chunk is older than this many ms.
   * @defaultValue never
   */
  timeoutMs?: number
}

interface Pending {
  total: number
  received: number
  bytes: number
  started: number
  /** Payload copies by index; undefined until that chunk arrives. */
  chunks: Array<Uint8Array | undefined>
}

/**
 * Rebuilds messages from the chunk frames of one peer (use one instance per peer). Every frame is
 * untrusted: memory stays below about `maxMessageBytes * maxPending`, and anything malformed throws
 * {@link InvalidMessageError} and discards the partial message it belonged to.
 * @example
 * ```ts
 * import { isChunkFrame, Reassembler, splitMessage } from '@diffstream/core/net'
 *
 * const message = new Uint8Array(100_000) // above a data channel's safe size
 * const frames = splitMessage(message, 1) // 7 frames of at most 16 KiB
 * const reassembler = new Reassembler()
 * let whole: Uint8Array | null = null
 * for (const frame of frames) if (isChunkFrame(frame)) whole = reassembler.push(frame)
 * console.log(frames.length, whole?.length) // 7 100000
 * ```
 */
export class Reassembler {
  private readonly maxMessageBytes: number
  private readonly maxPending: number
  private readonly maxChunks: number
  private readonly timeoutMs: number | undefined
  private readonly pending = new Map<number, Pending>()

  /** @param options - Limits; see {@link ReassemblerOptions}. */
  constructor(options: ReassemblerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
    const maxFrame = options.maxFrame ?? MAX_FRAME
    this.timeoutMs = options.timeoutMs
    if (!(this.maxMessageBytes >= 0) || !(this.maxPending >= 1) || !(maxFrame > MAX_HEADER)) {
      throw new RangeError('Reassembler: maxMessageBytes must be >= 0, maxPending >= 1, maxFrame > 25')
    }
    // An honest sender fills every chunk but the last with at least maxFrame - MAX_HEADER bytes.
    this.maxChunks = Math.ceil(this.maxMessageBytes / (maxFrame - MAX_HEADER)) + 1
  }

  /** Number of partially received messages currently held. */
  get pendingCount(): number {
    return this.pending.size
  }

  /** Drops every partial message, e.g. when the peer reconnects. */
  clear(): void {
    this.pending.clear()
  }

  /**
   * Takes one chunk frame (a whole data-channel message of type {@link CHUNK_TYPE}).
   *
   * @param frame - The frame, untrusted. Its bytes are copied, so the caller may reuse the buffer.
   * @returns The complete message when this was its last missing chunk, otherwise null.
   * @throws {@link InvalidMessageError} when the frame is malformed or not a chunk frame, its index
   *   or total contradict earlier chunks, it repeats an index, the message would exceed
   *   `maxMessageBytes`, or a new message would exceed `maxPending`.
   */
  push(frame: Uint8Array): Uint8Array | null {
    if (this.timeoutMs !== undefined) this.expire(Date.now())
    const r = new ByteReader(frame)
    const type = r.varUint()
    if (type !== CHUNK_TYPE) r.fail(`message type ${type} is not a chunk frame`)
    const id = r.varUint()
    const index = r.varUint()
    const total = r.varUint()
    if (total === 0) r.fail('chunk total of 0')
    if (index >= total) r.fail(`chunk index ${index} of ${total}`)
    // Checked before anything is allocated, so a hostile total cannot make us build a huge array.
    if (total > this.maxChunks) r.fail(`${total} chunks would exceed maxMessageBytes ${this.maxMessageBytes}`)
    const payload = r.take(r.remaining)

    let entry = this.pending.get(id)
    if (!entry) {
      if (this.pending.size >= this.maxPending) r.fail(`more than ${this.maxPending} partial messages`)
      entry = { total, received: 0, bytes: 0, started: Date.now(), chunks: new Array<Uint8Array | undefined>(total) }
      this.pending.set(id, entry)
    }
    try {
      if (entry.total !== total) r.fail(`chunk total ${total} contradicts ${entry.total} for message ${id}`)
      if (entry.chunks[index] !== undefined) r.fail(`duplicate chunk ${index} of message ${id}`)
      if (entry.bytes + payload.length > this.maxMessageBytes) {
        r.fail(`message ${id} exceeds maxMessageBytes ${this.maxMessageBytes}`)
      }
    } catch (err) {
      // The partial message can no longer come out right; free it rather than hold it forever.
      this.pending.delete(id)
      throw err
    }
    entry.chunks[index] = payload.slice()
    entry.bytes += payload.length
    entry.received++
    if (entry.received < entry.total) return null

    this.pending.delete(id)
    const out = new Uint8Array(entry.bytes)
    let pos = 0
    for (const chunk of entry.chunks) {
      out.set(chunk!, pos)
      pos += chunk!.length
    }
    return out
  }

  private expire(now: number): void {
    for (const [id, entry] of this.pending) {
      if (now - entry.started > this.timeoutMs!) this.pending.delete(id)
    }
  }
}

/** Whether `message` is a chunk frame, i.e. belongs to {@link Reassembler.push}; cheap, no validation. */
export function isChunkFrame(message: Uint8Array): boolean {
  return message[0] === CHUNK_TYPE
}
