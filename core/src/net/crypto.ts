import { ByteReader } from '../byte-reader.js'
import { InvalidMessageError, UnsupportedValueError } from '../errors.js'

/*
 * Signaling encryption, byte for byte as y-webrtc 10.x does it (its src/crypto.js), so a room
 * password works across DiffStream and y-webrtc peers. Only WebCrypto, Uint8Array and
 * TextEncoder/TextDecoder are used so the same code runs in Node 20, browsers and Electron.
 */

/** Values lib0's `writeAny` can carry that also make sense in a signaling message. */
export type AnyValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | Uint8Array
  | AnyValue[]
  | { [key: string]: AnyValue }

/**
 * What {@link writeAny} and {@link encryptJson} take: an {@link AnyValue}, or an object whose
 * fields are checked at run time (a message assembled as `Record<string, unknown>`).
 */
export type AnyInput = AnyValue | Readonly<Record<string, unknown>>

/** Deepest nesting {@link readAny} accepts (and {@link writeAny} produces). Signaling needs ~4. */
export const MAX_ANY_DEPTH = 64

const ALGORITHM = 'AES-GCM'
const IV_BYTES = 12
/** AES-GCM appends a 16-byte authentication tag, so shorter ciphertexts cannot be genuine. */
const GCM_TAG_BYTES = 16
const PBKDF2_ITERATIONS = 100_000

const encoder = new TextEncoder()
// ignoreBOM: lib0 keeps a leading U+FEFF inside strings; the default decoder would drop it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  // WebCrypto is missing in insecure browser contexts (plain http:), which deserves a clear message.
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available; a secure context is required')
  return s
}

/**
 * Derives the room key from a password exactly as y-webrtc does: PBKDF2-SHA-256 with 100 000
 * iterations, salted with the room name, giving an AES-GCM-256 key.
 *
 * @param password - The room password shared by all peers.
 * @param roomName - The room name; the same password gives a different key in another room.
 * @returns A non-extractable key usable with {@link encrypt} and {@link decrypt}.
 */
export async function deriveKey(password: string, roomName: string): Promise<CryptoKey> {
  const s = subtle()
  const material = await s.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveKey'])
  return s.deriveKey(
    { name: 'PBKDF2', salt: encoder.encode(roomName), iterations: PBKDF2_ITERATIONS, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/**
 * Encrypts `data` with AES-GCM under a fresh random 12-byte IV. The output is lib0-encoded:
 * varString `'AES-GCM'`, varUint8Array IV, varUint8Array ciphertext (with tag), as y-webrtc sends.
 *
 * @param data - The plaintext.
 * @param key - A key from {@link deriveKey}.
 * @returns The encoded envelope, readable by {@link decrypt} and by y-webrtc's `decrypt`.
 */
export async function encrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
  // Copy: WebCrypto refuses views over SharedArrayBuffer, and callers may hand us any view.
  const cipher = new Uint8Array(await subtle().encrypt({ name: ALGORITHM, iv }, key, new Uint8Array(data)))
  const w = new Writer(cipher.length + 32)
  w.varString(ALGORITHM)
  w.varBytes(iv)
  w.varBytes(cipher)
  return w.finish()
}

/**
 * Decrypts an envelope made by {@link encrypt} or by y-webrtc.
 *
 * @param data - The envelope, untrusted.
 * @param key - A key from {@link deriveKey}.
 * @returns The plaintext.
 * @throws {@link InvalidMessageError} (as a rejection) when the envelope is malformed or fails
 *   authentication, i.e. a wrong password or tampered bytes; the WebCrypto error is its `cause`.
 */
export async function decrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const r = new ByteReader(data)
  const algorithm = readString(r)
  if (algorithm !== ALGORITHM) r.fail(`unknown encryption algorithm ${JSON.stringify(algorithm.slice(0, 32))}`)
  const iv = r.varBytes()
  if (iv.length !== IV_BYTES) r.fail(`AES-GCM IV of ${iv.length} bytes, expected ${IV_BYTES}`)
  const cipher = r.varBytes()
  if (cipher.length < GCM_TAG_BYTES) r.fail(`ciphertext of ${cipher.length} bytes is shorter than the tag`)
  if (r.remaining !== 0) r.fail('trailing bytes after ciphertext')
  let plain: ArrayBuffer
  try {
    // slice(): WebCrypto wants views over a plain ArrayBuffer, not subarrays of an arbitrary one.
    plain = await subtle().decrypt({ name: ALGORITHM, iv: iv.slice() }, key, cipher.slice())
  } catch (err) {
    // Only an authentication failure is the sender's fault; a wrong key type is our bug and must surface.
    if (isOperationError(err)) {
      throw new InvalidMessageError('decryption failed: wrong room password or tampered message', { cause: err })
    }
    throw err
  }
  return new Uint8Array(plain)
}

function isOperationError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'OperationError'
}

