import { ByteReader } from './byte-reader.js'
import { InvalidMessageError } from './errors.js'
import { isKey, type Key } from './keys.js'
import { inspectUpdate, type UpdateInspection } from './update-inspect.js'

/** The commands of the original DiffStream: a new record, an update, a delete, a retransmission. */
export type Command = 'new' | 'upd' | 'del' | 'ret'

/** The fields of a {@link DataMsg}. */
export interface DataMsgInit {
  cmd: Command
  key: Key
  /** Yjs (v1) update bytes: the diff. */
  update: Uint8Array
  /** uint32 hash of the record after the update (0 for `del`). */
  checksum?: number
  /** 32-bit fingerprint of the sender's state vector after the update; see docs/wire.md. */
  state?: number
  /** The mirror generation the update belongs to. */
  epoch?: number
}

/** Limits applied when decoding untrusted bytes. */
export interface DecodeLimits {
  /** Largest message accepted, in bytes (default 64 MiB). */
  maxBytes?: number
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
const VERSION = 1
const COMMANDS: readonly Command[] = ['new', 'upd', 'del', 'ret']
const KEY_STRING = 0
const KEY_UINT = 1
const KEY_NEG_INT = 2
const KEY_FLOAT = 3
const HAS_EPOCH = 0x10

const utf8 = new TextEncoder()

/**
 * One DiffStream message: a command, the record's key and the Yjs update that is the diff.
 * The fields are plain public properties; {@link DataMsg.encode} turns them into bytes
 * (format in docs/wire.md) and {@link DataMsg.decode} checks untrusted bytes completely.
 */
export class DataMsg {
  cmd: Command
  key: Key
  update: Uint8Array
  checksum: number
  state: number
  epoch: number

  constructor(init: DataMsgInit) {
    this.cmd = init.cmd
    this.key = init.key
    this.update = init.update
    this.checksum = init.checksum ?? 0
    this.state = init.state ?? 0
    this.epoch = init.epoch ?? 0
  }

  /** The message as bytes for the wire. */
  encode(): Uint8Array {
    checkFields(this)
    const keyType = keyTypeOf(this.key)
    const keyBytes = keyType === KEY_STRING ? utf8.encode(this.key as string) : null
    const head: number[] = [(VERSION << 5) | (this.epoch > 0 ? HAS_EPOCH : 0) | (keyType << 2) | COMMANDS.indexOf(this.cmd)]
    if (keyBytes) writeVarUint(head, keyBytes.length)
    else if (keyType === KEY_UINT) writeVarUint(head, this.key as number)
    else if (keyType === KEY_NEG_INT) writeVarUint(head, -(this.key as number))
    const floatAt = head.length
    if (keyType === KEY_FLOAT) head.push(0, 0, 0, 0, 0, 0, 0, 0)
    const keyLen = keyBytes ? keyBytes.length : 0
    const tail: number[] = []
    if (this.epoch > 0) writeVarUint(tail, this.epoch)
    const c = this.checksum >>> 0
    const st = this.state >>> 0
    tail.push(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24, st & 0xff, (st >>> 8) & 0xff, (st >>> 16) & 0xff, st >>> 24)
    const out = new Uint8Array(head.length + keyLen + tail.length + this.update.length)
    out.set(head, 0)
    if (keyType === KEY_FLOAT) new DataView(out.buffer).setFloat64(floatAt, this.key as number, true)
    if (keyBytes) out.set(keyBytes, head.length)
    out.set(tail, head.length + keyLen)
    out.set(this.update, head.length + keyLen + tail.length)
    return out
  }

  /** Decodes and fully checks untrusted bytes; throws `InvalidMessageError` on anything malformed. */
  static decode(bytes: Uint8Array, limits: DecodeLimits = {}): DataMsg {
    return DataMsg.decodeInspected(bytes, limits).msg
  }

