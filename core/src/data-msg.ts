import { ByteReader } from './byte-reader.js'
import { writeVarUintAt } from './byte-writer.js'
import { InvalidMessageError } from './errors.js'
import { isKey, type Key } from './keys.js'
import type { SourceDigest } from './source-digest.js'
import { checkSourceDigest, readSourceDigest, writeSourceDigest } from './source-digest-codec.js'
import { compactParts, expandInspected } from './update-codec.js'
import { inspectUpdate, type UpdateInspection } from './update-inspect.js'

/** The commands of the original DiffStream: a new record, an update, a delete, a retransmission. */
export type Command = 'new' | 'upd' | 'del' | 'ret'

/** The fields of a {@link DataMsg}. */
export interface DataMsgInit {
  /** What the message does: see {@link Command}. */
  cmd: Command
  /** The record's key, as its record holds it (numbers stay numbers). */
  key: Key
  /** Yjs (v1) update bytes: the diff. */
  update: Uint8Array
  /**
   * uint32 hash of the record after the update (0 for `del`).
   * @defaultValue `0`
   */
  checksum?: number
  /**
   * 32-bit fingerprint of the sender's whole state after the update, or 0 when the sender is the
   * only writer of the stream (a `producer`); see docs/wire.md.
   * @defaultValue `0`
   */
  state?: number
  /**
   * The epoch (mirror generation) the update belongs to; 0 before the first compaction.
   * @defaultValue `0`
   */
  epoch?: number
  /**
   * Sent with the first messages of a new epoch: the epoch it compacted and the sender's state
   * fingerprint then. A receiver holding exactly that state compacts the same way itself instead
   * of asking for the new epoch's base.
   * @defaultValue `null`
   */
  cut?: EpochCut | null
  /**
   * On a `ret` from `retran`: what the sender holds, so that the receiver can tell whether it
   * still differs from the sender afterwards (docs/integrity.md).
   * @defaultValue `null`
   */
  source?: SourceDigest | null
}

/**
 * What a compaction cut: the epoch it compacted and the sender's state fingerprint at that moment.
 * See {@link DataMsgInit.cut} and docs/compaction.md.
 */
export interface EpochCut {
  /** The epoch the compaction replaced (always older than the message's epoch). */
  parent: number
  /** The sender's 32-bit state fingerprint when it compacted `parent`. */
  state: number
}

/** Limits applied when decoding untrusted bytes. */
export interface DecodeLimits {
  /**
   * Largest message accepted, in bytes.
   * @defaultValue 64 MiB
   */
  maxBytes?: number
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
const COMMANDS: readonly Command[] = ['new', 'upd', 'del', 'ret']
const KEY_STRING = 0
const KEY_UINT = 1
const KEY_NEG_INT = 2
const KEY_FLOAT = 3
/** Lowercase hex of even length (uuid.hex, content hashes, ObjectIds): sent as its bytes. */
const KEY_HEX = 4
const HAS_EPOCH = 0x20
/** Epoch ids travel doubled (a flag in the low bit), so they stay below 2^52. */
const MAX_EPOCH = 2 ** 52
const HAS_STATE = 0x40
/**
 * Extensions follow the head: a varuint of flags. Copies before 2026-12 refuse such messages as
 * "of a newer format"; this version refuses unknown flags the same way.
 */
const HAS_EXTENSIONS = 0x80
/** Extension flag: a source digest follows the state. */
const EXT_SOURCE = 1
const HEX_KEY = /^(?:[0-9a-f]{2})+$/

const utf8 = new TextEncoder()

/**
 * One DiffStream message: a command, the record's key and the Yjs update that is the diff.
 * The fields are plain public properties; {@link DataMsg.encode} turns them into bytes
 * (format in docs/wire.md) and {@link DataMsg.decode} checks untrusted bytes completely.
 */
export class DataMsg {
  /** What the message does: `new`, `upd`, `del` or `ret`. */
  cmd: Command
  /** The record's key. */
  key: Key
  /** Yjs (v1) update bytes: the diff. */
  update: Uint8Array
  /** uint32 hash of the record after the update (0 for `del`). */
  checksum: number
  /** The sender's 32-bit state fingerprint after the update, or 0 (see {@link DataMsgInit.state}). */
  state: number
  /** The epoch the update belongs to; 0 before the first compaction. */
  epoch: number
  /** The compaction this message's epoch came from, on the first messages of an epoch; otherwise null. */
  cut: EpochCut | null
  /** On a `ret` from `retran`: what its sender holds (see {@link DataMsgInit.source}); otherwise null. */
  source: SourceDigest | null
  #encoded: (DataMsgInit & { bytes: Uint8Array }) | null = null

  /** A message with these fields (see {@link DataMsgInit} for those left out). Nothing is checked until {@link DataMsg.encode}. */
  constructor(init: DataMsgInit) {
    this.cmd = init.cmd
    this.key = init.key
    this.update = init.update
    this.checksum = init.checksum ?? 0
    this.state = init.state ?? 0
    this.epoch = init.epoch ?? 0
    this.cut = init.cut ?? null
    this.source = init.source ?? null
  }

