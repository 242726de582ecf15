import { InvalidMessageError } from './errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A bounds-checked reader over lib0's encoding (varuints, varstrings, bytes). Unlike lib0's own
 * decoder it never reads past the end, never loops on crafted input and rejects integers above
 * 2^53, so anything that passes it is safe to hand to Yjs.
 */
export class ByteReader {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos
  }

  fail(what: string): never {
    throw new InvalidMessageError(`${what} at byte ${this.pos} of ${this.bytes.length}`)
  }

  u8(): number {
    if (this.pos >= this.bytes.length) this.fail('truncated')
    return this.bytes[this.pos++]!
  }

  varUint(): number {
    let num = 0
    let mult = 1
    for (let i = 0; i < 8; i++) {
      const b = this.u8()
      num += (b & 0x7f) * mult
      if (b < 0x80) {
        if (num > Number.MAX_SAFE_INTEGER) this.fail('integer out of range')
        return num
      }
      mult *= 128
    }
    return this.fail('integer too long')
  }

  /** lib0's signed varint: sign in bit 6 of the first byte. */
  varInt(): number {
    let b = this.u8()
    let num = b & 0x3f
    let mult = 64
    const negative = (b & 0x40) > 0
    let i = 0
    while (b & 0x80) {
      if (++i > 7) this.fail('integer too long')
      b = this.u8()
      num += (b & 0x7f) * mult
      mult *= 128
    }
    if (num > Number.MAX_SAFE_INTEGER) this.fail('integer out of range')
    return negative ? -num : num
  }

  /** A count of things that each take at least `minBytes`: bounded by what is left. */
  count(minBytes = 1): number {
    const n = this.varUint()
    if (n * minBytes > this.remaining) this.fail(`count ${n} exceeds the bytes left`)
    return n
  }

  take(n: number): Uint8Array {
    if (n > this.remaining) this.fail('truncated')
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  skip(n: number): void {
    this.take(n)
  }

  varBytes(): Uint8Array {
    return this.take(this.varUint())
  }

  varString(): string {
    const raw = this.varBytes()
    try {
      return utf8.decode(raw)
    } catch {
      return this.fail('string is not UTF-8')
    }
  }

  /** Skips a varstring, checking only its bounds (contents are opaque to us). */
  skipVarString(): void {
    this.skip(this.varUint())
  }

  float64(): number {
    const b = this.take(8)
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
  }

  uint32(): number {
    const b = this.take(4)
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0
  }
}