  /** @internal Decodes and also returns the inspection of the update, so it is walked once. */
  static decodeInspected(bytes: unknown, limits: DecodeLimits = {}): { msg: DataMsg; inspection: UpdateInspection } {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessageError('a message must be a Uint8Array')
    const max = limits.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    if (bytes.length > max) throw new InvalidMessageError(`message of ${bytes.length} bytes exceeds the limit of ${max}`)
    const r = new ByteReader(bytes)
    const first = r.u8()
    if (first >> 5 !== VERSION) r.fail(`unknown message version ${first >> 5}`)
    const cmd = COMMANDS[first & 0b11]!
    const keyType = (first >> 2) & 0b11
    let key: Key
    if (keyType === KEY_STRING) key = r.varString()
    else if (keyType === KEY_UINT) key = r.varUint()
    else if (keyType === KEY_NEG_INT) {
      key = -r.varUint()
      if (key === 0) r.fail('negative zero key')
    } else {
      key = r.float64()
      if (!Number.isFinite(key) || Number.isSafeInteger(key)) r.fail('bad float key')
    }
    const epoch = first & HAS_EPOCH ? r.varUint() : 0
    if (first & HAS_EPOCH && epoch === 0) r.fail('epoch flag with epoch 0')
    const checksum = r.uint32()
    const state = r.uint32()
    // Copy, so the message does not pin or alias the caller's (possibly pooled) buffer.
    const update = bytes.slice(r.pos)
    const inspection = inspectUpdate(update)
    return { msg: new DataMsg({ cmd, key, update, checksum, state, epoch }), inspection }
  }

  /** @internal Checks a message object whose public fields may have been changed by anyone. */
  static inspect(msg: DataMsg): UpdateInspection {
    checkFields(msg)
    return inspectUpdate(msg.update)
  }

  /** The encoded size in bytes. */
  get byteLength(): number {
    const keyType = keyTypeOf(this.key)
    let n = 1 + 8 + this.update.length
    if (keyType === KEY_STRING) {
      const len = utf8Length(this.key as string)
      n += varUintLength(len) + len
    } else if (keyType === KEY_FLOAT) n += 8
    else n += varUintLength(Math.abs(this.key as number))
    if (this.epoch > 0) n += varUintLength(this.epoch)
    return n
  }

  toString(): string {
    return `DataMsg ${this.cmd} ${JSON.stringify(this.key)} (${this.update.length} update bytes)`
  }
}

function checkFields(msg: DataMsg): void {
  if (!COMMANDS.includes(msg.cmd)) throw new InvalidMessageError(`unknown command ${JSON.stringify(msg.cmd)}`)
  if (!isKey(msg.key)) throw new InvalidMessageError('the key must be a string or a finite number')
  if (!(msg.update instanceof Uint8Array)) throw new InvalidMessageError('update must be a Uint8Array')
  if (!Number.isInteger(msg.checksum) || msg.checksum < 0 || msg.checksum > 0xffffffff)
    throw new InvalidMessageError('checksum must be a uint32')
  if (!Number.isInteger(msg.state) || msg.state < 0 || msg.state > 0xffffffff) throw new InvalidMessageError('state must be a uint32')
  if (!Number.isSafeInteger(msg.epoch) || msg.epoch < 0) throw new InvalidMessageError('epoch must be a non-negative integer')
}

function keyTypeOf(key: Key): number {
  if (typeof key === 'string') return KEY_STRING
  if (Number.isSafeInteger(key)) return key >= 0 ? KEY_UINT : KEY_NEG_INT
  return KEY_FLOAT
}

function writeVarUint(out: number[], n: number): void {
  while (n > 0x7f) {
    out.push(0x80 | (n % 128))
    n = Math.floor(n / 128)
  }
  out.push(n)
}

function varUintLength(n: number): number {
  let len = 1
  while (n > 0x7f) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff) i++, (n += 2) // a surrogate pair: 2 UTF-16 units, 4 bytes
    else n += 2
  }
  return n
}
