import * as Y from 'yjs'
import { setField, type JsonObject, type JsonValue } from './json.js'

/** Turns a mirror value (Y.Map, Y.Array or a primitive) into a fresh plain JSON value. */
export function materialize(value: unknown): JsonValue {
  if (value instanceof Y.Map) {
    const out: JsonObject = {}
    // `undefined` at a key is a deletion (a tombstone, see mirror.ts): no field.
    value.forEach((v: unknown, k: string) => {
      if (v !== undefined) setField(out, k, materialize(v))
    })
    return out
  }
  if (value instanceof Y.Array) return value.toArray().map(materialize)
  if (value instanceof Y.AbstractType) return value.toJSON() as JsonValue
  if (value === undefined) return null
  if (value instanceof Uint8Array) return Array.from(value)
  return value as JsonValue
}
