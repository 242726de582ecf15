import { ByteReader } from '../byte-reader.js'
import { UnsupportedValueError } from '../errors.js'

/*
 * lib0's `writeAny`/`readAny` encoding, which y-webrtc uses for signaling payloads before it
 * encrypts them. Written here so that reading untrusted bytes is bounded and typed.
 */

const encoder = new TextEncoder()
// lib0 decodes strings without dropping a leading BOM; so must we, to read back what it wrote.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Values lib0's `writeAny` can carry that also make sense in a signaling message. */
export type AnyValue =
  null | undefined | boolean | number | string | Uint8Array | AnyValue[] | { [key: string]: AnyValue }

/**
 * What {@link writeAny} and {@link encryptJson} take: an {@link AnyValue}, or an object whose
 * fields are checked at run time (a message assembled as `Record<string, unknown>`).
 */
export type AnyInput = AnyValue | Readonly<Record<string, unknown>>

/** Deepest nesting {@link readAny} accepts (and {@link writeAny} produces). Signaling needs ~4. */
export const MAX_ANY_DEPTH = 64
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
export class Writer {
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

export function readString(r: ByteReader): string {
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
