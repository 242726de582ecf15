import type { JsonObject, Key } from '@diffstream/core'
import { keyId, utf8Decoder, utf8Encoder, type BenchRecord } from '../contender.js'

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Deep equality of plain JSON values (objects compared field by field, in any order). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false
    return true
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    for (const k of ka) if (!sameJson(a[k], b[k])) return false
    return true
  }
  return false
}

/** A deep copy through JSON, as a producer keeps the previous version of a record. */
export function jsonCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

/** Every record as one JSON array: a newcomer's catch-up where the method has no state of its own. */
export function snapshotJson(records: Iterable<unknown>): Uint8Array {
  return utf8Encoder.encode(JSON.stringify([...records]))
}

/** A newcomer's copy from a JSON array of every record. */
export function restoreJson(bytes: Uint8Array): (key: Key) => unknown {
  const store = new Map<string, unknown>()
  for (const r of JSON.parse(utf8Decoder.decode(bytes)) as BenchRecord[]) store.set(keyId(r.key), r)
  return (key) => store.get(keyId(key))
}