  /** The message as bytes for the wire (the same bytes again while no field changes). */
  encode(): Uint8Array {
    const c = this.#encoded
    if (
      c &&
      c.cmd === this.cmd &&
      c.key === this.key &&
      c.update === this.update &&
      c.checksum === this.checksum &&
      c.state === this.state &&
      c.epoch === this.epoch &&
      c.cut === this.cut &&
      c.source === this.source
    )
      return c.bytes
    checkFields(this)
    const keyType = keyTypeOf(this.key)
    const hasEpoch = this.epoch > 0 || this.cut !== null
    // Short ASCII keys (most) are written char by char: TextEncoder costs more than the key.
    let keyText: string | null = null
    let keyBytes: Uint8Array | null = null
    if (keyType === KEY_STRING) {
      if (isShortAscii(this.key as string)) keyText = this.key as string
      else keyBytes = utf8.encode(this.key as string)
    } else if (keyType === KEY_HEX) keyBytes = hexBytes(this.key as string)
    const keyLen = keyText !== null ? keyText.length : keyBytes !== null ? keyBytes.length : 0
    const epochField = this.epoch * 2 + (this.cut ? 1 : 0)
    const { table, body } = compactParts(this.update)
    let source: number[] | null = null
    if (this.source) writeSourceDigest((source = []), this.source)
    let size = 1 + 4 + (this.state !== 0 ? 4 : 0) + table.length + body.length
    if (source) size += 1 + source.length
    if (keyType === KEY_STRING || keyType === KEY_HEX) size += varUintLength(keyLen) + keyLen
    else if (keyType === KEY_UINT) size += varUintLength(this.key as number)
    else if (keyType === KEY_NEG_INT) size += varUintLength(-(this.key as number))
    else size += 8
    if (hasEpoch) size += varUintLength(epochField) + (this.cut ? varUintLength(this.cut.parent) + 4 : 0)
    const out = new Uint8Array(size)
    out[0] =
      (source ? HAS_EXTENSIONS : 0) |
      (this.state !== 0 ? HAS_STATE : 0) |
      (hasEpoch ? HAS_EPOCH : 0) |
      (keyType << 2) |
      COMMANDS.indexOf(this.cmd)
    let p = 1
    if (source) out[p++] = EXT_SOURCE
    if (keyType === KEY_STRING || keyType === KEY_HEX) {
      p = writeVarUintAt(out, p, keyLen)
      if (keyText !== null) for (let i = 0; i < keyLen; i++) out[p++] = keyText.charCodeAt(i)
      else {
        out.set(keyBytes!, p)
        p += keyLen
      }
    } else if (keyType === KEY_UINT) p = writeVarUintAt(out, p, this.key as number)
    else if (keyType === KEY_NEG_INT) p = writeVarUintAt(out, p, -(this.key as number))
    else {
      new DataView(out.buffer).setFloat64(p, this.key as number, true)
      p += 8
    }
    if (hasEpoch) {
      // The epoch's lowest bit says whether a cut follows.
      p = writeVarUintAt(out, p, epochField)
      if (this.cut) {
        p = writeVarUintAt(out, p, this.cut.parent)
        p = writeUint32At(out, p, this.cut.state)
      }
    }
    p = writeUint32At(out, p, this.checksum)
    if (this.state !== 0) p = writeUint32At(out, p, this.state)
    if (source) for (const b of source) out[p++] = b
    for (const b of table) out[p++] = b
    out.set(body, p)
    this.#encoded = {
      cmd: this.cmd,
      key: this.key,
      update: this.update,
      checksum: this.checksum,
      state: this.state,
      epoch: this.epoch,
      cut: this.cut,
      source: this.source,
      bytes: out,
    }
    return out
  }

  /**
   * Decodes and fully checks untrusted bytes.
   * @throws {@link InvalidMessageError} unknown command, malformed, truncated or oversized bytes.
   */
  static decode(bytes: Uint8Array, limits: DecodeLimits = {}): DataMsg {
    return decodeInspected(bytes, limits).msg
  }

  /** The encoded size in bytes. */
  get byteLength(): number {
    return this.encode().length
  }

  /** For logs: `DataMsg upd "lot-1" (12 update bytes)`. */
  toString(): string {
    return `DataMsg ${this.cmd} ${JSON.stringify(this.key)} (${this.update.length} update bytes)`
  }
}