/**
 * Encrypts a signaling message the way y-webrtc's `encryptJson` does: lib0 `writeAny`, then
 * {@link encrypt}.
 *
 * @param value - The message, usually a plain object.
 * @param key - A key from {@link deriveKey}.
 * @throws {@link UnsupportedValueError} when `value` holds something `writeAny` cannot carry.
 */
export async function encryptJson(value: AnyInput, key: CryptoKey): Promise<Uint8Array> {
  return encrypt(writeAny(value), key)
}

/**
 * Decrypts a signaling message made by {@link encryptJson} or y-webrtc's `encryptJson`.
 *
 * @param data - The envelope, untrusted.
 * @param key - A key from {@link deriveKey}.
 * @throws {@link InvalidMessageError} (as a rejection) on any malformed, unauthenticated or
 *   undecodable input.
 */
export async function decryptJson(data: Uint8Array, key: CryptoKey): Promise<AnyValue> {
  return readAny(await decrypt(data, key))
}

// --- lib0 writeAny / readAny -------------------------------------------------------------------

const TAG_UNDEFINED = 127
const TAG_NULL = 126
const TAG_INT = 125
const TAG_FLOAT32 = 124
const TAG_FLOAT64 = 123
const TAG_BIGINT = 122
const TAG_FALSE = 121
const TAG_TRUE = 120
const TAG_STRING = 119
const TAG_OBJECT = 118
const TAG_ARRAY = 117
const TAG_BYTES = 116

const BITS31 = 0x7fffffff
const float32Probe = new DataView(new ArrayBuffer(4))

/** lib0's test: a number goes as float32 only if it survives the round trip unchanged. */
function isFloat32(n: number): boolean {
  float32Probe.setFloat32(0, n)
  return float32Probe.getFloat32(0) === n
}

