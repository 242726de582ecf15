import type { JsonValue } from './json.js'

/*
 * The record checksum of docs/wire.md: a tree hash, where an object's hash is a sum of its fields'
 * hashes (so field order does not matter) and an array's a chain of its elements'. A part's hash
 * depends only on the part, so a cache that remembers the hash of every part it holds recomputes
 * only the parts a transaction changed and their ancestors (see record-views.ts). The same walk
 * measures the part's JSON size, for the statistics.
 */

const OFFSET = 0x811c9dc5
const PRIME = 0x01000193
const GOLDEN = 0x9e3779b1

/** MurmurHash3's 32-bit finalizer: every input bit flips about half the output bits. */
export function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function fnv(tag: number, s: string): number {
  let h = Math.imul(OFFSET ^ tag, PRIME)
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME)
  return fmix(h)
}

export const NULL_HASH = fnv(0x6e, '')
export const TRUE_HASH = fnv(0x74, '')
export const FALSE_HASH = fnv(0x66, '')

/** A part's hash and the bytes of its JSON (UTF-8, no whitespace). */
export interface Digest {
  hash: number
  bytes: number
}

/** Where the `…Hash` functions below leave the JSON bytes of what they hashed (no object per value). */
export const sized = { bytes: 0 }

/** The digest of a string: its hash, and the UTF-8 bytes of its JSON form (quotes and escapes). */
export function stringDigest(s: string): Digest {
  const hash = stringHash(s)
  return { hash, bytes: sized.bytes }
}

/** The hash of a string; its JSON bytes go to `sized.bytes`. */
export function stringHash(s: string): number {
  return fmix(fnvJson(0x73, s))
}

/**
 * FNV-1a over `tag` and the UTF-16 code units of `s` (before `fmix`); the bytes of `s` as a JSON
 * string go to `sized.bytes`.
 */
function fnvJson(tag: number, s: string): number {
  let h = Math.imul(OFFSET ^ tag, PRIME)
  let bytes = 2
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    h = Math.imul(h ^ c, PRIME)
    if (c >= 0x20 && c < 0x80) bytes += c === 0x22 || c === 0x5c ? 2 : 1
    else if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      h = Math.imul(h ^ s.charCodeAt(++i), PRIME)
      bytes += 4
    } else if (c >= 0xd800 && c <= 0xdfff)
      bytes += 6 // a lone surrogate: JSON writes \uXXXX
    else bytes += 3
  }
  sized.bytes = bytes
  return h
}

/** The digest of a number, as JSON writes it (JSON has no NaN or Infinity: they write `null`). */
export function numberDigest(n: number): Digest {
  const hash = numberHash(n)
  return { hash, bytes: sized.bytes }
}

/** The hash of a number; its JSON bytes go to `sized.bytes`. */
export function numberHash(n: number): number {
  if (!Number.isFinite(n)) {
    sized.bytes = 4
    return NULL_HASH
  }
  // small integers (most numbers in records) without building their text
  if (Number.isInteger(n) && n >= 0 && n < 1e15) return integerHash(n)
  const s = String(n)
  sized.bytes = s.length
  return fnv(0x64, s)
}

/** FNV-1a over the decimal digits of a non-negative integer below 1e15, as `fnv(0x64, String(n))`. */
function integerHash(n: number): number {
  let digits = 1
  let scale = 1
  while (scale * 10 <= n) {
    scale *= 10
    digits++
  }
  let h = Math.imul(OFFSET ^ 0x64, PRIME)
  let rest = n
  for (; scale >= 1; scale /= 10) {
    const d = Math.floor(rest / scale)
    rest -= d * scale
    h = Math.imul(h ^ (48 + d), PRIME)
  }
  sized.bytes = digits
  return fmix(h)
}

/** One field's share of its object's hash; the JSON bytes of its name and colon go to `sized.bytes`. */
export function fieldHash(key: string, valueHash: number): number {
  const keyHash = fmix(fnvJson(0x6b, key))
  sized.bytes++
  return fmix((Math.imul(keyHash, GOLDEN) + valueHash) >>> 0)
}

/** An object's hash from the sum of its fields' shares and their count. */
export function objectHash(fieldSum: number, count: number): number {
  return fmix((fieldSum >>> 0) ^ fmix((0x7b7b7b7b + count) >>> 0))
}

/** The start of an array's hash chain, for an array of `length` elements. */
export function arrayStart(length: number): number {
  return fmix((0x5b5b5b5b + length) >>> 0)
}

/** The chain after one more element. */
export function arrayStep(h: number, elementHash: number): number {
  return fmix((h + elementHash) >>> 0)
}

/** The digest of a plain JSON value (fields whose value is `undefined` are absent). */
export function digestJson(value: JsonValue | undefined): Digest {
  if (value === null || value === undefined) return { hash: NULL_HASH, bytes: 4 }
  switch (typeof value) {
    case 'string':
      return stringDigest(value)
    case 'number':
      return numberDigest(value)
    case 'boolean':
      return value ? { hash: TRUE_HASH, bytes: 4 } : { hash: FALSE_HASH, bytes: 5 }
  }
  if (Array.isArray(value)) {
    let h = arrayStart(value.length)
    let bytes = 2 + Math.max(0, value.length - 1)
    for (const item of value) {
      const d = digestJson(item)
      h = arrayStep(h, d.hash)
      bytes += d.bytes
    }
    return { hash: h, bytes }
  }
  let sum = 0
  let count = 0
  let bytes = 2
  for (const k of Object.keys(value)) {
    const field = value[k]
    if (field === undefined) continue
    const d = digestJson(field)
    sum = (sum + fieldHash(k, d.hash)) >>> 0
    bytes += sized.bytes + d.bytes
    count++
  }
  return { hash: objectHash(sum, count), bytes: bytes + Math.max(0, count - 1) }
}

/**
 * The checksum of a JSON value (docs/wire.md): a 32-bit tree hash that ignores the order of
 * fields. A `DataMsg`'s checksum is this hash of the record after the update.
 */
export function hashJson(value: JsonValue | undefined): number {
  return digestJson(value).hash
}