/** Decodes untrusted bytes and also returns the inspection of the update, so that it is walked once. */
export function decodeInspected(
  bytes: unknown,
  limits: DecodeLimits = {},
): { msg: DataMsg; inspection: UpdateInspection } {
  if (!(bytes instanceof Uint8Array)) throw new InvalidMessageError('a message must be a Uint8Array')
  const max = limits.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (bytes.length > max) throw new InvalidMessageError(`message of ${bytes.length} bytes exceeds the limit of ${max}`)
  const r = new ByteReader(bytes)
  const first = r.u8()
  const extensions = first & HAS_EXTENSIONS ? r.varUint() : 0
  if (extensions & ~EXT_SOURCE) r.fail('a message of a newer DiffStream format')
  if (first & HAS_EXTENSIONS && extensions === 0) r.fail('extension flag without extensions')
  const cmd = COMMANDS[first & 0b11]!
  const keyType = (first >> 2) & 0b111
  let key: Key
  if (keyType === KEY_STRING) key = r.varString()
  else if (keyType === KEY_UINT) key = r.varUint()
  else if (keyType === KEY_NEG_INT) {
    key = -r.varUint()
    if (key === 0) r.fail('negative zero key')
  } else if (keyType === KEY_FLOAT) {
    key = r.float64()
    if (!Number.isFinite(key) || Number.isSafeInteger(key)) r.fail('bad float key')
  } else if (keyType === KEY_HEX) {
    const raw = r.varBytes()
    if (raw.length === 0) r.fail('empty hex key')
    key = hexString(raw)
  } else {
    return r.fail(`unknown key type ${keyType}`)
  }
  let epoch = 0
  let cut: EpochCut | null = null
  if (first & HAS_EPOCH) {
    const field = r.varUint()
    epoch = Math.floor(field / 2)
    if (field % 2 === 1) {
      const parent = r.varUint()
      if (parent >= epoch) r.fail('a cut whose parent epoch is not older')
      cut = { parent, state: r.uint32() }
    } else if (epoch === 0) r.fail('epoch flag with epoch 0')
  }
  const checksum = r.uint32()
  const state = first & HAS_STATE ? r.uint32() : 0
  if (first & HAS_STATE && state === 0) r.fail('state flag with state 0')
  const source = extensions & EXT_SOURCE ? readSourceDigest(r) : null
  if (source && cmd !== 'ret') r.fail('a source digest on a message that is not a ret')
  const { update, inspection } = expandInspected(bytes.subarray(r.pos))
  return { msg: new DataMsg({ cmd, key, update, checksum, state, epoch, cut, source }), inspection }
}

/** Checks a message object whose public fields anyone may have changed, and inspects its update. */
export function inspectMessage(msg: DataMsg): UpdateInspection {
  checkFields(msg)
  return inspectUpdate(msg.update)
}

function checkFields(msg: DataMsg): void {
  if (!COMMANDS.includes(msg.cmd)) throw new InvalidMessageError(`unknown command ${JSON.stringify(msg.cmd)}`)
  if (!isKey(msg.key)) throw new InvalidMessageError('the key must be a string or a finite number')
  if (!(msg.update instanceof Uint8Array)) throw new InvalidMessageError('update must be a Uint8Array')
  if (!Number.isInteger(msg.checksum) || msg.checksum < 0 || msg.checksum > 0xffffffff)
    throw new InvalidMessageError('checksum must be a uint32')
  if (!Number.isInteger(msg.state) || msg.state < 0 || msg.state > 0xffffffff)
    throw new InvalidMessageError('state must be a uint32')
  if (!Number.isSafeInteger(msg.epoch) || msg.epoch < 0 || msg.epoch > MAX_EPOCH)
    throw new InvalidMessageError('epoch must be a non-negative integer below 2^52')
  if (msg.cut !== null) {
    const { parent, state } = msg.cut as Partial<EpochCut>
    if (!Number.isSafeInteger(parent) || parent! < 0 || parent! >= msg.epoch)
      throw new InvalidMessageError('cut.parent must be an older epoch')
    if (!Number.isInteger(state) || state! < 0 || state! > 0xffffffff)
      throw new InvalidMessageError('cut.state must be a uint32')
  }
  if (msg.source !== null) {
    checkSourceDigest(msg.source)
    if (msg.cmd !== 'ret') throw new InvalidMessageError('only a ret carries a source digest')
  }
}

function keyTypeOf(key: Key): number {
  if (typeof key === 'string') return HEX_KEY.test(key) ? KEY_HEX : KEY_STRING
  if (Number.isSafeInteger(key)) return key >= 0 ? KEY_UINT : KEY_NEG_INT
  return KEY_FLOAT
}

function writeUint32At(out: Uint8Array, p: number, n: number): number {
  n >>>= 0
  out[p] = n & 0xff
  out[p + 1] = (n >>> 8) & 0xff
  out[p + 2] = (n >>> 16) & 0xff
  out[p + 3] = n >>> 24
  return p + 4
}

function varUintLength(n: number): number {
  let len = 1
  while (n > 0x7f) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

function isShortAscii(s: string): boolean {
  if (s.length > 64) return false
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false
  return true
}

const nibble = (c: number): number => (c <= 57 ? c - 48 : c - 87) // '0'-'9', 'a'-'f'
const HEX_DIGITS = '0123456789abcdef'

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
  return out
}

function hexString(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!
  return s
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff)
      (i++, (n += 2)) // a surrogate pair: 2 UTF-16 units, 4 bytes
    else n += 2
  }
  return n
}