/** A growable byte buffer writing lib0's primitive encodings. */
class Writer {
  private buf: Uint8Array
  private pos = 0

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n))
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  u8(b: number): void {
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  varUint(n: number): void {
    this.ensure(8)
    while (n > 0x7f) {
      this.buf[this.pos++] = 0x80 | (n % 128)
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }

  /** lib0 `writeVarInt`: continuation bit, sign bit (set for -0 too), 6 data bits, then 7 per byte. */
  varInt(n: number): void {
    this.ensure(8)
    const negative = n < 0 || Object.is(n, -0)
    if (negative) n = -n
    this.buf[this.pos++] = (n > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (n % 64)
    n = Math.floor(n / 64)
    while (n > 0) {
      this.buf[this.pos++] = (n > 0x7f ? 0x80 : 0) | (n % 128)
      n = Math.floor(n / 128)
    }
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  varBytes(b: Uint8Array): void {
    this.varUint(b.length)
    this.bytes(b)
  }

  varString(s: string): void {
    // TextEncoder turns lone surrogates into U+FFFD, as lib0's encodeInto path does.
    this.varBytes(encoder.encode(s))
  }

  float(n: number, size: 4 | 8): void {
    this.ensure(size)
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, size)
    // lib0 writes floats big-endian.
    if (size === 4) view.setFloat32(0, n, false)
    else view.setFloat64(0, n, false)
    this.pos += size
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

/**
 * Encodes `value` exactly as lib0's `encoding.writeAny` does (same tags, same integer/float32/
 * float64 choice, object keys in `Object.keys` order), so y-webrtc peers decode it unchanged.
 *
 * @param value - The value to encode.
 * @returns The encoded bytes.
 * @throws {@link UnsupportedValueError} for bigints, functions, symbols and nesting deeper than
 *   {@link MAX_ANY_DEPTH} (which also catches cycles); {@link readAny} could not read them back.
 */
export function writeAny(value: AnyInput): Uint8Array {
  const w = new Writer()
  const visit = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'string':
        w.u8(TAG_STRING)
        w.varString(v)
        return
      case 'number':
        if (Number.isInteger(v) && Math.abs(v) <= BITS31) {
          w.u8(TAG_INT)
          w.varInt(v)
        } else if (isFloat32(v)) {
          w.u8(TAG_FLOAT32)
          w.float(v, 4)
        } else {
          w.u8(TAG_FLOAT64)
          w.float(v, 8)
        }
        return
      case 'boolean':
        w.u8(v ? TAG_TRUE : TAG_FALSE)
        return
      case 'undefined':
        w.u8(TAG_UNDEFINED)
        return
      case 'object': {
        if (v === null) {
          w.u8(TAG_NULL)
          return
        }
        if (v instanceof Uint8Array) {
          w.u8(TAG_BYTES)
          w.varBytes(v)
          return
        }
        if (depth >= MAX_ANY_DEPTH) throw new UnsupportedValueError(`value nests deeper than ${MAX_ANY_DEPTH} levels`)
        if (Array.isArray(v)) {
          w.u8(TAG_ARRAY)
          w.varUint(v.length)
          for (let i = 0; i < v.length; i++) visit(v[i], depth + 1)
          return
        }
        const obj = v as Record<string, unknown>
        const keys = Object.keys(obj)
        w.u8(TAG_OBJECT)
        w.varUint(keys.length)
        for (const k of keys) {
          w.varString(k)
          visit(obj[k], depth + 1)
        }
        return
      }
      default:
        // lib0 would write bigint as tag 122 (which readAny refuses) and functions/symbols as
        // undefined; refusing them here keeps every written message readable and lossless.
        throw new UnsupportedValueError(`cannot encode a ${typeof v}`)
    }
  }
  visit(value, 0)
  return w.finish()
}

function readString(r: ByteReader): string {
  const raw = r.varBytes()
  try {
    return decoder.decode(raw)
  } catch {
    return r.fail('string is not UTF-8')
  }
}

/**
 * Decodes bytes written by lib0's `encoding.writeAny` (or {@link writeAny}). Bounds-checked and
 * depth-limited; rejects bigints (tag 122), unknown tags and trailing bytes.
 *
 * @param bytes - Untrusted bytes holding exactly one value.
 * @returns The value; objects are plain objects, binary data comes back as `Uint8Array`.
 * @throws {@link InvalidMessageError} on any malformed input.
 */
export function readAny(bytes: Uint8Array): AnyValue {
  const r = new ByteReader(bytes)
  const visit = (depth: number): AnyValue => {
    const tag = r.u8()
    switch (tag) {
      case TAG_UNDEFINED:
        return undefined
      case TAG_NULL:
        return null
      case TAG_INT:
        return r.varInt()
      case TAG_FLOAT32: {
        const b = r.take(4)
        return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, false)
      }
      case TAG_FLOAT64: {
        const b = r.take(8)
        return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false)
      }
      case TAG_BIGINT:
        return r.fail('bigint values are not accepted')
      case TAG_FALSE:
        return false
      case TAG_TRUE:
        return true
      case TAG_STRING:
        return readString(r)
      case TAG_OBJECT: {
        if (depth >= MAX_ANY_DEPTH) r.fail(`value nests deeper than ${MAX_ANY_DEPTH} levels`)
        // Each entry takes at least 2 bytes (empty key + 1-byte value): no huge loops on lies.
        const n = r.count(2)
        const obj: { [key: string]: AnyValue } = {}
        for (let i = 0; i < n; i++) {
          const key = readString(r)
          const value = visit(depth + 1)
          // A "__proto__" key must stay data: plain assignment would swap the object's prototype.
          if (key === '__proto__') {
            Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
          } else {
            obj[key] = value
          }
        }
        return obj
      }
      case TAG_ARRAY: {
        if (depth >= MAX_ANY_DEPTH) r.fail(`value nests deeper than ${MAX_ANY_DEPTH} levels`)
        const n = r.count(1)
        const arr: AnyValue[] = []
        for (let i = 0; i < n; i++) arr.push(visit(depth + 1))
        return arr
      }
      case TAG_BYTES:
        // slice(): the result must not alias (and keep alive) the caller's buffer.
        return r.varBytes().slice()
      default:
        return r.fail(`unknown value tag ${tag}`)
    }
  }
  const value = visit(0)
  if (r.remaining !== 0) r.fail('trailing bytes after value')
  return value
}

// --- base64 ------------------------------------------------------------------------------------

/** btoa/atob take "binary strings"; building them in slices keeps String.fromCharCode's argument list small. */
const BASE64_SLICE = 0x8000
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Standard base64 with padding, as lib0's `buffer.toBase64` produces for y-webrtc's `data` field.
 *
 * @param bytes - The bytes to encode.
 * @returns The base64 text.
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += BASE64_SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BASE64_SLICE))
  }
  return btoa(binary)
}

/**
 * Decodes standard base64 (padding optional, as `atob` allows; no whitespace or URL alphabet).
 *
 * @param text - Untrusted base64 text.
 * @returns The decoded bytes.
 * @throws {@link InvalidMessageError} when `text` is not a string or not valid base64.
 */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64_CHARS.test(text)) {
    throw new InvalidMessageError('invalid base64')
  }
  let binary: string
  try {
    binary = atob(text)
  } catch (err) {
    throw new InvalidMessageError('invalid base64', { cause: err })
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
